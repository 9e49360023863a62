"""Dashboard pages and the definitions page.

A page reads its period (a preset of 7, 28 or 90 days ending today, or custom dates)
and its filters from the query string, asks `dashboard_build`, and lays the result out:
figures with the previous period's, the narrative, each chart with its definition and
its table. The same query string is what exports and reports take.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from roost.analytics import figures as q
from roost.analytics.charts import chart_svg, series_colour
from roost.analytics.dashboard import Dashboard, Figure, Period, dashboard_build, dashboard_kinds
from roost.analytics.definitions import (
    APPROVAL_LEAD_TIME,
    CONVERSATIONS,
    ENGAGEMENTS,
    FAILURES,
    FOLLOWER_GROWTH,
    IMPRESSIONS,
    ON_TIME,
    REACH,
    SLA_ATTAINMENT,
    WEEKDAYS,
    analytics_settings_update,
    engagement_rate_definition,
    first_response_definition,
    settings_of,
)
from roost.analytics.models import EngagementBasis
from roost.analytics.narrative import value_text
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Team
from roost.core.navigation import page_access
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.inbox.sla.policies import known_time_zones
from roost.publishing.models import Campaign

AREA = "analytics"
PRESETS = (7, 28, 90)
DEFAULT_DAYS = 28
CUSTOM = "dates"
# Figures where a fall is good news (shown in green, a rise in red).
LOWER_IS_BETTER = frozenset({"first_response", "negative_share", "failures", "approval_lead_time"})
MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)


def _invalid(message: str, field: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, field=field)


def _date(raw: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise _invalid(f"Write the {field} date as YYYY-MM-DD.", field) from None


def period_from(params: QueryDict, *, today: dt.date) -> Period:
    """The period the query string asks for: `days` 7, 28 or 90 (ending today), or
    `days=dates` (or no `days`) with `start` and `end`; 28 days when it asks for none."""
    raw = params.get("days", "")
    start_raw, end_raw = params.get("start", "").strip(), params.get("end", "").strip()
    if raw == CUSTOM or (not raw and (start_raw or end_raw)):
        if not (start_raw and end_raw):
            raise _invalid("Give both the first and the last day.", "start")
        start, end = _date(start_raw, "start"), _date(end_raw, "end")
        if end < start:
            raise _invalid("The last day comes on or after the first.", "end")
        if start < EARLIEST or end > today + dt.timedelta(days=1):
            raise _invalid(f"Choose days from {EARLIEST:%Y} to today.", "start")
        if (end - start).days + 1 > MAX_DAYS:
            raise _invalid(f"A period is at most {MAX_DAYS} days.", "end")
        return Period(start, end)
    raw = raw or str(DEFAULT_DAYS)
    if raw not in {str(days) for days in PRESETS}:
        raise _invalid("Choose 7, 28 or 90 days, or dates.", "days")
    days = int(raw)
    return Period(today - dt.timedelta(days=days - 1), today)


def _figure_view(figure: Figure) -> dict[str, Any]:
    change = figure.change
    if figure.value is None:
        direction = "none"
    elif change is None:
        direction = "new" if figure.previous == 0 and figure.value else "none"
    elif abs(change) < 0.02:
        direction = "flat"
    else:
        direction = "up" if change > 0 else "down"
    tone = ""
    if direction in ("up", "down"):
        better = (direction == "down") == (figure.key in LOWER_IS_BETTER)
        tone = "dash-better" if better else "dash-worse"
    return {
        "figure": figure,
        "tone": tone,
        "value": "—" if figure.value is None else value_text(figure.value, figure.unit),
        "previous": "—" if figure.previous is None else value_text(figure.previous, figure.unit),
        "change": "" if change is None else f"{change:+.0%}",
        "direction": direction,
    }


def _layout(board: Dashboard) -> dict[str, Any]:
    return {
        "figures": [_figure_view(figure) for figure in board.figures],
        "charts": [
            {
                "chart": chart,
                "svg": chart_svg(chart, dom_id=f"chart-{chart.key}"),
                "table": chart.table(),
                "legend": [
                    {"name": series.name, "index": i % 6, "colour": series_colour(i)}
                    for i, series in enumerate(chart.series)
                ],
            }
            for chart in board.charts
        ],
    }


def _filter_choices(viewer: Any, kind_filters: tuple[str, ...]) -> dict[str, Any]:
    channels = list(q.channels_visible(viewer=viewer))
    choices: dict[str, Any] = {}
    if "network" in kind_filters:
        networks = sorted({channel.network for channel in channels})
        choices["networks"] = [(key, q.network_label(key)) for key in networks]
    if "channel" in kind_filters:
        choices["channels"] = [
            (str(channel.pk), f"{channel.handle} ({q.network_label(channel.network)})")
            for channel in channels
        ]
    if "campaign" in kind_filters:
        choices["campaigns"] = [
            (str(pk), name)
            for pk, name in Campaign.objects.filter(organization_id=viewer.organization_id)
            .order_by("-release_at", "-created_at", "-pk")
            .values_list("pk", "name")[:200]
        ]
    if "team" in kind_filters:
        choices["teams"] = [
            (str(pk), name)
            for pk, name in Team.objects.filter(organization_id=viewer.organization_id)
            .order_by("name")
            .values_list("pk", "name")
        ]
    return choices


@login_required
@require_GET
@page_access(Action.ANALYTICS_VIEW)
def dashboard_page(request: HttpRequest, kind: str) -> HttpResponse:
    viewer = viewer_of(request)
    declared = {k.kind: k for k in dashboard_kinds()}[kind]
    period = period_from(request.GET, today=timezone.now().astimezone(dt.UTC).date())
    filters = {
        name: request.GET.get(name, "")[:200]
        for name in declared.filters
        if request.GET.get(name, "").strip()
    }
    board = dashboard_build(kind, viewer=viewer, period=period, filters=filters)
    custom = request.GET.get("days") == CUSTOM or (
        not request.GET.get("days") and bool(request.GET.get("start"))
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "area": AREA,
            "board": board,
            "kinds": dashboard_kinds(),
            "kind": kind,
            "presets": PRESETS,
            "days": None if custom else int(request.GET.get("days") or DEFAULT_DAYS),
            "custom": custom,
            "query": request.GET.urlencode(),
            "previous_period": period.previous(),
            "chosen": board.filters,
            "may_configure": can(viewer, Action.ANALYTICS_CONFIGURE),
            "may_report": can(viewer, Action.REPORT_MANAGE),
            **_filter_choices(viewer, declared.filters),
            **_layout(board),
        },
    )


@login_required
@page_access(Action.ANALYTICS_VIEW)
def definitions_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    settings = settings_of(viewer.organization_id)
    error: ApplicationError | None = None
    if request.method == "POST":
        spans = {day: request.POST.get(f"hours_{day}", "")[:500].split(",") for day in range(7)}
        try:
            analytics_settings_update(
                actor=viewer,
                organization=viewer.organization,
                engagement_basis=request.POST.get("engagement_basis", ""),
                time_zone=request.POST.get("time_zone", "")[:64],
                business_hours=spans,
            )
        except ApplicationError as refused:
            if refused.code is not ErrorCode.INVALID:
                raise
            error = refused
        else:
            messages.success(request, "The definitions are saved.")
            return redirect("analytics:definitions")
    hours = settings.business_hours or {}
    return render(
        request,
        "analytics/definitions.html",
        {
            "area": AREA,
            "settings": settings,
            "error": error,
            "posted": request.POST if error else None,
            "may_configure": can(viewer, Action.ANALYTICS_CONFIGURE),
            "bases": EngagementBasis.choices,
            "weekdays": [
                (day, name, ", ".join(hours.get(str(day), []))) for day, name in enumerate(WEEKDAYS)
            ],
            "time_zones": sorted(known_time_zones()),
            "definitions": [
                ENGAGEMENTS,
                engagement_rate_definition(settings.engagement_basis),
                IMPRESSIONS,
                REACH,
                FOLLOWER_GROWTH,
                CONVERSATIONS,
                first_response_definition(settings),
                SLA_ATTAINMENT,
                ON_TIME,
                FAILURES,
                APPROVAL_LEAD_TIME,
            ],
            "all_rates": [engagement_rate_definition(basis) for basis in EngagementBasis.values],
        },
    )
