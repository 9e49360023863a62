"""A schedule: its rotations added up, then overrides, swaps and time off applied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from roost.oncall.rotation.errors import RotationError, RotationErrorCode
from roost.oncall.rotation.intervals import Interval, Period, require_period, subtract
from roost.oncall.rotation.layers import Rotation, rotation_intervals


@dataclass(frozen=True)
class OverrideSpec:
    """`person` is on call from start to end instead of `replaces` (instead of everyone
    when None)."""

    person: Hashable
    start: dt.datetime
    end: dt.datetime
    replaces: Hashable | None = None
    label: str = "Override"

    def __post_init__(self) -> None:
        require_period(self.start, self.end)


@dataclass(frozen=True)
class TimeOffSpec:
    person: Hashable
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        require_period(self.start, self.end)


def _conflict(a: OverrideSpec, b: OverrideSpec) -> bool:
    if a.start >= b.end or b.start >= a.end:
        return False
    # Two overrides of the whole schedule, or of the same person, cannot both hold.
    return a.replaces is None or b.replaces is None or a.replaces == b.replaces


def check_overrides(overrides: Sequence[OverrideSpec]) -> None:
    """Raise OVERLAPPING_OVERRIDES when two overrides claim the same time."""
    ordered = sorted(overrides, key=lambda o: (o.start, o.end))
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start >= first.end:
                break
            if _conflict(first, second):
                raise RotationError(
                    RotationErrorCode.OVERLAPPING_OVERRIDES,
                    first=_described(first),
                    second=_described(second),
                )


def _described(override: OverrideSpec) -> str:
    return f"{override.start:%Y-%m-%d %H:%M}–{override.end:%Y-%m-%d %H:%M} UTC"


def _cut(interval: Interval, holes: Iterable[Period]) -> list[Interval]:
    return [
        Interval(lo, hi, interval.person, interval.source, interval.override)
        for lo, hi in subtract([(interval.start, interval.end)], holes)
    ]


def schedule_intervals(
    *,
    rotations: Sequence[Rotation],
    start: dt.datetime,
    end: dt.datetime,
    overrides: Sequence[OverrideSpec] = (),
    time_off: Sequence[TimeOffSpec] = (),
) -> list[Interval]:
    """Who is on call between start and end, in this order of rules:

    1. every rotation's shifts, added up (layers do not hide each other);
    2. an override of a person hands that person's time in its period to another;
    3. time off takes the person's rotation time out (it may leave a gap); time someone
       took by an override stays theirs;
    4. an override of the whole schedule puts one person on call for its period.
    """
    require_period(start, end)
    check_overrides(overrides)
    intervals: list[Interval] = []
    for rotation in rotations:
        intervals.extend(rotation_intervals(rotation, start, end))

    for override in (o for o in overrides if o.replaces is not None):
        window = [(override.start, override.end)]
        handed: list[Interval] = []
        for interval in intervals:
            if interval.person != override.replaces:
                handed.append(interval)
                continue
            handed.extend(_cut(interval, window))
            lo, hi = max(interval.start, override.start), min(interval.end, override.end)
            if lo < hi:
                handed.append(Interval(lo, hi, override.person, override.label, True))
        intervals = handed

    away: dict[Hashable, list[Period]] = {}
    for off in time_off:
        away.setdefault(off.person, []).append((off.start, off.end))
    if away:
        intervals = [
            piece
            for interval in intervals
            for piece in (
                _cut(interval, away[interval.person])
                if interval.person in away and not interval.override
                else [interval]
            )
        ]

    whole = [o for o in overrides if o.replaces is None]
    if whole:
        windows = [(o.start, o.end) for o in whole]
        intervals = [piece for interval in intervals for piece in _cut(interval, windows)]
        for override in whole:
            lo, hi = max(override.start, start), min(override.end, end)
            if lo < hi:
                intervals.append(Interval(lo, hi, override.person, override.label, True))

    return sorted(intervals, key=lambda i: (i.start, i.end, i.source))


def swap_overrides(
    *,
    first: Hashable,
    second: Hashable,
    first_gives: tuple[dt.datetime, dt.datetime],
    second_gives: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[OverrideSpec]:
    """A swap as overrides: `second` takes `first`'s time in `first_gives`, and (when
    given) `first` takes `second`'s time in `second_gives`."""
    if first == second:
        raise RotationError(RotationErrorCode.SAME_PERSON)
    swapped = [OverrideSpec(second, *first_gives, replaces=first, label="Swap")]
    if second_gives is not None:
        swapped.append(OverrideSpec(first, *second_gives, replaces=second, label="Swap"))
    return swapped
