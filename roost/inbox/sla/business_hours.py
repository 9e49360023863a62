"""Business hours: when a team is open, and how much open time lies between two moments.

Opening hours are wall-clock times in the calendar's own time zone, and holidays are dates
there. A moment is open when its wall-clock time in that zone falls in one of the intervals
of its weekday and its date is not a holiday. Open time is counted in real elapsed seconds,
which is what matters on the two nights a year when clocks change: wall-clock times in the
spring-forward gap never happen, so they add nothing, and the hour repeated at fall-back
happens twice, so an interval covering it counts it twice. A 24/7 calendar therefore counts
23 hours on the spring-forward day and 25 on the fall-back day.

The arithmetic runs over stretches of constant UTC offset, and inside each stretch one
local day at a time, so a span of months costs a few hundred steps. Pure Python, no
database: the inbox services build a `BusinessCalendar` from their policies and pass it in.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[dt.time, dt.time]
"""Opening hours within a day: from the start (inclusive) to the end (exclusive)."""

END_OF_DAY = dt.time(0)
"""As an interval's end, midnight means 24:00: the interval runs to the end of the day."""

_DAY = dt.timedelta(days=1)
# Offset changes are found by sampling the zone this often, then bisecting to the second.
# No zone changes its offset twice within six hours and back again.
_SCAN_STEP = dt.timedelta(hours=6)


def hours(*spans: str) -> tuple[Interval, ...]:
    """Intervals from spans written "HH:MM-HH:MM"; "24:00" is the end of the day.

    `hours("09:00-12:00", "13:00-17:00")` is a day with a lunch break.
    """
    intervals: list[Interval] = []
    for span in spans:
        start_text, separator, end_text = span.partition("-")
        if not separator:
            raise ValueError(f"opening hours must look like 09:00-17:00, not {span!r}")
        intervals.append((_parse_time(start_text), _parse_time(end_text)))
    return tuple(intervals)


def _parse_time(text: str) -> dt.time:
    text = text.strip()
    if text == "24:00":
        return END_OF_DAY
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day such as 09:00") from None


def _since_midnight(moment: dt.time) -> dt.timedelta:
    return dt.timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours and holidays in one time zone.

    `weekly` maps a weekday (0 is Monday, as in `date.weekday()`) to its intervals; a day
    left out is closed. An interval ending at `END_OF_DAY` runs to 24:00; one that crosses
    midnight is written as two, one on each day. Intervals are stored sorted; overlapping
    ones are an error. `holidays` are dates in the calendar's zone, closed all day.
    """

    time_zone: str
    weekly: Mapping[int, Sequence[Interval]]
    holidays: AbstractSet[dt.date] = frozenset()
    _offsets: tuple[tuple[tuple[dt.timedelta, dt.timedelta], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        unknown = sorted(set(self.weekly) - set(range(7)))
        if unknown:
            raise ValueError(f"weekdays run from 0 (Monday) to 6 (Sunday), not {unknown}")
        weekly: dict[int, tuple[Interval, ...]] = {}
        offsets: list[tuple[tuple[dt.timedelta, dt.timedelta], ...]] = []
        for weekday in range(7):
            intervals = sorted(
                self.weekly.get(weekday, ()), key=lambda interval: _since_midnight(interval[0])
            )
            day: list[tuple[dt.timedelta, dt.timedelta]] = []
            for start, end in intervals:
                opens = _since_midnight(start)
                closes = _DAY if end == END_OF_DAY else _since_midnight(end)
                if closes <= opens:
                    raise ValueError(f"on weekday {weekday}, {start} to {end} is not an interval")
                if day and opens < day[-1][1]:
                    raise ValueError(f"on weekday {weekday}, intervals overlap at {start}")
                day.append((opens, closes))
            if intervals:
                weekly[weekday] = tuple((start, end) for start, end in intervals)
            offsets.append(tuple(day))
        # Normalised so that equal hours compare equal, however they were written.
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_offsets", tuple(offsets))

    def __hash__(self) -> int:
        return hash((self.time_zone, tuple(self.weekly.items()), self.holidays))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def has_hours(self) -> bool:
        """Whether the calendar is ever open."""
        return any(self._offsets)

    def open_offsets(self, day: dt.date) -> tuple[tuple[dt.timedelta, dt.timedelta], ...]:
        """The open intervals of a local date, as offsets from its midnight; none on a
        holiday. The end of the last one may be a full day (24:00)."""
        if day in self.holidays:
            return ()
        return self._offsets[day.weekday()]


def twenty_four_seven(time_zone: str = "UTC") -> BusinessCalendar:
    """Always open. The zone matters only for holidays added with `dataclasses.replace`."""
    return BusinessCalendar(time_zone, {weekday: hours("00:00-24:00") for weekday in range(7)})


TWENTY_FOUR_SEVEN = twenty_four_seven()


def is_open(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Whether the calendar is open at an aware moment."""
    local = _as_utc(moment, "moment").astimezone(calendar.zone)
    since_midnight = _since_midnight(local.time())
    return any(
        opens <= since_midnight < closes for opens, closes in calendar.open_offsets(local.date())
    )


def business_seconds_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> float:
    """Seconds of open time from `start` to `end` (aware moments); 0 if `end` is not later."""
    start = _as_utc(start, "start")
    end = _as_utc(end, "end")
    total = dt.timedelta()
    for opens, closes in _open_spans(calendar, start, until=end):
        total += closes - opens
    return total.total_seconds()


def add_business_seconds(
    calendar: BusinessCalendar, start: dt.datetime, seconds: float
) -> dt.datetime:
    """The earliest moment (UTC) by which `seconds` of open time have passed since `start`.

    Outside opening hours the count starts at the next opening; a count that ends exactly
    at a closing returns the closing moment, not the next opening. Zero seconds returns
    `start` itself. The result is rounded to the microsecond, as datetimes are.
    """
    start = _as_utc(start, "start")
    if seconds < 0:
        raise ValueError(f"cannot add a negative amount of open time ({seconds} s)")
    if not calendar.has_hours:
        raise ValueError("the calendar has no opening hours")
    remaining = dt.timedelta(seconds=seconds)
    if not remaining:
        return start
    for opens, closes in _open_spans(calendar, start):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("open spans of a calendar with hours never run out")


def next_opening(calendar: BusinessCalendar, moment: dt.datetime) -> dt.datetime:
    """`moment` itself (in UTC) if the calendar is open then, else when it next opens."""
    moment = _as_utc(moment, "moment")
    if not calendar.has_hours:
        raise ValueError("the calendar has no opening hours")
    opens, _closes = next(_open_spans(calendar, moment))
    return opens


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(dt.UTC)


def _open_spans(
    calendar: BusinessCalendar, start: dt.datetime, until: dt.datetime | None = None
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Open periods (UTC) from `start` on, in order and clipped to [start, until).

    Without `until` the periods never end, so the caller must stop. Inside a stretch of
    constant UTC offset the local wall clock is exactly a fixed-offset clock, so each
    local day's intervals become UTC periods by plain arithmetic in that fixed zone.
    """
    zone = calendar.zone
    stretch_start = start
    while until is None or stretch_start < until:
        stretch_end = _next_offset_change(calendar.time_zone, stretch_start)
        if until is not None:
            stretch_end = min(stretch_end, until)
        local_clock = dt.timezone(_utc_offset(zone, stretch_start))
        wall_start = stretch_start.astimezone(local_clock)
        wall_end = stretch_end.astimezone(local_clock)
        day = wall_start.date()
        while (midnight := dt.datetime.combine(day, dt.time(), tzinfo=local_clock)) < wall_end:
            for opens, closes in calendar.open_offsets(day):
                span_start = max(midnight + opens, wall_start)
                span_end = min(midnight + closes, wall_end)
                if span_start < span_end:
                    yield span_start.astimezone(dt.UTC), span_end.astimezone(dt.UTC)
            day += _DAY
        stretch_start = stretch_end


def _utc_offset(zone: ZoneInfo, moment: dt.datetime) -> dt.timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _next_offset_change(time_zone: str, after: dt.datetime) -> dt.datetime:
    """A moment later than `after` up to which the zone keeps the offset it has at
    `after`: its next offset change, or two years on at most."""
    for year in (after.year, after.year + 1):
        for change in _offset_changes(time_zone, year):
            if change > after:
                return change
    return dt.datetime(after.year + 2, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=512)
def _offset_changes(time_zone: str, year: int) -> tuple[dt.datetime, ...]:
    """The moments (UTC) in (1 January `year`, 1 January `year + 1`] at which the zone's
    UTC offset changes; each is the first moment with the new offset."""
    zone = ZoneInfo(time_zone)
    point = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    stop = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    offset = _utc_offset(zone, point)
    changes: list[dt.datetime] = []
    while point < stop:
        following = min(point + _SCAN_STEP, stop)
        if _utc_offset(zone, following) == offset:
            point = following
            continue
        # Offsets change on whole seconds: bisect in seconds until the change is pinned.
        before, at = 0, int((following - point).total_seconds())
        while at - before > 1:
            middle = (before + at) // 2
            if _utc_offset(zone, point + dt.timedelta(seconds=middle)) == offset:
                before = middle
            else:
                at = middle
        point += dt.timedelta(seconds=at)
        changes.append(point)
        offset = _utc_offset(zone, point)
    return tuple(changes)
