"""One rotation: members in order, handing over at a wall-clock time in its own zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass

from roost.oncall.rotation.errors import RotationError, RotationErrorCode
from roost.oncall.rotation.intervals import (
    Interval,
    Period,
    at_wall_time,
    intersect,
    require_period,
    zone_named,
)

SHIFT_DAYS = {"daily": 1, "weekly": 7}
MAX_SHIFT_HOURS = 24 * 365


@dataclass(frozen=True)
class Rotation:
    """A rotation as its layer describes it.

    Shift k (k = 0, 1, ...) starts at the k-th handoff: on the wall clock of `zone`,
    the first handoff at `handoff_time` on or before `rotation_start`, plus k shift
    lengths (1 day, 7 days or `shift_hours`); it goes to `members[k % len(members)]`.
    Nobody is on call before `rotation_start`. With a window, each shift only counts
    between `window_start` and `window_end` (local; an end before the start runs past
    midnight) on the weekdays in `window_days` (the day the window opens)."""

    name: str
    zone: str
    rotation_start: dt.datetime
    shift: str
    handoff_time: dt.time
    members: tuple[Hashable, ...]
    shift_hours: int = 24
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    window_days: str = "0123456"

    def __post_init__(self) -> None:
        zone_named(self.zone)
        if not self.members:
            raise RotationError(RotationErrorCode.EMPTY_ROTATION, name=self.name)
        if self.rotation_start.tzinfo is None:
            raise RotationError(RotationErrorCode.NAIVE_DATETIME)
        if self.shift not in (*SHIFT_DAYS, "custom"):
            raise RotationError(RotationErrorCode.BAD_SHIFT_KIND, kind=self.shift)
        if self.shift == "custom" and not 1 <= self.shift_hours <= MAX_SHIFT_HOURS:
            raise RotationError(RotationErrorCode.BAD_SHIFT_LENGTH)
        if (self.window_start is None) != (self.window_end is None):
            raise RotationError(RotationErrorCode.BAD_WINDOW)
        days = self.window_days
        if not days or any(c not in "0123456" for c in days) or len(set(days)) != len(days):
            raise RotationError(RotationErrorCode.BAD_WINDOW_DAYS)

    @property
    def step(self) -> dt.timedelta:
        """The length of a shift on the wall clock."""
        if self.shift == "custom":
            return dt.timedelta(hours=self.shift_hours)
        return dt.timedelta(days=SHIFT_DAYS[self.shift])

    def _first_handoff_wall(self) -> dt.datetime:
        zone = zone_named(self.zone)
        local = self.rotation_start.astimezone(zone).replace(tzinfo=None)
        first = dt.datetime.combine(local.date(), self.handoff_time.replace(tzinfo=None))
        return first if first <= local else first - dt.timedelta(days=1)

    def handoff(self, k: int) -> dt.datetime:
        """The instant (UTC) of the k-th handoff."""
        wall = self._first_handoff_wall() + k * self.step
        return at_wall_time(wall.date(), wall.time(), zone_named(self.zone))

    def windows(self, start: dt.datetime, end: dt.datetime) -> list[Period]:
        """The daily windows that touch [start, end), in UTC."""
        assert self.window_start is not None and self.window_end is not None
        zone = zone_named(self.zone)
        first = start.astimezone(zone).date() - dt.timedelta(days=1)
        last = end.astimezone(zone).date() + dt.timedelta(days=1)
        crosses_midnight = self.window_end <= self.window_start
        found = []
        day = first
        while day <= last:
            if str(day.weekday()) in self.window_days:
                closes_on = day + dt.timedelta(days=1) if crosses_midnight else day
                opens = at_wall_time(day, self.window_start, zone)
                closes = at_wall_time(closes_on, self.window_end, zone)
                if opens < closes:
                    found.append((opens, closes))
            day += dt.timedelta(days=1)
        return found


def rotation_intervals(rotation: Rotation, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Who the rotation puts on call between start and end, in time order."""
    require_period(start, end)
    start = max(start, rotation.rotation_start)
    if start >= end:
        return []
    # The wall clock and real time differ by at most a few hours of offset change, so
    # starting a couple of shifts early never misses the shift that holds `start`.
    nominal = rotation.step.total_seconds()
    k = max(0, int((start - rotation.handoff(0)).total_seconds() // nominal) - 2)
    shifts: list[Interval] = []
    n = len(rotation.members)
    while True:
        shift_start, shift_end = rotation.handoff(k), rotation.handoff(k + 1)
        if shift_start >= end:
            break
        piece = Interval(shift_start, shift_end, rotation.members[k % n], rotation.name)
        clipped = piece.clipped(max(start, rotation.rotation_start), end)
        if clipped is not None:
            shifts.append(clipped)
        k += 1
    if rotation.window_start is None:
        return shifts
    windows = rotation.windows(start, end)
    restricted = []
    for shift in shifts:
        for lo, hi in intersect([(shift.start, shift.end)], windows):
            restricted.append(Interval(lo, hi, shift.person, shift.source))
    return restricted
