"""Schedules, who is on call, and overrides over the API: the same selectors and services
as the pages. Ids in a request body that the caller cannot use answer 422 naming the
field; ids in the path answer 404. Times are ISO 8601 with their offset."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Id, Moment
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.oncall.models import Layer, Override, Schedule
from roost.oncall.schedules import selectors, services

router = Router(tags=["on call"])

Name = Annotated[str, Strict(), Field(min_length=1, max_length=120)]
Zone = Annotated[str, Strict(), Field(min_length=1, max_length=64)]
Reason = Annotated[str, Strict(), Field(max_length=300)]
Text = Annotated[str, Strict(), Field(max_length=2000)]
MAX_WINDOW = dt.timedelta(days=92)


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class PersonOut(Schema):
    id: int
    name: str
    email: str


class MemberOut(PersonOut):
    position: int


class LayerOut(Schema):
    id: int
    name: str
    position: int
    time_zone: str
    rotation_start: dt.datetime
    shift: str
    shift_hours: int
    handoff_time: str
    window_start: str | None
    window_end: str | None
    window_days: str
    members: list[MemberOut]


class ScheduleOut(Schema):
    id: int
    name: str
    time_zone: str
    owner_id: int | None
    description: str


class ScheduleDetailOut(ScheduleOut):
    layers: list[LayerOut]
    on_call_now: list[PersonOut]


class ScheduleIn(Input):
    name: Name
    time_zone: Zone
    owner_id: Id | None = None
    description: Text = ""


class ShiftOut(Schema):
    schedule_id: int
    layer: str
    person: PersonOut
    start: dt.datetime
    end: dt.datetime


class GapOut(Schema):
    start: dt.datetime
    end: dt.datetime


class CoverageOut(Schema):
    start: dt.datetime
    end: dt.datetime
    shifts: list[ShiftOut]
    gaps: list[GapOut]


class OnCallOut(Schema):
    schedule: ScheduleOut
    people: list[PersonOut]
    until: dt.datetime | None
    next_people: list[PersonOut]


class OverrideOut(Schema):
    id: int
    schedule_id: int
    person_id: int
    replaces_id: int | None
    start: dt.datetime
    end: dt.datetime
    reason: str
    swap_group: str


class OverrideIn(Input):
    person_id: Id
    start: Moment
    end: Moment
    replaces_id: Id | None = None
    reason: Reason = ""


class Window(Schema):
    start: Moment | None = None
    end: Moment | None = None


def _person_out(person: User) -> PersonOut:
    return PersonOut(id=person.pk, name=person.name, email=person.email)


def _schedule_out(schedule: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.pk,
        name=schedule.name,
        time_zone=schedule.time_zone,
        owner_id=schedule.owner_id,
        description=schedule.description,
    )


def _layer_out(layer: Layer) -> LayerOut:
    return LayerOut(
        id=layer.pk,
        name=layer.name,
        position=layer.position,
        time_zone=layer.zone_name,
        rotation_start=layer.rotation_start,
        shift=layer.shift,
        shift_hours=layer.shift_hours,
        handoff_time=layer.handoff_time.strftime("%H:%M"),
        window_start=layer.window_start.strftime("%H:%M") if layer.window_start else None,
        window_end=layer.window_end.strftime("%H:%M") if layer.window_end else None,
        window_days=layer.window_days,
        members=[
            MemberOut(id=m.person.pk, name=m.person.name, email=m.person.email, position=m.position)
            for m in layer.members.all()
        ],
    )


def _override_out(override: Override) -> OverrideOut:
    return OverrideOut(
        id=override.pk,
        schedule_id=override.schedule_id,
        person_id=override.person_id,
        replaces_id=override.replaces_id,
        start=override.start,
        end=override.end,
        reason=override.reason,
        swap_group=override.swap_group,
    )


def _schedule(viewer: User, schedule_id: int) -> Schedule:
    schedule = selectors.schedule_get(organization=viewer.organization, schedule_id=schedule_id)
    if schedule is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Schedule not found.")
    return schedule


def _person(viewer: User, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    person = User.objects.filter(organization_id=viewer.organization_id, pk=user_id).first()
    if person is None:
        raise ApplicationError(ErrorCode.INVALID, "No such person.", field=field)
    return person


def _detail(schedule: Schedule) -> ScheduleDetailOut:
    layers = (
        Layer.objects.filter(organization_id=schedule.organization_id, schedule=schedule)
        .select_related("schedule")
        .prefetch_related("members__person")
        .order_by("position", "pk")
    )
    now = dt.datetime.now(dt.UTC)
    return ScheduleDetailOut(
        **_schedule_out(schedule).dict(),
        layers=[_layer_out(layer) for layer in layers],
        on_call_now=[_person_out(p) for p in selectors.on_call_at(schedule=schedule, at=now)],
    )


@router.get("/oncall/schedules", response=list[ScheduleOut], summary="Schedules")
def schedule_list(request: HttpRequest) -> list[ScheduleOut]:
    viewer = require_scope(request, Scope.ONCALL_READ)
    return [_schedule_out(s) for s in selectors.schedule_list(organization=viewer.organization)]


@router.post("/oncall/schedules", response={201: ScheduleDetailOut}, summary="Create a schedule")
def schedule_create(request: HttpRequest, payload: ScheduleIn) -> Status:
    viewer = require_scope(request, Scope.ONCALL_WRITE)
    schedule = services.schedule_create(
        actor=viewer,
        organization=viewer.organization,
        name=payload.name,
        time_zone=payload.time_zone,
        owner=_person(viewer, payload.owner_id, "owner_id"),
        description=payload.description,
    )
    return Status(201, _detail(schedule))


@router.get(
    "/oncall/schedules/{schedule_id}",
    response=ScheduleDetailOut,
    summary="A schedule, its layers and who is on call now",
)
def schedule_get(request: HttpRequest, schedule_id: int) -> ScheduleDetailOut:
    viewer = require_scope(request, Scope.ONCALL_READ)
    return _detail(_schedule(viewer, schedule_id))


@router.get(
    "/oncall/schedules/{schedule_id}/coverage",
    response=CoverageOut,
    summary="Shifts and gaps between two times",
)
def schedule_coverage(request: HttpRequest, schedule_id: int, window: Query[Window]) -> CoverageOut:
    """From `start` (default: now) to `end` (default: 14 days later), at most 92 days."""
    viewer = require_scope(request, Scope.ONCALL_READ)
    schedule = _schedule(viewer, schedule_id)
    start = window.start or dt.datetime.now(dt.UTC)
    end = window.end or start + selectors.AHEAD
    if end <= start:
        raise ApplicationError(ErrorCode.INVALID, "The end must come after the start.", field="end")
    if end - start > MAX_WINDOW:
        raise ApplicationError(ErrorCode.INVALID, "At most 92 days at a time.", field="end")
    found = selectors.coverage(schedule=schedule, start=start, end=end)
    return CoverageOut(
        start=start,
        end=end,
        shifts=[
            ShiftOut(
                schedule_id=schedule.pk,
                layer=s.layer_name,
                person=_person_out(s.person),
                start=s.start,
                end=s.end,
            )
            for s in found.shifts
        ],
        gaps=[GapOut(start=lo, end=hi) for lo, hi in found.gaps],
    )


@router.get("/oncall/now", response=list[OnCallOut], summary="Who is on call now, per schedule")
def on_call_now(request: HttpRequest) -> list[OnCallOut]:
    viewer = require_scope(request, Scope.ONCALL_READ)
    return [
        OnCallOut(
            schedule=_schedule_out(row.schedule),
            people=[_person_out(p) for p in row.people],
            until=row.until,
            next_people=[_person_out(p) for p in row.next_people],
        )
        for row in selectors.on_call_now_for_organization(organization=viewer.organization)
    ]


@router.get(
    "/oncall/schedules/{schedule_id}/overrides",
    response=list[OverrideOut],
    summary="Overrides that have not ended",
)
def override_list(request: HttpRequest, schedule_id: int) -> list[OverrideOut]:
    viewer = require_scope(request, Scope.ONCALL_READ)
    schedule = _schedule(viewer, schedule_id)
    overrides = Override.objects.filter(
        organization_id=viewer.organization_id,
        schedule=schedule,
        end__gt=dt.datetime.now(dt.UTC),
    ).order_by("start", "pk")[:500]
    return [_override_out(o) for o in overrides]


@router.post(
    "/oncall/schedules/{schedule_id}/overrides",
    response={201: OverrideOut},
    summary="Someone takes a shift",
)
def override_create(request: HttpRequest, schedule_id: int, payload: OverrideIn) -> Status:
    """`replaces_id` empty: the person is the only one on call on the schedule then.
    409 when it overlaps another override of the same time."""
    viewer = require_scope(request, Scope.ONCALL_WRITE)
    schedule = _schedule(viewer, schedule_id)
    person = _person(viewer, payload.person_id, "person_id")
    assert person is not None
    override = services.override_create(
        actor=viewer,
        schedule=schedule,
        person=person,
        replaces=_person(viewer, payload.replaces_id, "replaces_id"),
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return Status(201, _override_out(override))


@router.delete(
    "/oncall/schedules/{schedule_id}/overrides/{override_id}",
    response={204: None},
    summary="Remove an override (a swap as a whole)",
)
def override_delete(request: HttpRequest, schedule_id: int, override_id: int) -> Status:
    viewer = require_scope(request, Scope.ONCALL_WRITE)
    schedule = _schedule(viewer, schedule_id)
    override = Override.objects.filter(
        organization_id=viewer.organization_id, schedule=schedule, pk=override_id
    ).first()
    if override is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Override not found.")
    services.override_delete(actor=viewer, override=override)
    return Status(204, None)
