"""Business hours: open moments, open time between moments and the moment a span of open
time ends, in the calendar's own zone, across weekends, holidays and both DST nights.
Pure functions: no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from roost.inbox.sla.business_hours import (
    END_OF_DAY,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    hours,
    is_open,
    next_opening,
    twenty_four_seven,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
MICROSECOND = dt.timedelta(microseconds=1)

WEEKDAYS = range(5)
OFFICE = BusinessCalendar(
    "Europe/Warsaw",
    {day: hours("09:00-17:00") for day in WEEKDAYS},
    holidays=frozenset({dt.date(2026, 11, 11)}),  # Independence Day, a Wednesday
)
LUNCH_BREAK = BusinessCalendar(
    "Europe/Warsaw", {day: hours("09:00-12:00", "13:00-17:00") for day in WEEKDAYS}
)
NEW_YORK_OFFICE = BusinessCalendar(
    "America/New_York", {day: hours("09:00-17:00") for day in WEEKDAYS}
)
NEW_YORK_NIGHTS = BusinessCalendar(
    "America/New_York", {day: hours("00:00-06:00", "22:00-24:00") for day in range(7)}
)
SUNDAY_SMALL_HOURS = BusinessCalendar("Europe/Warsaw", {6: hours("01:00-04:00")})
SUNDAY_FROM_HALF_PAST_TWO = BusinessCalendar("Europe/Warsaw", {6: hours("02:30-04:00")})
WARSAW_ALWAYS = twenty_four_seven("Europe/Warsaw")
NEW_YORK_ALWAYS = twenty_four_seven("America/New_York")


def warsaw(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=WARSAW)


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


class TestIsOpen:
    @pytest.mark.parametrize(
        ("calendar", "moment", "expected"),
        [
            (OFFICE, warsaw("2026-06-08 09:00"), True),
            (OFFICE, warsaw("2026-06-08 08:59:59"), False),
            (OFFICE, warsaw("2026-06-08 16:59:59.999999"), True),
            (OFFICE, warsaw("2026-06-08 17:00"), False),
            (OFFICE, warsaw("2026-06-13 12:00"), False),
            (OFFICE, warsaw("2026-06-14 12:00"), False),
            (OFFICE, warsaw("2026-11-11 12:00"), False),
            (OFFICE, warsaw("2026-11-12 12:00"), True),
            (OFFICE, dt.datetime(2026, 6, 8, 7, tzinfo=dt.UTC), True),
            (OFFICE, dt.datetime(2026, 1, 12, 7, 30, tzinfo=dt.UTC), False),
            (LUNCH_BREAK, warsaw("2026-06-08 11:59"), True),
            (LUNCH_BREAK, warsaw("2026-06-08 12:30"), False),
            (LUNCH_BREAK, warsaw("2026-06-08 13:00"), True),
            (NEW_YORK_NIGHTS, new_york("2026-10-31 23:30"), True),
            (NEW_YORK_NIGHTS, new_york("2026-11-01 01:30"), True),
            (NEW_YORK_NIGHTS, new_york("2026-11-01 01:30").replace(fold=1), True),
            (NEW_YORK_NIGHTS, new_york("2026-11-01 06:00"), False),
            (TWENTY_FOUR_SEVEN, warsaw("2026-03-29 02:30"), True),
        ],
        ids=[
            "opening-moment",
            "a-second-before-opening",
            "last-microsecond",
            "closing-moment",
            "saturday",
            "sunday",
            "holiday",
            "day-after-holiday",
            "utc-moment-in-summer",
            "utc-moment-in-winter",
            "before-lunch",
            "lunch",
            "after-lunch",
            "night-shift-before-midnight",
            "fall-back-first-pass",
            "fall-back-second-pass",
            "night-shift-end",
            "always",
        ],
    )
    def test_is_open(self, calendar: BusinessCalendar, moment: dt.datetime, expected: bool) -> None:
        assert is_open(calendar, moment) is expected


class TestBusinessSecondsBetween:
    @pytest.mark.parametrize(
        ("calendar", "start", "end", "expected_hours"),
        [
            (OFFICE, warsaw("2026-06-08 10:00"), warsaw("2026-06-08 12:00"), 2),
            (OFFICE, warsaw("2026-06-08 07:00"), warsaw("2026-06-08 20:00"), 8),
            (OFFICE, warsaw("2026-06-12 16:00"), warsaw("2026-06-15 10:00"), 2),
            (OFFICE, warsaw("2026-06-13 10:00"), warsaw("2026-06-14 18:00"), 0),
            (OFFICE, warsaw("2026-06-08 00:00"), warsaw("2026-06-15 00:00"), 40),
            (OFFICE, warsaw("2026-11-10 16:00"), warsaw("2026-11-12 10:00"), 2),
            (OFFICE, warsaw("2026-06-08 12:00"), warsaw("2026-06-08 10:00"), 0),
            (OFFICE, warsaw("2026-01-01 00:00"), warsaw("2027-01-01 00:00"), 261 * 8 - 8),
            (LUNCH_BREAK, warsaw("2026-06-08 11:00"), warsaw("2026-06-08 14:00"), 2),
            (OFFICE, warsaw("2026-03-27 16:00"), warsaw("2026-03-30 10:00"), 2),
            (OFFICE, warsaw("2026-10-23 16:00"), warsaw("2026-10-26 10:00"), 2),
            (WARSAW_ALWAYS, warsaw("2026-03-29 01:00"), warsaw("2026-03-29 05:00"), 3),
            (WARSAW_ALWAYS, warsaw("2026-10-25 01:00"), warsaw("2026-10-25 05:00"), 5),
            (WARSAW_ALWAYS, warsaw("2026-03-29 00:00"), warsaw("2026-03-30 00:00"), 23),
            (WARSAW_ALWAYS, warsaw("2026-10-25 00:00"), warsaw("2026-10-26 00:00"), 25),
            (TWENTY_FOUR_SEVEN, warsaw("2026-03-29 01:00"), warsaw("2026-03-29 05:00"), 3),
            (SUNDAY_SMALL_HOURS, warsaw("2026-03-29 00:00"), warsaw("2026-03-30 00:00"), 2),
            (SUNDAY_SMALL_HOURS, warsaw("2026-10-25 00:00"), warsaw("2026-10-26 00:00"), 4),
            (SUNDAY_FROM_HALF_PAST_TWO, warsaw("2026-03-29 00:00"), warsaw("2026-03-30"), 1),
            (SUNDAY_FROM_HALF_PAST_TWO, warsaw("2026-10-25 00:00"), warsaw("2026-10-26"), 2),
            (NEW_YORK_OFFICE, new_york("2026-03-06 16:00"), new_york("2026-03-09 10:00"), 2),
            (NEW_YORK_OFFICE, new_york("2026-10-30 16:00"), new_york("2026-11-02 10:00"), 2),
            (NEW_YORK_ALWAYS, new_york("2026-03-08 00:00"), new_york("2026-03-08 04:00"), 3),
            (NEW_YORK_ALWAYS, new_york("2026-11-01 00:00"), new_york("2026-11-01 04:00"), 5),
            (NEW_YORK_NIGHTS, new_york("2026-03-07 22:00"), new_york("2026-03-08 06:00"), 7),
            (NEW_YORK_NIGHTS, new_york("2026-10-31 22:00"), new_york("2026-11-01 06:00"), 9),
        ],
        ids=[
            "same-day",
            "clipped-to-opening-hours",
            "weekend-skipped",
            "weekend-only",
            "whole-week",
            "holiday-skipped",
            "end-before-start",
            "whole-year-with-a-holiday",
            "lunch-break",
            "weekend-with-spring-forward",
            "weekend-with-fall-back",
            "24-7-spring-forward-night",
            "24-7-fall-back-night",
            "24-7-spring-forward-day-is-23-hours",
            "24-7-fall-back-day-is-25-hours",
            "24-7-utc-counts-the-same",
            "interval-across-the-gap",
            "interval-across-the-repeated-hour",
            "interval-starting-in-the-gap",
            "interval-starting-in-the-repeated-hour",
            "new-york-weekend-with-spring-forward",
            "new-york-weekend-with-fall-back",
            "new-york-24-7-spring-forward",
            "new-york-24-7-fall-back",
            "new-york-night-shift-spring-forward",
            "new-york-night-shift-fall-back",
        ],
    )
    def test_open_hours_between(
        self,
        calendar: BusinessCalendar,
        start: dt.datetime,
        end: dt.datetime,
        expected_hours: float,
    ) -> None:
        assert business_seconds_between(calendar, start, end) == expected_hours * HOUR

    def test_naive_datetimes_are_refused(self) -> None:
        naive = dt.datetime(2026, 6, 8, 9)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ValueError, match="aware"):
            business_seconds_between(OFFICE, naive, warsaw("2026-06-08 12:00"))


class TestAddBusinessSeconds:
    @pytest.mark.parametrize(
        ("calendar", "start", "business_hours", "expected"),
        [
            (OFFICE, warsaw("2026-06-12 16:00"), 4, warsaw("2026-06-15 12:00")),
            (OFFICE, warsaw("2026-06-13 10:00"), 1, warsaw("2026-06-15 10:00")),
            (OFFICE, warsaw("2026-06-08 07:00"), 1, warsaw("2026-06-08 10:00")),
            (OFFICE, warsaw("2026-06-08 16:00"), 1, warsaw("2026-06-08 17:00")),
            (OFFICE, warsaw("2026-06-08 17:00"), 0.5, warsaw("2026-06-09 09:30")),
            (OFFICE, warsaw("2026-11-10 16:00"), 2, warsaw("2026-11-12 10:00")),
            (OFFICE, warsaw("2026-06-08 12:00"), 0, warsaw("2026-06-08 12:00")),
            (OFFICE, warsaw("2026-06-13 10:00"), 0, warsaw("2026-06-13 10:00")),
            (OFFICE, warsaw("2026-06-08 09:00"), 160, warsaw("2026-07-03 17:00")),
            (OFFICE, warsaw("2026-01-01 00:00"), 2080, warsaw("2026-12-31 17:00")),
            (LUNCH_BREAK, warsaw("2026-06-08 11:30"), 1, warsaw("2026-06-08 13:30")),
            (LUNCH_BREAK, warsaw("2026-06-08 12:15"), 1, warsaw("2026-06-08 14:00")),
            (OFFICE, warsaw("2026-03-27 16:00"), 4, warsaw("2026-03-30 12:00")),
            (OFFICE, warsaw("2026-10-23 16:00"), 4, warsaw("2026-10-26 12:00")),
            (WARSAW_ALWAYS, warsaw("2026-03-29 01:00"), 3, warsaw("2026-03-29 05:00")),
            (WARSAW_ALWAYS, warsaw("2026-10-25 01:00"), 5, warsaw("2026-10-25 05:00")),
            (WARSAW_ALWAYS, warsaw("2026-03-28 12:00"), 24, warsaw("2026-03-29 13:00")),
            (NEW_YORK_OFFICE, new_york("2026-03-06 16:00"), 4, new_york("2026-03-09 12:00")),
            (NEW_YORK_OFFICE, new_york("2026-10-30 16:00"), 4, new_york("2026-11-02 12:00")),
            (NEW_YORK_ALWAYS, new_york("2026-11-01 00:00"), 5, new_york("2026-11-01 04:00")),
            (NEW_YORK_NIGHTS, new_york("2026-10-31 22:00"), 9, new_york("2026-11-01 06:00")),
        ],
        ids=[
            "friday-afternoon-due-monday-noon",
            "saturday-starts-at-monday-opening",
            "before-opening-starts-at-opening",
            "ends-at-closing-not-next-opening",
            "at-closing-starts-next-morning",
            "holiday-skipped",
            "zero-when-open",
            "zero-when-closed",
            "four-weeks",
            "a-year",
            "lunch-break-skipped",
            "starting-in-lunch-break",
            "weekend-with-spring-forward",
            "weekend-with-fall-back",
            "24-7-spring-forward",
            "24-7-fall-back",
            "24-7-a-real-day-over-spring-forward",
            "new-york-spring-forward",
            "new-york-fall-back",
            "new-york-24-7-fall-back",
            "new-york-night-shift-fall-back",
        ],
    )
    def test_due_moment(
        self,
        calendar: BusinessCalendar,
        start: dt.datetime,
        business_hours: float,
        expected: dt.datetime,
    ) -> None:
        result = add_business_seconds(calendar, start, business_hours * HOUR)
        assert result == expected
        assert result.tzinfo is dt.UTC

    def test_new_york_business_hours_move_in_utc_with_dst(self) -> None:
        before = add_business_seconds(NEW_YORK_OFFICE, new_york("2026-03-06 16:00"), 4 * HOUR)
        after = add_business_seconds(NEW_YORK_OFFICE, new_york("2026-03-09 16:00"), 4 * HOUR)
        assert before == dt.datetime(2026, 3, 9, 16, tzinfo=dt.UTC)  # noon EDT
        assert after == dt.datetime(2026, 3, 10, 16, tzinfo=dt.UTC)
        friday = add_business_seconds(NEW_YORK_OFFICE, new_york("2026-03-05 16:00"), 4 * HOUR)
        assert friday == dt.datetime(2026, 3, 6, 17, tzinfo=dt.UTC)  # noon EST

    def test_negative_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            add_business_seconds(OFFICE, warsaw("2026-06-08 09:00"), -1)

    def test_a_calendar_that_never_opens_is_refused(self) -> None:
        never = BusinessCalendar("Europe/Warsaw", {})
        with pytest.raises(ValueError, match="no opening hours"):
            add_business_seconds(never, warsaw("2026-06-08 09:00"), 60)
        assert business_seconds_between(never, warsaw("2026-06-08"), warsaw("2026-07-08")) == 0


class TestNextOpening:
    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (warsaw("2026-06-08 10:00"), warsaw("2026-06-08 10:00")),
            (warsaw("2026-06-08 17:00"), warsaw("2026-06-09 09:00")),
            (warsaw("2026-06-12 18:00"), warsaw("2026-06-15 09:00")),
            (warsaw("2026-11-10 18:00"), warsaw("2026-11-12 09:00")),
        ],
        ids=["open-now", "after-closing", "friday-evening", "before-holiday"],
    )
    def test_next_opening(self, moment: dt.datetime, expected: dt.datetime) -> None:
        assert next_opening(OFFICE, moment) == expected


class TestCalendar:
    def test_hours_reads_spans_and_24_00(self) -> None:
        assert hours("09:00-12:00", "13:30-24:00") == (
            (dt.time(9), dt.time(12)),
            (dt.time(13, 30), END_OF_DAY),
        )

    def test_equal_hours_written_differently_are_equal(self) -> None:
        written = BusinessCalendar(
            "Europe/Warsaw",
            {day: [(dt.time(13), dt.time(17)), (dt.time(9), dt.time(12))] for day in WEEKDAYS}
            | {6: []},
        )
        assert written == LUNCH_BREAK
        assert hash(written) == hash(LUNCH_BREAK)
        assert written.weekly[0] == hours("09:00-12:00", "13:00-17:00")
        assert 6 not in written.weekly

    def test_holidays_can_be_added(self) -> None:
        christmas = dataclasses.replace(WARSAW_ALWAYS, holidays=frozenset({dt.date(2026, 12, 25)}))
        assert not is_open(christmas, warsaw("2026-12-25 12:00"))
        assert business_seconds_between(
            christmas, warsaw("2026-12-24 12:00"), warsaw("2026-12-26 12:00")
        ) == (24 * HOUR)

    @pytest.mark.parametrize(
        ("time_zone", "weekly", "message"),
        [
            ("Europe/Atlantis", {0: hours("09:00-17:00")}, "unknown time zone"),
            ("", {0: hours("09:00-17:00")}, "unknown time zone"),
            ("Europe/Warsaw", {7: hours("09:00-17:00")}, "weekdays run from 0"),
            ("Europe/Warsaw", {0: hours("17:00-09:00")}, "not an interval"),
            ("Europe/Warsaw", {0: hours("09:00-09:00")}, "not an interval"),
            ("Europe/Warsaw", {0: hours("09:00-13:00", "12:00-17:00")}, "overlap"),
        ],
        ids=["unknown-zone", "empty-zone", "weekday-7", "backwards", "empty", "overlapping"],
    )
    def test_bad_calendars_are_refused(
        self, time_zone: str, weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            BusinessCalendar(time_zone, weekly)

    @pytest.mark.parametrize("span", ["9-17", "09:00", "09:00-25:00", "nine-five"])
    def test_bad_hours_are_refused(self, span: str) -> None:
        with pytest.raises(ValueError, match="09:00"):
            hours(span)


PROPERTY_CALENDARS = [
    OFFICE,
    LUNCH_BREAK,
    NEW_YORK_OFFICE,
    NEW_YORK_NIGHTS,
    WARSAW_ALWAYS,
    SUNDAY_FROM_HALF_PAST_TWO,
]
PROPERTY_IDS = ["office", "lunch", "new-york", "nights", "24-7", "sunday-half-past-two"]
DST_DAYS = [
    dt.date(2026, 3, 8),
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 25),
    dt.date(2026, 11, 1),
]


def random_moment(rng: random.Random) -> dt.datetime:
    """A moment in 2026, to the microsecond, half of the time within two days of a DST day."""
    if rng.random() < 0.5:
        base = dt.datetime.combine(rng.choice(DST_DAYS), dt.time(), tzinfo=dt.UTC)
        return base + dt.timedelta(microseconds=rng.randrange(-2 * 86_400_000_000, 86_400_000_000))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return start + dt.timedelta(microseconds=rng.randrange(365 * 86_400_000_000))


class TestInverseProperties:
    """`add_business_seconds` and `business_seconds_between` undo each other."""

    @pytest.mark.parametrize("calendar", PROPERTY_CALENDARS, ids=PROPERTY_IDS)
    def test_between_then_add_returns_to_the_end(self, calendar: BusinessCalendar) -> None:
        rng = random.Random(20260329)
        for case in range(60):
            start = random_moment(rng)
            end = start + dt.timedelta(seconds=rng.uniform(0, 120 * 86_400))
            seconds = business_seconds_between(calendar, start, end)
            back = add_business_seconds(calendar, start, seconds)
            context = f"case {case}: {start} to {end}, {seconds} s, back at {back}"
            assert start <= back <= end, context
            assert business_seconds_between(calendar, start, back) == pytest.approx(
                seconds, abs=1e-6
            ), context
            # Past `back` only closed time remains, and if `end` is open nothing remains.
            assert business_seconds_between(calendar, back, end) == 0, context
            if is_open(calendar, end - MICROSECOND) and seconds > 0:
                assert abs(back - end) <= MICROSECOND, context

    @pytest.mark.parametrize("calendar", PROPERTY_CALENDARS, ids=PROPERTY_IDS)
    def test_add_then_between_gives_the_seconds_back(self, calendar: BusinessCalendar) -> None:
        rng = random.Random(20261025)
        for case in range(60):
            start = random_moment(rng)
            seconds = round(rng.uniform(0.000001, 500 * HOUR), 6)
            due = add_business_seconds(calendar, start, seconds)
            context = f"case {case}: {start} plus {seconds} s is {due}"
            assert due > start, context
            assert business_seconds_between(calendar, start, due) == pytest.approx(
                seconds, abs=1e-6
            ), context
            # The count ends in open time: the microsecond before it was open.
            assert is_open(calendar, due - MICROSECOND), context

    @pytest.mark.parametrize("calendar", PROPERTY_CALENDARS, ids=PROPERTY_IDS)
    def test_between_matches_sampling_is_open(self, calendar: BusinessCalendar) -> None:
        """An independent count: every boundary here falls on a quarter hour in UTC, so
        sampling `is_open` each quarter hour counts the same open time exactly."""
        rng = random.Random(1111)
        quarter = dt.timedelta(minutes=15)
        for case in range(40):
            start = random_moment(rng)
            start = start.replace(minute=start.minute // 15 * 15, second=0, microsecond=0)
            steps = rng.randrange(0, 4 * 24 * 3)
            end = start + steps * quarter
            sampled = sum(is_open(calendar, start + step * quarter) for step in range(steps))
            assert business_seconds_between(calendar, start, end) == sampled * 900, (
                f"case {case}: {start} to {end}"
            )
