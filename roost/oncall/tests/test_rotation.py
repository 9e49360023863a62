"""The rotation arithmetic, on its own: no database, real zones from the IANA database."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections import defaultdict

import pytest

from roost.oncall.rotation import (
    Interval,
    OverrideSpec,
    Rotation,
    RotationError,
    RotationErrorCode,
    TimeOffSpec,
    gaps,
    hours,
    on_call,
    rotation_intervals,
    schedule_intervals,
    swap_overrides,
)

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def daily(zone: str, members: tuple[str, ...], *, at: dt.time = dt.time(9, 0), **kw) -> Rotation:
    return Rotation(
        name=kw.pop("name", "primary"),
        zone=zone,
        rotation_start=kw.pop("rotation_start", local(zone, 2026, 1, 1, 0, 0)),
        shift=kw.pop("shift", "daily"),
        handoff_time=at,
        members=members,
        **kw,
    )


def assert_contiguous(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> None:
    """The intervals tile [start, end): no gap, no overlap."""
    assert intervals[0].start == start
    assert intervals[-1].end == end
    for before, after in itertools.pairwise(intervals):
        assert before.end == after.start, (before, after)


@pytest.mark.parametrize(
    ("zone", "change_day", "change_hours"),
    [
        ("Europe/Warsaw", dt.date(2026, 3, 29), 23),  # clocks go forward
        ("Europe/Warsaw", dt.date(2026, 10, 25), 25),  # and back
        ("America/New_York", dt.date(2026, 3, 8), 23),
        ("America/New_York", dt.date(2026, 11, 1), 25),
        ("Asia/Singapore", dt.date(2026, 3, 29), 24),  # no daylight saving at all
    ],
)
def test_daily_handoffs_stay_at_local_time_across_a_change(zone, change_day, change_hours):
    rotation = daily(zone, ("ana", "ben", "cai"))
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime.combine(change_day - dt.timedelta(days=3), dt.time(9), tz)
    end = dt.datetime.combine(change_day + dt.timedelta(days=3), dt.time(9), tz)

    shifts = rotation_intervals(rotation, start, end)

    assert_contiguous(shifts, start, end)
    assert {s.start.astimezone(tz).time() for s in shifts} == {dt.time(9, 0)}
    lengths = {
        s.start.astimezone(tz).date(): (s.end - s.start) / dt.timedelta(hours=1) for s in shifts
    }
    # The shift that holds the change is an hour short or long; every other lasts 24 hours.
    assert lengths.pop(change_day - dt.timedelta(days=1)) == change_hours
    assert set(lengths.values()) == {24}
    # The order holds through the change: each person hands over to the next in turn.
    members = list(rotation.members)
    for before, after in itertools.pairwise(shifts):
        assert members.index(after.person) == (members.index(before.person) + 1) % 3


def test_members_take_turns_in_their_order_from_the_rotation_start():
    rotation = daily(
        "Europe/Warsaw", ("ana", "ben", "cai"), rotation_start=local("Europe/Warsaw", 2026, 3, 1, 9)
    )
    shifts = rotation_intervals(rotation, utc(2026, 3, 1), utc(2026, 3, 8))
    assert [s.person for s in shifts] == ["ana", "ben", "cai", "ana", "ben", "cai", "ana"]
    # Nobody is on call before the rotation starts.
    assert shifts[0].start == local("Europe/Warsaw", 2026, 3, 1, 9)


@pytest.mark.parametrize(
    ("zone", "start_day"),
    [
        ("Europe/Warsaw", (2026, 3, 16)),
        ("America/New_York", (2026, 10, 19)),
        ("Asia/Singapore", (2026, 3, 16)),
    ],
)
def test_a_weekly_rotation_across_a_change_has_no_gap_and_no_overlap(zone, start_day):
    rotation = daily(
        zone,
        ("ana", "ben"),
        shift="weekly",
        at=dt.time(10, 0),
        rotation_start=local(zone, *start_day, 10),
    )
    start, end = local(zone, *start_day, 10), local(zone, *start_day, 10) + dt.timedelta(days=28)

    shifts = rotation_intervals(rotation, start, end)

    assert_contiguous(shifts, start, end)
    assert gaps(shifts, start, end) == []
    assert (
        hours((s.start, s.end) for s in shifts)
        == sum((s.end - s.start).total_seconds() for s in shifts) / 3600
    )
    tz = zoneinfo.ZoneInfo(zone)
    assert {s.start.astimezone(tz).time() for s in shifts} == {dt.time(10, 0)}
    assert {s.start.astimezone(tz).weekday() for s in shifts} == {start.weekday()}
    if zone != "Asia/Singapore":
        assert sorted((s.end - s.start) / dt.timedelta(hours=1) for s in shifts)[0] in (167, 168)
        assert {(s.end - s.start) / dt.timedelta(hours=1) for s in shifts} - {168} in ({167}, {169})


def test_a_handoff_at_an_hour_that_does_not_exist_comes_once_the_clocks_have_moved():
    # 02:30 does not exist in Warsaw on 29 March 2026.
    rotation = daily("Europe/Warsaw", ("ana", "ben"), at=dt.time(2, 30))
    start, end = utc(2026, 3, 27), utc(2026, 4, 1)
    shifts = rotation_intervals(rotation, start, end)
    assert_contiguous(shifts, start, end)
    handoffs = [s.start for s in shifts[1:]]
    assert local("Europe/Warsaw", 2026, 3, 29, 3, 30) in handoffs


def test_a_custom_twelve_hour_rotation_keeps_its_local_handoffs():
    rotation = daily(
        "America/New_York", ("ana", "ben", "cai"), shift="custom", shift_hours=12, at=dt.time(8, 0)
    )
    start, end = local("America/New_York", 2026, 3, 6, 8), local("America/New_York", 2026, 3, 10, 8)
    shifts = rotation_intervals(rotation, start, end)
    assert_contiguous(shifts, start, end)
    tz = zoneinfo.ZoneInfo("America/New_York")
    assert {s.start.astimezone(tz).time() for s in shifts} == {dt.time(8), dt.time(20)}
    assert len(shifts) == 8


def region(zone: str, members: tuple[str, ...], opens: dt.time, closes: dt.time) -> Rotation:
    return Rotation(
        name=zone,
        zone=zone,
        rotation_start=utc(2026, 1, 1),
        shift="daily",
        handoff_time=dt.time(0, 0),
        members=members,
        window_start=opens,
        window_end=closes,
    )


def test_follow_the_sun_eight_to_four_everywhere_leaves_a_gap_every_evening_in_utc():
    eight, four = dt.time(8), dt.time(16)
    rotations = [
        region("Europe/Warsaw", ("wa",), eight, four),
        region("America/New_York", ("ny",), eight, four),
        region("Asia/Singapore", ("sg",), eight, four),
    ]
    winter = schedule_intervals(rotations=rotations, start=utc(2026, 1, 12), end=utc(2026, 1, 14))
    summer = schedule_intervals(rotations=rotations, start=utc(2026, 7, 13), end=utc(2026, 7, 15))

    # New York closes at 21:00 UTC in winter and 20:00 in summer; Singapore opens at 00:00.
    assert gaps(winter, utc(2026, 1, 12), utc(2026, 1, 14)) == [
        (utc(2026, 1, 12, 21), utc(2026, 1, 13)),
        (utc(2026, 1, 13, 21), utc(2026, 1, 14)),
    ]
    assert gaps(summer, utc(2026, 7, 13), utc(2026, 7, 15)) == [
        (utc(2026, 7, 13, 20), utc(2026, 7, 14)),
        (utc(2026, 7, 14, 20), utc(2026, 7, 15)),
    ]
    assert on_call(winter, utc(2026, 1, 12, 14)) == ["wa", "ny"]  # the handover overlap
    assert on_call(winter, utc(2026, 1, 12, 22)) == []


FOLLOW_THE_SUN = [
    region("Asia/Singapore", ("sg1", "sg2"), dt.time(7), dt.time(16)),
    region("Europe/Warsaw", ("wa1", "wa2", "wa3"), dt.time(8), dt.time(17)),
    region("America/New_York", ("ny1", "ny2"), dt.time(9), dt.time(19)),
]


def test_follow_the_sun_with_overlapping_windows_covers_every_hour_of_the_year():
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    intervals = schedule_intervals(rotations=FOLLOW_THE_SUN, start=start, end=end)
    assert gaps(intervals, start, end) == []
    # And every region keeps its own clock: Warsaw opens at 08:00 local in both seasons.
    for month in (1, 7):
        assert not any(
            str(p).startswith("wa")
            for p in on_call(intervals, local("Europe/Warsaw", 2026, month, 14, 7, 59))
        )
        assert any(
            str(p).startswith("wa")
            for p in on_call(intervals, local("Europe/Warsaw", 2026, month, 14, 8, 0))
        )


def test_follow_the_sun_load_is_shared_evenly_within_each_region_over_a_month():
    # March holds the spring changes of both Warsaw and New York; the month is counted
    # on each region's own calendar.
    for rotation in FOLLOW_THE_SUN:
        tz = zoneinfo.ZoneInfo(rotation.zone)
        start = dt.datetime(2026, 3, 1, tzinfo=tz)
        end = dt.datetime(2026, 4, 1, tzinfo=tz)
        loads: dict[str, float] = defaultdict(float)
        for interval in rotation_intervals(rotation, start, end):
            loads[str(interval.person)] += (interval.end - interval.start) / dt.timedelta(hours=1)
        assert rotation.window_start is not None and rotation.window_end is not None
        window_hours = rotation.window_end.hour - rotation.window_start.hour
        # Each window is the same on the local clock every day, changes or not, and the
        # days are dealt out in turn: nobody is more than one shift ahead of anyone.
        assert set(loads) == set(rotation.members)
        assert max(loads.values()) - min(loads.values()) <= window_hours
        assert all(load % window_hours == 0 for load in loads.values())
        assert sum(loads.values()) == 31 * window_hours


def test_an_override_of_the_schedule_puts_one_person_on_call():
    rotations = [
        daily("Europe/Warsaw", ("ana", "ben")),
        daily("Europe/Warsaw", ("cai",), name="backup"),
    ]
    override = OverrideSpec("dan", utc(2026, 2, 2, 12), utc(2026, 2, 2, 18))
    intervals = schedule_intervals(
        rotations=rotations, start=utc(2026, 2, 2), end=utc(2026, 2, 3), overrides=[override]
    )
    assert on_call(intervals, utc(2026, 2, 2, 11)) != ["dan"]
    assert on_call(intervals, utc(2026, 2, 2, 12)) == ["dan"]
    assert on_call(intervals, utc(2026, 2, 2, 17, 59)) == ["dan"]
    assert "dan" not in on_call(intervals, utc(2026, 2, 2, 18))
    assert gaps(intervals, utc(2026, 2, 2), utc(2026, 2, 3)) == []


def test_an_override_of_one_person_leaves_the_other_layers_alone():
    rotations = [daily("Europe/Warsaw", ("ana",)), daily("Europe/Warsaw", ("cai",), name="backup")]
    override = OverrideSpec("dan", utc(2026, 2, 2, 12), utc(2026, 2, 2, 18), replaces="ana")
    intervals = schedule_intervals(
        rotations=rotations, start=utc(2026, 2, 2), end=utc(2026, 2, 3), overrides=[override]
    )
    assert set(on_call(intervals, utc(2026, 2, 2, 13))) == {"dan", "cai"}
    assert set(on_call(intervals, utc(2026, 2, 2, 19))) == {"ana", "cai"}


def test_a_swap_trades_shifts_and_keeps_everyones_hours():
    rotation = daily(
        "Europe/Warsaw", ("ana", "ben"), rotation_start=local("Europe/Warsaw", 2026, 2, 2, 9)
    )
    start, end = local("Europe/Warsaw", 2026, 2, 2, 9), local("Europe/Warsaw", 2026, 2, 6, 9)
    monday = (local("Europe/Warsaw", 2026, 2, 2, 9), local("Europe/Warsaw", 2026, 2, 3, 9))
    tuesday = (local("Europe/Warsaw", 2026, 2, 3, 9), local("Europe/Warsaw", 2026, 2, 4, 9))
    before = schedule_intervals(rotations=[rotation], start=start, end=end)
    assert on_call(before, utc(2026, 2, 2, 12)) == ["ana"]
    assert on_call(before, utc(2026, 2, 3, 12)) == ["ben"]

    swap = swap_overrides(first="ana", second="ben", first_gives=monday, second_gives=tuesday)
    after = schedule_intervals(rotations=[rotation], start=start, end=end, overrides=swap)

    assert on_call(after, utc(2026, 2, 2, 12)) == ["ben"]
    assert on_call(after, utc(2026, 2, 3, 12)) == ["ana"]
    assert on_call(after, utc(2026, 2, 4, 12)) == ["ana"]  # untouched from Wednesday
    assert gaps(after, start, end) == []

    def load(intervals):
        totals: dict[str, float] = defaultdict(float)
        for i in intervals:
            totals[str(i.person)] += (i.end - i.start).total_seconds()
        return dict(totals)

    assert load(after) == load(before)


def test_time_off_takes_the_person_out_and_can_leave_a_gap():
    rotation = daily(
        "Europe/Warsaw", ("ana", "ben"), rotation_start=local("Europe/Warsaw", 2026, 2, 2, 9)
    )
    start, end = local("Europe/Warsaw", 2026, 2, 2, 9), local("Europe/Warsaw", 2026, 2, 4, 9)
    away = TimeOffSpec("ana", utc(2026, 2, 2, 0), utc(2026, 2, 2, 23))
    intervals = schedule_intervals(rotations=[rotation], start=start, end=end, time_off=[away])
    assert gaps(intervals, start, end) == [(start, utc(2026, 2, 2, 23))]
    # A backup layer closes the gap; an override taken for the time off keeps it closed.
    backup = daily("Europe/Warsaw", ("cai",), name="backup")
    covered = schedule_intervals(
        rotations=[rotation, backup], start=start, end=end, time_off=[away]
    )
    assert gaps(covered, start, end) == []
    swapped = schedule_intervals(
        rotations=[rotation],
        start=start,
        end=end,
        time_off=[away],
        overrides=[OverrideSpec("ben", start, utc(2026, 2, 2, 23), replaces="ana")],
    )
    assert gaps(swapped, start, end) == []
    assert on_call(swapped, utc(2026, 2, 2, 12)) == ["ben"]


def test_overlapping_overrides_are_refused():
    rotation = daily("Europe/Warsaw", ("ana", "ben"))
    first = OverrideSpec("cai", utc(2026, 2, 2, 10), utc(2026, 2, 2, 14))
    second = OverrideSpec("dan", utc(2026, 2, 2, 13), utc(2026, 2, 2, 15))
    with pytest.raises(RotationError) as caught:
        schedule_intervals(
            rotations=[rotation],
            start=utc(2026, 2, 2),
            end=utc(2026, 2, 3),
            overrides=[first, second],
        )
    assert caught.value.code is RotationErrorCode.OVERLAPPING_OVERRIDES
    assert "2026-02-02 10:00" in caught.value.message
    # Overrides of two different people at the same time do not collide; of the same one they do.
    of_ana = OverrideSpec("cai", utc(2026, 2, 2, 10), utc(2026, 2, 2, 14), replaces="ana")
    of_ben = OverrideSpec("dan", utc(2026, 2, 2, 10), utc(2026, 2, 2, 14), replaces="ben")
    schedule_intervals(
        rotations=[rotation], start=utc(2026, 2, 2), end=utc(2026, 2, 3), overrides=[of_ana, of_ben]
    )
    again = OverrideSpec("dan", utc(2026, 2, 2, 13), utc(2026, 2, 2, 16), replaces="ana")
    with pytest.raises(RotationError) as caught:
        schedule_intervals(
            rotations=[rotation],
            start=utc(2026, 2, 2),
            end=utc(2026, 2, 3),
            overrides=[of_ana, again],
        )
    assert caught.value.code is RotationErrorCode.OVERLAPPING_OVERRIDES
    # Touching ends are not an overlap.
    after = OverrideSpec("dan", utc(2026, 2, 2, 14), utc(2026, 2, 2, 16))
    schedule_intervals(
        rotations=[rotation], start=utc(2026, 2, 2), end=utc(2026, 2, 3), overrides=[first, after]
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"members": ()}, RotationErrorCode.EMPTY_ROTATION),
        ({"zone": "Mars/Olympus_Mons"}, RotationErrorCode.UNKNOWN_TIME_ZONE),
        ({"zone": "../../etc/passwd"}, RotationErrorCode.UNKNOWN_TIME_ZONE),
        ({"zone": ""}, RotationErrorCode.UNKNOWN_TIME_ZONE),
        ({"shift": "fortnightly"}, RotationErrorCode.BAD_SHIFT_KIND),
        ({"shift": "custom", "shift_hours": 0}, RotationErrorCode.BAD_SHIFT_LENGTH),
        ({"window_start": dt.time(8)}, RotationErrorCode.BAD_WINDOW),
        (
            {"window_start": dt.time(8), "window_end": dt.time(16), "window_days": "78"},
            RotationErrorCode.BAD_WINDOW_DAYS,
        ),
        ({"rotation_start": dt.datetime(2026, 1, 1)}, RotationErrorCode.NAIVE_DATETIME),  # noqa: DTZ001
    ],
)
def test_bad_rotations_are_refused_with_a_clear_error(changes, code):
    fields = {
        "name": "primary",
        "zone": "Europe/Warsaw",
        "rotation_start": utc(2026, 1, 1),
        "shift": "daily",
        "handoff_time": dt.time(9),
        "members": ("ana",),
    } | changes
    with pytest.raises(RotationError) as caught:
        Rotation(**fields)
    assert caught.value.code is code
    assert caught.value.message


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(RotationError) as caught:
        OverrideSpec("ana", utc(2026, 2, 2, 12), utc(2026, 2, 2, 11))
    assert caught.value.code is RotationErrorCode.BAD_PERIOD
    with pytest.raises(RotationError) as caught:
        swap_overrides(first="ana", second="ana", first_gives=(utc(2026, 2, 2), utc(2026, 2, 3)))
    assert caught.value.code is RotationErrorCode.SAME_PERSON
