"""Half-open time intervals [start, end) of aware datetimes, and who holds them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace

from roost.oncall.rotation.errors import RotationError, RotationErrorCode

Period = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Interval:
    """`person` is on call from `start` to `end` by `source` (a layer's name, or an
    override's label when `override` is true)."""

    start: dt.datetime
    end: dt.datetime
    person: Hashable
    source: str
    override: bool = False

    def clipped(self, start: dt.datetime, end: dt.datetime) -> Interval | None:
        lo, hi = max(self.start, start), min(self.end, end)
        return replace(self, start=lo, end=hi) if lo < hi else None


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name`; a clear error for anything that is not an IANA zone."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise RotationError(RotationErrorCode.UNKNOWN_TIME_ZONE, zone=name) from exc


def require_period(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise RotationError(RotationErrorCode.NAIVE_DATETIME)
    if end <= start:
        raise RotationError(RotationErrorCode.BAD_PERIOD)


def at_wall_time(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant the clocks in `zone` show `time` on `day`, in UTC.

    Across a change, an hour that repeats means its first occurrence (fold 0); an hour
    that does not exist means an hour later, once the clocks have moved on."""
    return dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), zone).astimezone(dt.UTC)


def union(periods: Iterable[Period]) -> list[Period]:
    """The periods merged: sorted, with overlapping or touching ones joined."""
    merged: list[Period] = []
    for start, end in sorted(periods):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(first: Iterable[Period], second: Iterable[Period]) -> list[Period]:
    """Where both sets of periods hold."""
    a, b = union(first), union(second)
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            found.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


def subtract(periods: Iterable[Period], holes: Iterable[Period]) -> list[Period]:
    """The periods with the holes taken out."""
    result: list[Period] = []
    cut = union(holes)
    for start, end in union(periods):
        cursor = start
        for hole_start, hole_end in cut:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def gaps(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> list[Period]:
    """The periods between start and end when nobody is on call."""
    return subtract([(start, end)], [(i.start, i.end) for i in intervals])


def on_call(intervals: Iterable[Interval], at: dt.datetime) -> list[Hashable]:
    """Who is on call at `at`, each once, in the order of the intervals."""
    people: list[Hashable] = []
    for interval in intervals:
        if interval.start <= at < interval.end and interval.person not in people:
            people.append(interval.person)
    return people
