"""Fairness and load, per person and month: on-call hours, the share of them outside the
person's working hours and at weekends (on their own clock), and the pages they received,
with those at night (22:00 to 07:00 their time).

Pages are read from the paging part of this app through the app registry, so these
figures stand on their own until paging exists."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps

from roost.core.models import User
from roost.oncall.models import Schedule
from roost.oncall.rotation import Interval, hours, hours_outside_working, is_night, weekend_hours
from roost.oncall.rotation.intervals import Period
from roost.oncall.schedules.plans import plans_for
from roost.oncall.schedules.selectors import shifts_for_person


@dataclass(frozen=True)
class Load:
    person: User
    on_call_hours: float
    outside_working_hours: float
    weekend_hours: float
    pages: int
    night_pages: int


def month_bounds(year: int, month: int, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The month from its first midnight to the next month's, on `zone`'s clock, in UTC."""
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime(year, month, 1, tzinfo=tz)
    after = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), after.astimezone(dt.UTC)


def _pages_of(
    people: list[User], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[int, int]]:
    """(pages, pages at night) per person id: each page counted once per person, and at
    night when any of its notifications to them came at night on their clock."""
    try:
        notification = apps.get_model("oncall", "PageNotification")
    except LookupError:
        return {}
    zones = {person.pk: person.time_zone for person in people}
    seen: dict[int, dict[int, bool]] = defaultdict(dict)
    rows = notification.objects.filter(
        person_id__in=list(zones), created_at__gte=start, created_at__lt=end
    ).values_list("person_id", "page_id", "created_at")
    for person_id, page_id, created_at in rows:
        night = is_night(created_at, zone=zones[person_id])
        seen[person_id][page_id] = seen[person_id].get(page_id, False) or night
    return {person_id: (len(pages), sum(pages.values())) for person_id, pages in seen.items()}


def _loads(
    periods: dict[int, list[Period]], people: list[User], start: dt.datetime, end: dt.datetime
) -> list[Load]:
    pages = _pages_of(people, start, end)
    found = []
    for person in people:
        own = periods.get(person.pk, [])
        count, night = pages.get(person.pk, (0, 0))
        found.append(
            Load(
                person=person,
                on_call_hours=hours(own),
                outside_working_hours=hours_outside_working(
                    own,
                    zone=person.time_zone,
                    work_days=person.work_days,
                    work_start=person.work_start,
                    work_end=person.work_end,
                ),
                weekend_hours=weekend_hours(own, zone=person.time_zone),
                pages=count,
                night_pages=night,
            )
        )
    return found


def _by_person(intervals: list[Interval]) -> dict[int, list[Period]]:
    periods: dict[int, list[Period]] = defaultdict(list)
    for interval in intervals:
        if isinstance(interval.person, int):
            periods[interval.person].append((interval.start, interval.end))
    return periods


def schedule_load(*, schedule: Schedule, year: int, month: int) -> list[Load]:
    """Everyone the schedule put on call in the month (its own zone's calendar), and
    everyone in its rotations, busiest first."""
    start, end = month_bounds(year, month, schedule.time_zone)
    plan = plans_for([schedule], start=start, end=end)[schedule.pk]
    periods = _by_person(plan.intervals(start, end))
    ids = set(periods) | {p for r in plan.rotations for p in r.members if isinstance(p, int)}
    people = list(User.objects.filter(organization_id=schedule.organization_id, pk__in=ids))
    loads = _loads(periods, people, start, end)
    return sorted(loads, key=lambda load: (-load.on_call_hours, load.person.name))


def person_load(*, person: User, year: int, month: int) -> Load:
    """The person's load over every schedule in the month (their own zone's calendar)."""
    start, end = month_bounds(year, month, person.time_zone)
    shifts = shifts_for_person(person=person, start=start, end=end)
    periods = {person.pk: [(shift.start, shift.end) for shift in shifts]}
    return _loads(periods, [person], start, end)[0]
