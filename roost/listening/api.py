"""Monitors and their matches over the API: the same selectors and services as the pages.

A query that does not parse is a 422 problem whose `position` is the 0-based offset of
the mistake in the query (`field` is "query").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Offset, StrictText
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, User
from roost.core.problem_json import problem
from roost.listening import selectors, services
from roost.listening.errors import QueryInvalid
from roost.listening.models import MAX_QUERY, Alert, Match, Monitor, Sensitivity

router = Router(tags=["listening"])
PAGE_LIMIT = 200
F = TypeVar("F", bound=Callable[..., Any])


def _query_problems(view: F) -> F:
    """Answer a query that does not parse with its position."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except QueryInvalid as error:
            return problem(
                request,
                status=error.status,
                code="query_invalid",
                detail=error.message,
                field="query",
                position=error.position,
            )

    return cast(F, guarded)


class MonitorOut(Schema):
    id: int
    brand_id: int
    brand: str
    name: str
    query: str
    sensitivity: str
    public_stream: bool
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class MonitorIn(Schema):
    model_config = ConfigDict(extra="forbid")

    brand_id: Id
    name: Annotated[StrictText, Field(max_length=services.MAX_NAME)]
    query: Annotated[StrictText, Field(max_length=MAX_QUERY)]
    sensitivity: Sensitivity = Sensitivity.NORMAL
    public_stream: Flag = True


class MonitorPatchIn(Schema):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    brand_id: Id | None = None
    name: Annotated[StrictText, Field(max_length=services.MAX_NAME)] | None = None
    query: Annotated[StrictText, Field(max_length=MAX_QUERY)] | None = None
    sensitivity: Sensitivity | None = None
    public_stream: Flag | None = None
    active: Flag | None = None


class MatchOut(Schema):
    id: int
    monitor_id: int
    source: str
    external_id: str
    url: str
    text: str
    author: str
    language: str
    sentiment: str
    at: dt.datetime


class MatchPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MatchOut]


class Page(Schema):
    limit: int = Field(50, ge=1, le=PAGE_LIMIT)
    offset: Offset = 0


class AlertOut(Schema):
    id: int
    monitor_id: int
    signal: str
    raised_at: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    observed: float
    expected: float
    factor: float
    negative_share: float
    summary: str
    top_terms: list[list[Any]]
    example_match_ids: list[int]
    incident_id: int | None


def _monitor_out(monitor: Monitor) -> MonitorOut:
    return MonitorOut(
        id=monitor.pk,
        brand_id=monitor.brand_id,
        brand=monitor.brand.name,
        name=monitor.name,
        query=monitor.query,
        sensitivity=monitor.sensitivity,
        public_stream=monitor.public_stream,
        active=monitor.active,
        created_at=monitor.created_at,
        updated_at=monitor.updated_at,
    )


def _match_out(match: Match) -> MatchOut:
    return MatchOut(
        id=match.pk,
        monitor_id=match.monitor_id,
        source=match.source,
        external_id=match.external_id,
        url=match.url,
        text=match.text,
        author=match.author,
        language=match.language,
        sentiment=match.sentiment,
        at=match.at,
    )


def _alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.pk,
        monitor_id=alert.monitor_id,
        signal=alert.signal,
        raised_at=alert.raised_at,
        window_start=alert.window_start,
        window_end=alert.window_end,
        observed=alert.observed,
        expected=alert.expected,
        factor=alert.factor,
        negative_share=alert.negative_share,
        summary=alert.summary,
        top_terms=alert.top_terms,
        example_match_ids=sorted(m.pk for m in alert.examples.all()),
        incident_id=alert.incident_id,
    )


def _brand(viewer: User, brand_id: int) -> Brand:
    found = Brand.objects.filter(organization_id=viewer.organization_id, pk=brand_id).first()
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such brand.", field="brand_id")
    return found


@router.get("/monitors", response=list[MonitorOut], summary="Every monitor of the organisation")
def monitor_list(request: HttpRequest) -> list[MonitorOut]:
    viewer = require_scope(request, Scope.LISTENING_READ)
    return [_monitor_out(m) for m in selectors.monitor_list(viewer=viewer)]


@router.post("/monitors", response={201: MonitorOut}, summary="Add a monitor")
@_query_problems
def monitor_create(request: HttpRequest, payload: MonitorIn) -> Status | HttpResponse:
    viewer = require_scope(request, Scope.LISTENING_WRITE)
    monitor = services.monitor_create(
        actor=viewer,
        organization=viewer.organization,
        brand=_brand(viewer, payload.brand_id),
        name=payload.name,
        query=payload.query,
        sensitivity=payload.sensitivity.value,
        public_stream=payload.public_stream,
    )
    return Status(201, _monitor_out(monitor))


@router.get("/monitors/{monitor_id}", response=MonitorOut, summary="One monitor")
def monitor_get(request: HttpRequest, monitor_id: int) -> MonitorOut:
    viewer = require_scope(request, Scope.LISTENING_READ)
    return _monitor_out(selectors.monitor_get(viewer=viewer, monitor_id=monitor_id))


@router.patch("/monitors/{monitor_id}", response=MonitorOut, summary="Change a monitor")
@_query_problems
def monitor_update(
    request: HttpRequest, monitor_id: int, payload: MonitorPatchIn
) -> MonitorOut | HttpResponse:
    viewer = require_scope(request, Scope.LISTENING_WRITE)
    monitor = selectors.monitor_get(viewer=viewer, monitor_id=monitor_id)
    services.monitor_update(
        actor=viewer,
        monitor=monitor,
        brand=_brand(viewer, payload.brand_id) if payload.brand_id is not None else None,
        name=payload.name,
        query=payload.query,
        sensitivity=payload.sensitivity.value if payload.sensitivity else None,
        public_stream=payload.public_stream,
        active=payload.active,
    )
    return _monitor_out(selectors.monitor_get(viewer=viewer, monitor_id=monitor_id))


@router.delete("/monitors/{monitor_id}", response={204: None}, summary="Delete a monitor")
def monitor_delete(request: HttpRequest, monitor_id: int) -> Status:
    """Its matches and alerts go with it."""
    viewer = require_scope(request, Scope.LISTENING_WRITE)
    monitor = selectors.monitor_get(viewer=viewer, monitor_id=monitor_id)
    services.monitor_delete(actor=viewer, monitor=monitor)
    return Status(204, None)


@router.get("/monitors/{monitor_id}/matches", response=MatchPage, summary="What a monitor matched")
def match_list(request: HttpRequest, monitor_id: int, page: Query[Page]) -> MatchPage:
    """Newest first."""
    viewer = require_scope(request, Scope.LISTENING_READ)
    monitor = selectors.monitor_get(viewer=viewer, monitor_id=monitor_id)
    matches = selectors.match_list(viewer=viewer, monitor=monitor)
    window = matches[page.offset : page.offset + page.limit]
    return MatchPage(
        count=matches.count(),
        limit=page.limit,
        offset=page.offset,
        items=[_match_out(m) for m in window],
    )


@router.get("/alerts", response=list[AlertOut], summary="The latest alerts")
def alert_list(request: HttpRequest, page: Query[Page]) -> list[AlertOut]:
    viewer = require_scope(request, Scope.LISTENING_READ)
    alerts = selectors.alert_list(viewer=viewer).prefetch_related("examples")
    return [_alert_out(a) for a in alerts[page.offset : page.offset + page.limit]]


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert")
def alert_get(request: HttpRequest, alert_id: int) -> AlertOut:
    viewer = require_scope(request, Scope.LISTENING_READ)
    return _alert_out(selectors.alert_get(viewer=viewer, alert_id=alert_id))
