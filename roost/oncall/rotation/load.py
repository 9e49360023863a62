"""How heavy on-call time is for a person: hours, out of working hours, at weekends, at night."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from roost.oncall.rotation.intervals import Period, at_wall_time, intersect, union, zone_named

NIGHT_STARTS = dt.time(22, 0)
NIGHT_ENDS = dt.time(7, 0)


def hours(periods: Iterable[Period]) -> float:
    """Hours covered by the periods (overlaps counted once)."""
    return sum((end - start).total_seconds() for start, end in union(periods)) / 3600


def _days(periods: list[Period], zone_name: str) -> list[dt.date]:
    zone = zone_named(zone_name)
    first = min(p[0] for p in periods).astimezone(zone).date() - dt.timedelta(days=1)
    last = max(p[1] for p in periods).astimezone(zone).date() + dt.timedelta(days=1)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def hours_outside_working(
    periods: Iterable[Period], *, zone: str, work_days: str, work_start: dt.time, work_end: dt.time
) -> float:
    """Hours of the periods outside the person's working hours (their zone; a working
    day whose end is before its start runs past midnight)."""
    merged = union(periods)
    if not merged:
        return 0.0
    tz = zone_named(zone)
    working = []
    for day in _days(merged, zone):
        if str(day.weekday()) not in work_days:
            continue
        ends_on = day + dt.timedelta(days=1) if work_end <= work_start else day
        working.append((at_wall_time(day, work_start, tz), at_wall_time(ends_on, work_end, tz)))
    return hours(merged) - hours(intersect(merged, working))


def weekend_hours(periods: Iterable[Period], *, zone: str) -> float:
    """Hours of the periods on Saturdays and Sundays in the person's zone."""
    merged = union(periods)
    if not merged:
        return 0.0
    tz = zone_named(zone)
    weekends = [
        (
            at_wall_time(day, dt.time(0), tz),
            at_wall_time(day + dt.timedelta(days=1), dt.time(0), tz),
        )
        for day in _days(merged, zone)
        if day.weekday() >= 5
    ]
    return hours(intersect(merged, weekends))


def is_night(at: dt.datetime, *, zone: str) -> bool:
    """Whether `at` falls between 22:00 and 07:00 on the person's clock."""
    local = at.astimezone(zone_named(zone)).time()
    return local >= NIGHT_STARTS or local < NIGHT_ENDS
