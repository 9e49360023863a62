"""Metrics, dashboards, exports and scheduled reports over the API: the same selectors,
builders and services as the pages.

PostFiguresOut are those of the channels the token's person may see (`analytics.dashboard.view`
per channel group); a channel, campaign or report of another organisation is a 404. A
dashboard takes the page's query: `days` (7, 28, 90) or `start` and `end`, and its
filters; a date that does not parse or lies outside 2000..tomorrow is a 422 naming it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from roost.analytics import reports
from roost.analytics.dashboard import Dashboard, dashboard_build, dashboard_kinds
from roost.analytics.exports import dashboard_download
from roost.analytics.models import (
    POST_FIGURES,
    ChannelDay,
    PostMetricFact,
    PostMetricTotal,
    ReportFrequency,
    ScheduledReport,
)
from roost.analytics.query import dashboard_query, period_parse
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Offset, QueryId, StrictText
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, can_somewhere, channel_group_ids_allowed

router = Router(tags=["analytics"])
PAGE_LIMIT = 500
Text40 = Annotated[str, Field(max_length=40)]


# -- metrics --------------------------------------------------------------------------


Row = TypeVar("Row", PostMetricTotal, ChannelDay)


def _visible(viewer: User, rows: QuerySet[Row]) -> QuerySet[Row]:
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Your roles do not show analytics.")
    rows = rows.filter(organization_id=viewer.organization_id)
    allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
    if allowed is not None:
        rows = rows.filter(channel__channel_group_id__in=allowed)
    return rows


class PostFiguresOut(Schema):
    impressions: int
    reach: int
    likes: int
    comments: int
    shares: int
    saves: int
    link_clicks: int
    video_views: int


class PostMetricsOut(Schema):
    variant_id: int
    post_id: int
    channel_id: int
    network: str
    campaign_id: int | None
    published_at: dt.datetime
    read_at: dt.datetime
    readings: int
    offered: list[str] = Field(description="The figures the network gives; others read 0.")
    totals: PostFiguresOut


class PostReadingOut(Schema):
    read_at: dt.datetime
    growth: PostFiguresOut


class PostMetricsDetailOut(PostMetricsOut):
    readings_list: list[PostReadingOut] = Field(
        description="Each reading: growth since the one before."
    )


class PostMetricsPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PostMetricsOut]


class ChannelDayOut(Schema):
    channel_id: int
    network: str
    day: dt.date
    figures: PostFiguresOut
    posts_published: int
    followers: int | None
    follower_growth: int
    profile_views: int


class ChannelDayPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ChannelDayOut]


class PostMetricsQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    channel_id: QueryId | None = None
    campaign_id: QueryId | None = None
    start: Text40 = Field("", description="Published on or after this day (YYYY-MM-DD).")
    end: Text40 = Field("", description="Published on or before this day (YYYY-MM-DD).")
    limit: int = Field(100, ge=1, le=PAGE_LIMIT)
    offset: Offset = 0


class ChannelDayQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    channel_id: QueryId | None = None
    start: Text40 = Field("", description="First day (YYYY-MM-DD); with end.")
    end: Text40 = Field("", description="Last day (YYYY-MM-DD); with start.")
    days: Text40 = Field("", description="Or the last 7, 28 or 90 days (the default: 28).")
    limit: int = Field(100, ge=1, le=PAGE_LIMIT)
    offset: Offset = 0


def _figures(row: Any) -> PostFiguresOut:
    return PostFiguresOut(**{name: getattr(row, name) for name in POST_FIGURES})


def _post_out(total: PostMetricTotal) -> dict[str, Any]:
    return {
        "variant_id": total.variant_id,
        "post_id": total.variant.post_id,
        "channel_id": total.channel_id,
        "network": total.channel.network,
        "campaign_id": total.campaign_id,
        "published_at": total.published_at,
        "read_at": total.read_at,
        "readings": total.readings,
        "offered": list(total.offered),
        "totals": _figures(total),
    }


def _today() -> dt.date:
    return timezone.now().date()


@router.get(
    "/analytics/post-metrics",
    response=PostMetricsPage,
    summary="Published posts' latest figures, newest first",
)
def post_metrics_list(request: HttpRequest, query: Query[PostMetricsQuery]) -> PostMetricsPage:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    rows = _visible(viewer, PostMetricTotal.objects.all())
    if query.channel_id is not None:
        rows = rows.filter(channel_id=query.channel_id)
    if query.campaign_id is not None:
        rows = rows.filter(campaign_id=query.campaign_id)
    if query.start or query.end:
        period = period_parse({"start": query.start, "end": query.end}, today=_today())
        rows = rows.filter(published_at__date__gte=period.start, published_at__date__lte=period.end)
    rows = rows.select_related("variant", "channel").order_by("-published_at", "-pk")
    page = rows[query.offset : query.offset + query.limit]
    return PostMetricsPage(
        count=rows.count(), limit=query.limit, offset=query.offset,
        items=[PostMetricsOut(**_post_out(total)) for total in page],
    )  # fmt: skip


@router.get(
    "/analytics/post-metrics/{variant_id}",
    response=PostMetricsDetailOut,
    summary="One published post's figures and each reading",
)
def post_metrics_get(request: HttpRequest, variant_id: QueryId) -> PostMetricsDetailOut:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    total = (
        _visible(viewer, PostMetricTotal.objects.all())
        .select_related("variant", "channel")
        .filter(variant_id=variant_id)
        .first()
    )
    if total is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No figures for such a post.")
    facts = PostMetricFact.objects.filter(
        organization_id=viewer.organization_id, variant_id=variant_id
    ).order_by("read_at", "pk")
    return PostMetricsDetailOut(
        **_post_out(total),
        readings_list=[PostReadingOut(read_at=f.read_at, growth=_figures(f)) for f in facts],
    )


@router.get(
    "/analytics/channel-days",
    response=ChannelDayPage,
    summary="Channels' days: post figures read that day, posts, followers",
)
def channel_day_list(request: HttpRequest, query: Query[ChannelDayQuery]) -> ChannelDayPage:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    period = period_parse(
        {"start": query.start, "end": query.end, "days": query.days}, today=_today()
    )
    rows = _visible(viewer, ChannelDay.objects.all()).filter(
        day__gte=period.start, day__lte=period.end
    )
    if query.channel_id is not None:
        rows = rows.filter(channel_id=query.channel_id)
    rows = rows.order_by("day", "channel_id")
    page = rows[query.offset : query.offset + query.limit]
    return ChannelDayPage(
        count=rows.count(), limit=query.limit, offset=query.offset,
        items=[
            ChannelDayOut(
                channel_id=day.channel_id, network=day.network, day=day.day,
                figures=_figures(day), posts_published=day.posts_published,
                followers=day.followers, follower_growth=day.follower_growth,
                profile_views=day.profile_views,
            )
            for day in page
        ],
    )  # fmt: skip


# -- dashboards -----------------------------------------------------------------------


class DashboardKindOut(Schema):
    kind: str
    title: str
    filters: list[str]


class DashboardFigureOut(Schema):
    key: str
    label: str
    value: float | None
    previous: float | None
    change: float | None = Field(description="Relative change: 0.23 is +23%.")
    unit: str
    definition: str


class ChartSeriesOut(Schema):
    name: str
    values: list[float | None]


class DashboardTableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]


class DashboardChartOut(Schema):
    key: str
    title: str
    kind: str
    unit: str
    definition: str
    labels: list[str]
    series: list[ChartSeriesOut]
    table: DashboardTableOut


class NarrativeSentenceOut(Schema):
    text: str
    uses: list[str] = Field(description="The keys of the figures the sentence was made from.")


class DashboardPeriodOut(Schema):
    start: dt.date
    end: dt.date


class DashboardOut(Schema):
    kind: str
    title: str
    period: DashboardPeriodOut
    previous_period: DashboardPeriodOut
    filters: dict[str, str]
    figures: list[DashboardFigureOut]
    narrative: list[NarrativeSentenceOut]
    charts: list[DashboardChartOut]
    tables: list[DashboardTableOut]
    generated_at: dt.datetime | None


class DashboardQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    days: Text40 = Field("", description="The last 7, 28 or 90 days (default 28).")
    start: Text40 = Field("", description="First day (YYYY-MM-DD), with end.")
    end: Text40 = Field("", description="Last day (YYYY-MM-DD), with start.")
    channel: Text40 = ""
    network: Text40 = ""
    campaign: Text40 = ""
    team: Text40 = ""


def _table_out(table: Any) -> DashboardTableOut:
    return DashboardTableOut(
        key=table.key, title=table.title, columns=list(table.columns),
        rows=[list(row) for row in table.rows],
    )  # fmt: skip


def dashboard_out(dashboard: Dashboard) -> DashboardOut:
    period, previous = dashboard.period, dashboard.previous_period
    return DashboardOut(
        kind=dashboard.kind,
        title=dashboard.title,
        period=DashboardPeriodOut(start=period.start, end=period.end),
        previous_period=DashboardPeriodOut(start=previous.start, end=previous.end),
        filters=dict(dashboard.filters),
        figures=[
            DashboardFigureOut(
                key=f.key, label=f.label, value=f.value, previous=f.previous, change=f.change,
                unit=f.unit, definition=f.definition,
            )
            for f in dashboard.figures
        ],
        narrative=[
            NarrativeSentenceOut(text=s.text, uses=list(s.uses)) for s in dashboard.narrative
        ],
        charts=[
            DashboardChartOut(
                key=c.key, title=c.title, kind=c.kind, unit=c.unit, definition=c.definition,
                labels=list(c.labels),
                series=[ChartSeriesOut(name=s.name, values=list(s.values)) for s in c.series],
                table=_table_out(c.table()),
            )
            for c in dashboard.charts
        ],
        tables=[_table_out(t) for t in dashboard.tables],
        generated_at=dashboard.generated_at,
    )  # fmt: skip


def _dashboard(request: HttpRequest, kind: str, query: DashboardQuery) -> Dashboard:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Your roles do not show analytics.")
    declared, period, filters = dashboard_query(
        query.model_dump(), kind=kind, viewer=viewer, today=_today()
    )
    return dashboard_build(declared.kind, viewer=viewer, period=period, filters=filters)


@router.get("/analytics/dashboards", response=list[DashboardKindOut], summary="Dashboard kinds")
def dashboard_kind_list(request: HttpRequest) -> list[DashboardKindOut]:
    require_scope(request, Scope.ANALYTICS_READ)
    return [
        DashboardKindOut(kind=k.kind, title=k.title, filters=list(k.filters))
        for k in dashboard_kinds()
    ]


@router.get("/analytics/dashboards/{kind}", response=DashboardOut, summary="A dashboard's figures")
def dashboard_get(request: HttpRequest, kind: Text40, query: Query[DashboardQuery]) -> DashboardOut:
    return dashboard_out(_dashboard(request, kind, query))


@router.get(
    "/analytics/dashboards/{kind}/csv",
    summary="A dashboard as CSV",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def dashboard_csv_get(
    request: HttpRequest, kind: Text40, query: Query[DashboardQuery]
) -> HttpResponse:
    return dashboard_download(_dashboard(request, kind, query), "csv")


@router.get(
    "/analytics/dashboards/{kind}/pdf",
    summary="A dashboard as PDF",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def dashboard_pdf_get(
    request: HttpRequest, kind: Text40, query: Query[DashboardQuery]
) -> HttpResponse:
    return dashboard_download(_dashboard(request, kind, query), "pdf")


# -- scheduled reports ----------------------------------------------------------------


class ScheduledReportFilters(Schema):
    model_config = ConfigDict(extra="forbid")

    channel: Annotated[StrictText, Field(max_length=40)] | None = None
    network: Annotated[StrictText, Field(max_length=40)] | None = None
    campaign: Annotated[StrictText, Field(max_length=40)] | None = None
    team: Annotated[StrictText, Field(max_length=40)] | None = None


class ScheduledReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[StrictText, Field(max_length=reports.MAX_NAME)]
    dashboard: Annotated[StrictText, Field(max_length=40)]
    frequency: ReportFrequency
    recipients: Annotated[
        list[Annotated[StrictText, Field(max_length=reports.MAX_ADDRESS)]],
        Field(max_length=reports.MAX_RECIPIENTS),
    ]
    filters: ScheduledReportFilters = ScheduledReportFilters()


class ScheduledReportPatchIn(Schema):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[StrictText, Field(max_length=reports.MAX_NAME)] | None = None
    dashboard: Annotated[StrictText, Field(max_length=40)] | None = None
    frequency: ReportFrequency | None = None
    recipients: (
        Annotated[
            list[Annotated[StrictText, Field(max_length=reports.MAX_ADDRESS)]],
            Field(max_length=reports.MAX_RECIPIENTS),
        ]
        | None
    ) = None
    filters: ScheduledReportFilters | None = None


class ScheduledReportOut(Schema):
    id: int
    name: str
    dashboard: str
    filters: dict[str, str]
    frequency: str
    recipients: list[str]
    active: bool
    created_by_id: int | None
    created_at: dt.datetime
    last_sent_at: dt.datetime | None
    last_period: str


def _report_out(report: ScheduledReport) -> ScheduledReportOut:
    return ScheduledReportOut(
        id=report.pk, name=report.name, dashboard=report.dashboard, filters=report.filters,
        frequency=report.frequency, recipients=report.recipients, active=report.active,
        created_by_id=report.created_by_id, created_at=report.created_at,
        last_sent_at=report.last_sent_at, last_period=report.last_period,
    )  # fmt: skip


def _filters_of(filters: ScheduledReportFilters) -> dict[str, object]:
    return {name: value for name, value in filters.model_dump().items() if value}


@router.get("/analytics/reports", response=list[ScheduledReportOut], summary="Scheduled reports")
def report_list(request: HttpRequest) -> list[ScheduledReportOut]:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    return [_report_out(r) for r in reports.scheduled_report_list(viewer=viewer)]


@router.post("/analytics/reports", response={201: ScheduledReportOut}, summary="Schedule a report")
def report_create(request: HttpRequest, payload: ScheduledReportIn) -> Status:
    viewer = require_scope(request, Scope.REPORTS_WRITE)
    report = reports.scheduled_report_create(
        actor=viewer, organization=viewer.organization, name=payload.name,
        dashboard=payload.dashboard, frequency=payload.frequency,
        recipients=payload.recipients, filters=_filters_of(payload.filters),
    )  # fmt: skip
    return Status(201, _report_out(report))


@router.get(
    "/analytics/reports/{report_id}", response=ScheduledReportOut, summary="A scheduled report"
)
def report_get(request: HttpRequest, report_id: QueryId) -> ScheduledReportOut:
    viewer = require_scope(request, Scope.ANALYTICS_READ)
    return _report_out(reports.scheduled_report_get(viewer=viewer, report_id=report_id))


@router.patch(
    "/analytics/reports/{report_id}",
    response=ScheduledReportOut,
    summary="Change a scheduled report",
)
def report_update(
    request: HttpRequest, report_id: QueryId, payload: ScheduledReportPatchIn
) -> ScheduledReportOut:
    viewer = require_scope(request, Scope.REPORTS_WRITE)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    report = reports.scheduled_report_update(
        actor=viewer, report=report,
        name=payload.name if payload.name is not None else report.name,
        dashboard=payload.dashboard if payload.dashboard is not None else report.dashboard,
        frequency=payload.frequency if payload.frequency is not None else report.frequency,
        recipients=payload.recipients if payload.recipients is not None else report.recipients,
        filters=_filters_of(payload.filters) if payload.filters is not None else report.filters,
    )  # fmt: skip
    return _report_out(report)


@router.post(
    "/analytics/reports/{report_id}/pause",
    response=ScheduledReportOut,
    summary="Pause a scheduled report",
)
def report_pause(request: HttpRequest, report_id: QueryId) -> ScheduledReportOut:
    viewer = require_scope(request, Scope.REPORTS_WRITE)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    return _report_out(reports.scheduled_report_pause(actor=viewer, report=report))


@router.post(
    "/analytics/reports/{report_id}/resume",
    response=ScheduledReportOut,
    summary="Resume a scheduled report from its next period",
)
def report_resume(request: HttpRequest, report_id: QueryId) -> ScheduledReportOut:
    viewer = require_scope(request, Scope.REPORTS_WRITE)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    return _report_out(reports.scheduled_report_resume(actor=viewer, report=report))


@router.delete(
    "/analytics/reports/{report_id}", response={204: None}, summary="Delete a scheduled report"
)
def report_delete(request: HttpRequest, report_id: QueryId) -> Status:
    viewer = require_scope(request, Scope.REPORTS_WRITE)
    report = reports.scheduled_report_get(viewer=viewer, report_id=report_id)
    reports.scheduled_report_delete(actor=viewer, report=report)
    return Status(204, None)
