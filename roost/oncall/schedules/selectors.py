"""Who is on call: reads over schedules, with tenancy applied by the organisation given.

Everything is computed from the rows (layers, members, overrides, time off) by the
rotation library; nothing about shifts is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from roost.core.models import Organization, User
from roost.oncall.models import Override, Schedule
from roost.oncall.rotation import Interval, gaps, on_call
from roost.oncall.schedules.plans import Plan, plans_for

AHEAD = dt.timedelta(days=14)
MOMENT = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Shift:
    schedule: Schedule
    layer_name: str
    person: User
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Coverage:
    shifts: list[Shift]
    gaps: list[tuple[dt.datetime, dt.datetime]]
    # Layers that put nobody on call (everyone in them removed or deactivated).
    idle_layers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OnCallNow:
    schedule: Schedule
    people: list[User]
    until: dt.datetime | None
    next_people: list[User] = field(default_factory=list)


def schedule_list(*, organization: Organization) -> list[Schedule]:
    return list(
        Schedule.objects.filter(organization=organization).select_related("owner").order_by("name")
    )


def schedule_get(*, organization: Organization, schedule_id: int) -> Schedule | None:
    return (
        Schedule.objects.filter(organization=organization, pk=schedule_id)
        .select_related("owner")
        .first()
    )


def _people(organization_id: int, ids: Iterable[object]) -> dict[object, User]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    return {u.pk: u for u in User.objects.filter(organization_id=organization_id, pk__in=wanted)}


def _shifts(
    schedule: Schedule, intervals: list[Interval], people: dict[object, User]
) -> list[Shift]:
    return [
        Shift(schedule, i.source, people[i.person], i.start, i.end)
        for i in intervals
        if i.person in people
    ]


def coverage(*, schedule: Schedule, start: dt.datetime, end: dt.datetime) -> Coverage:
    """The schedule's shifts between start and end and the gaps (nobody on call)."""
    plan = plans_for([schedule], start=start, end=end)[schedule.pk]
    intervals = plan.intervals(start, end)
    people = _people(schedule.organization_id, (i.person for i in intervals))
    return Coverage(
        shifts=_shifts(schedule, intervals, people),
        gaps=gaps(intervals, start, end),
        idle_layers=plan.idle_layers,
    )


def on_call_at(*, schedule: Schedule, at: dt.datetime) -> list[User]:
    """Who is on call on the schedule at `at`, after overrides and time off; [] is a gap."""
    plan = plans_for([schedule], start=at, end=at + MOMENT)[schedule.pk]
    ids = on_call(plan.intervals(at, at + MOMENT), at)
    people = _people(schedule.organization_id, ids)
    return [people[i] for i in ids if i in people]


def _now_and_next(
    plan: Plan, at: dt.datetime
) -> tuple[list[object], dt.datetime | None, list[object]]:
    intervals = plan.intervals(at, at + AHEAD)
    now = on_call(intervals, at)
    changes = sorted({i.start for i in intervals if i.start > at} | {i.end for i in intervals})
    for moment in changes:
        if moment <= at or moment >= at + AHEAD:
            continue
        then = on_call(intervals, moment)
        if set(then) != set(now):
            return list(now), moment, list(then)
    return list(now), None, []


def on_call_now_for_organization(
    *, organization: Organization, at: dt.datetime | None = None
) -> list[OnCallNow]:
    """For each schedule of the organisation: who is on call now, until when, and who next
    (looking 14 days ahead; `until` None: no change in that time)."""
    moment = at or timezone.now()
    schedules = schedule_list(organization=organization)
    plans = plans_for(schedules, start=moment, end=moment + AHEAD)
    found = {schedule.pk: _now_and_next(plans[schedule.pk], moment) for schedule in schedules}
    people = _people(organization.pk, {p for now, _, then in found.values() for p in (*now, *then)})
    return [
        OnCallNow(
            schedule=schedule,
            people=[people[p] for p in found[schedule.pk][0] if p in people],
            until=found[schedule.pk][1],
            next_people=[people[p] for p in found[schedule.pk][2] if p in people],
        )
        for schedule in schedules
    ]


def schedules_of_person(*, person: User, start: dt.datetime, end: dt.datetime) -> list[Schedule]:
    """The schedules the person rotates on, or holds an override on between start and end."""
    return list(
        Schedule.objects.filter(organization_id=person.organization_id)
        .filter(
            Q(layers__members__person=person)
            | Q(
                pk__in=Override.objects.filter(person=person, end__gt=start, start__lt=end).values(
                    "schedule_id"
                )
            )
        )
        .distinct()
        .order_by("name")
    )


def shifts_for_person(*, person: User, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The person's shifts on every schedule of their organisation between start and end."""
    schedules = schedules_of_person(person=person, start=start, end=end)
    plans = plans_for(schedules, start=start, end=end)
    shifts = [
        Shift(schedule, i.source, person, i.start, i.end)
        for schedule in schedules
        for i in plans[schedule.pk].intervals(start, end)
        if i.person == person.pk
    ]
    return sorted(shifts, key=lambda s: (s.start, s.schedule.name))
