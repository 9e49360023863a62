"""SLA clocks over a conversation's timeline: first response and resolution, business hours,
pauses while waiting on the customer, reopens, warnings, breaches. Pure functions: no
database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from roost.inbox.sla.business_hours import BusinessCalendar, hours, twenty_four_seven
from roost.inbox.sla.clocks import (
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaState,
    SlaStatus,
    SlaTarget,
    sla_status,
)

WARSAW = ZoneInfo("Europe/Warsaw")
HOUR = 3600
OFFICE = BusinessCalendar(
    "Europe/Warsaw",
    {day: hours("09:00-17:00") for day in range(5)},
    holidays=frozenset({dt.date(2026, 11, 11)}),
)
# Four business hours to answer, two business days to resolve.
TARGET = SlaTarget(first_response_seconds=4 * HOUR, resolution_seconds=16 * HOUR, calendar=OFFICE)

OPENED = SlaEventKind.OPENED
CUSTOMER = SlaEventKind.CUSTOMER_MESSAGE
REPLY = SlaEventKind.AGENT_REPLY
WAITING = SlaEventKind.WAITING_STARTED
ANSWERED = SlaEventKind.WAITING_ENDED
CLOSED = SlaEventKind.CLOSED
REOPENED = SlaEventKind.REOPENED
OK = SlaState.OK
WARNING = SlaState.WARNING
BREACHED = SlaState.BREACHED


def warsaw(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=WARSAW)


def timeline(*entries: tuple[SlaEventKind, str]) -> list[SlaEvent]:
    """Events at Warsaw wall-clock times; 2026-06-08 is a Monday."""
    return [SlaEvent(kind, warsaw(when)) for kind, when in entries]


def status(events: list[SlaEvent], now: str, target: SlaTarget = TARGET) -> SlaStatus:
    return sla_status(target=target, events=events, now=warsaw(now))


def assert_clock(
    clock: SlaClock,
    *,
    elapsed_hours: float,
    state: SlaState,
    met: bool,
    due_at: str | None,
) -> None:
    assert clock.elapsed_seconds == elapsed_hours * HOUR
    assert clock.state is state
    assert clock.met is met
    assert clock.due_at == (warsaw(due_at) if due_at else None)


MONDAY_MESSAGE = timeline((OPENED, "2026-06-08 09:00"), (CUSTOMER, "2026-06-08 09:00"))


class TestFirstResponse:
    @pytest.mark.parametrize(
        ("events", "now", "elapsed_hours", "state", "met", "due_at"),
        [
            (MONDAY_MESSAGE, "2026-06-08 10:00", 1, OK, False, "2026-06-08 13:00"),
            (MONDAY_MESSAGE, "2026-06-08 11:59:24", 2.99, OK, False, "2026-06-08 13:00"),
            (MONDAY_MESSAGE, "2026-06-08 12:00", 3, WARNING, False, "2026-06-08 13:00"),
            (MONDAY_MESSAGE, "2026-06-08 13:00", 4, WARNING, False, "2026-06-08 13:00"),
            (MONDAY_MESSAGE, "2026-06-08 13:00:36", 4.01, BREACHED, False, "2026-06-08 13:00"),
            (MONDAY_MESSAGE, "2026-06-09 09:00", 8, BREACHED, False, "2026-06-08 13:00"),
            (
                [*MONDAY_MESSAGE, *timeline((REPLY, "2026-06-08 12:30"))],
                "2026-06-08 15:00",
                3.5,
                OK,
                True,
                "2026-06-08 13:00",
            ),
            (
                [*MONDAY_MESSAGE, *timeline((REPLY, "2026-06-08 13:00"))],
                "2026-06-08 15:00",
                4,
                OK,
                True,
                "2026-06-08 13:00",
            ),
            (
                [*MONDAY_MESSAGE, *timeline((REPLY, "2026-06-08 13:30"))],
                "2026-06-08 15:00",
                4.5,
                BREACHED,
                False,
                "2026-06-08 13:00",
            ),
            (
                timeline((CUSTOMER, "2026-06-12 16:00")),
                "2026-06-12 16:30",
                0.5,
                OK,
                False,
                "2026-06-15 12:00",
            ),
            (
                timeline((CUSTOMER, "2026-06-12 16:00")),
                "2026-06-14 12:00",
                1,
                OK,
                False,
                "2026-06-15 12:00",
            ),
            (
                timeline((CUSTOMER, "2026-06-13 10:00")),
                "2026-06-13 18:00",
                0,
                OK,
                False,
                "2026-06-15 13:00",
            ),
            (
                timeline((CUSTOMER, "2026-11-10 16:00")),
                "2026-11-11 12:00",
                1,
                OK,
                False,
                "2026-11-12 12:00",
            ),
            (
                timeline((CUSTOMER, "2026-03-27 16:00")),
                "2026-03-30 09:00",
                1,
                OK,
                False,
                "2026-03-30 12:00",
            ),
        ],
        ids=[
            "running",
            "just-under-75-percent",
            "warning-at-75-percent",
            "due-now-is-not-yet-breached",
            "breached",
            "breached-next-day",
            "met",
            "met-exactly-at-due",
            "replied-late",
            "friday-afternoon-due-monday-noon",
            "weekend-does-not-count",
            "saturday-message-counts-from-monday",
            "holiday-skipped",
            "over-spring-forward-weekend",
        ],
    )
    def test_first_response(
        self,
        events: list[SlaEvent],
        now: str,
        elapsed_hours: float,
        state: SlaState,
        met: bool,
        due_at: str,
    ) -> None:
        clock = status(events, now).first_response
        assert_clock(clock, elapsed_hours=elapsed_hours, state=state, met=met, due_at=due_at)
        assert clock.percent_used == pytest.approx(100 * elapsed_hours / 4)

    def test_counts_from_the_first_customer_message_not_the_opening(self) -> None:
        events = timeline((OPENED, "2026-06-08 09:00"), (CUSTOMER, "2026-06-08 11:00"))
        result = status(events, "2026-06-08 12:00")
        assert result.first_response.started_at == warsaw("2026-06-08 11:00")
        assert result.first_response.elapsed_seconds == 1 * HOUR
        assert result.resolution.elapsed_seconds == 3 * HOUR

    def test_a_later_customer_message_does_not_restart_it(self) -> None:
        events = timeline((CUSTOMER, "2026-06-08 09:00"), (CUSTOMER, "2026-06-08 12:00"))
        assert status(events, "2026-06-08 12:30").first_response.elapsed_seconds == 3.5 * HOUR

    def test_agent_messages_before_any_customer_message_are_not_replies(self) -> None:
        events = timeline(
            (OPENED, "2026-06-08 09:00"),
            (REPLY, "2026-06-08 09:05"),
            (CUSTOMER, "2026-06-08 10:00"),
        )
        clock = status(events, "2026-06-08 11:00").first_response
        assert clock.running
        assert clock.stopped_at is None
        assert clock.elapsed_seconds == 1 * HOUR

    def test_not_started_without_a_customer_message(self) -> None:
        clock = status(timeline((OPENED, "2026-06-08 09:00")), "2026-06-09 12:00").first_response
        assert not clock.started
        assert not clock.running
        assert clock.due_at is None
        assert clock.percent_used == 0
        assert clock.state is OK
        assert not clock.met

    def test_waiting_on_the_customer_does_not_pause_it(self) -> None:
        events = [*MONDAY_MESSAGE, *timeline((WAITING, "2026-06-08 10:00"))]
        clock = status(events, "2026-06-08 12:00").first_response
        assert clock.elapsed_seconds == 3 * HOUR
        assert not clock.paused

    def test_closing_without_a_reply_stops_it_unmet_and_a_reopen_resumes_it(self) -> None:
        closed = [*MONDAY_MESSAGE, *timeline((CLOSED, "2026-06-08 10:00"))]
        clock = status(closed, "2026-06-09 12:00").first_response
        assert clock.stopped_at == warsaw("2026-06-08 10:00")
        assert (clock.elapsed_seconds, clock.state, clock.met) == (1 * HOUR, OK, False)

        reopened = [*closed, *timeline((REOPENED, "2026-06-09 10:00"))]
        clock = status(reopened, "2026-06-09 12:00").first_response
        assert clock.running
        assert (clock.elapsed_seconds, clock.state) == (3 * HOUR, WARNING)
        assert clock.due_at == warsaw("2026-06-09 13:00")


class TestResolution:
    @pytest.mark.parametrize(
        ("events", "now", "elapsed_hours", "state", "met", "due_at"),
        [
            (MONDAY_MESSAGE, "2026-06-08 13:00", 4, OK, False, "2026-06-09 17:00"),
            (
                timeline(
                    (OPENED, "2026-06-08 09:00"),
                    (WAITING, "2026-06-08 10:00"),
                    (ANSWERED, "2026-06-08 12:00"),
                ),
                "2026-06-08 13:00",
                2,
                OK,
                False,
                "2026-06-10 11:00",
            ),
            (
                timeline(
                    (OPENED, "2026-06-12 09:00"),
                    (WAITING, "2026-06-12 17:30"),
                    (ANSWERED, "2026-06-14 20:00"),
                ),
                "2026-06-15 09:00",
                8,
                OK,
                False,
                "2026-06-15 17:00",
            ),
            (MONDAY_MESSAGE, "2026-06-09 13:00", 12, WARNING, False, "2026-06-09 17:00"),
            (MONDAY_MESSAGE, "2026-06-10 09:30", 16.5, BREACHED, False, "2026-06-09 17:00"),
            (
                [*MONDAY_MESSAGE, *timeline((CLOSED, "2026-06-08 15:00"))],
                "2026-06-10 12:00",
                6,
                OK,
                True,
                "2026-06-09 17:00",
            ),
            (
                [*MONDAY_MESSAGE, *timeline((CLOSED, "2026-06-10 10:00"))],
                "2026-06-10 12:00",
                17,
                BREACHED,
                False,
                "2026-06-09 17:00",
            ),
            (
                [
                    *MONDAY_MESSAGE,
                    *timeline((CLOSED, "2026-06-08 12:00"), (REOPENED, "2026-06-10 10:00")),
                ],
                "2026-06-10 11:00",
                4,
                OK,
                False,
                "2026-06-11 15:00",
            ),
            (
                [
                    *MONDAY_MESSAGE,
                    *timeline(
                        (CLOSED, "2026-06-08 12:00"),
                        (REOPENED, "2026-06-10 10:00"),
                        (CLOSED, "2026-06-10 11:00"),
                    ),
                ],
                "2026-06-12 09:00",
                4,
                OK,
                True,
                "2026-06-11 15:00",
            ),
            (
                [
                    *MONDAY_MESSAGE,
                    *timeline(
                        (CLOSED, "2026-06-08 12:00"),
                        (REOPENED, "2026-06-11 10:00"),
                        (CLOSED, "2026-06-15 12:00"),
                    ),
                ],
                "2026-06-15 12:00",
                21,
                BREACHED,
                False,
                "2026-06-12 15:00",
            ),
            (
                [
                    *MONDAY_MESSAGE,
                    *timeline((WAITING, "2026-06-08 10:00"), (CLOSED, "2026-06-09 10:00")),
                ],
                "2026-06-09 12:00",
                1,
                OK,
                True,
                "2026-06-10 17:00",
            ),
        ],
        ids=[
            "running",
            "pause-extends-due-at",
            "pause-outside-hours-changes-nothing",
            "warning-at-75-percent",
            "breached",
            "met",
            "closed-late",
            "reopen-continues-the-clock",
            "closed-again-in-time",
            "closed-again-too-late",
            "closed-while-waiting",
        ],
    )
    def test_resolution(
        self,
        events: list[SlaEvent],
        now: str,
        elapsed_hours: float,
        state: SlaState,
        met: bool,
        due_at: str,
    ) -> None:
        clock = status(events, now).resolution
        assert_clock(clock, elapsed_hours=elapsed_hours, state=state, met=met, due_at=due_at)

    def test_waiting_on_the_customer_pauses_it(self) -> None:
        events = timeline((OPENED, "2026-06-08 09:00"), (WAITING, "2026-06-08 10:00"))
        clock = status(events, "2026-06-09 15:00").resolution
        assert clock.paused
        assert not clock.running
        assert clock.elapsed_seconds == 1 * HOUR
        assert clock.remaining_seconds == 15 * HOUR
        assert clock.due_at is None  # nobody knows when the customer answers
        assert clock.state is OK

    def test_a_paused_clock_keeps_its_warning(self) -> None:
        events = timeline((OPENED, "2026-06-08 09:00"), (WAITING, "2026-06-09 14:00"))
        clock = status(events, "2026-06-10 12:00").resolution
        assert clock.paused
        assert (clock.elapsed_seconds, clock.state) == (13 * HOUR, WARNING)

    def test_the_pause_moves_due_at_by_the_business_time_paused(self) -> None:
        unpaused = status(MONDAY_MESSAGE, "2026-06-08 13:00").resolution.due_at
        paused = status(
            [
                *MONDAY_MESSAGE,
                *timeline((WAITING, "2026-06-08 10:00"), (ANSWERED, "2026-06-08 12:00")),
            ],
            "2026-06-08 13:00",
        ).resolution.due_at
        assert unpaused == warsaw("2026-06-09 17:00")
        assert paused == warsaw("2026-06-10 11:00")  # two business hours later

    def test_starts_at_the_first_customer_message_without_an_opened_event(self) -> None:
        events = timeline((CUSTOMER, "2026-06-08 10:00"))
        clock = status(events, "2026-06-08 11:00").resolution
        assert clock.started_at == warsaw("2026-06-08 10:00")
        assert clock.elapsed_seconds == 1 * HOUR

    def test_not_started_before_the_conversation_opens(self) -> None:
        clock = status([], "2026-06-08 11:00").resolution
        assert not clock.started
        assert clock.due_at is None
        assert clock.state is OK


class TestTimeline:
    def test_order_given_does_not_matter(self) -> None:
        events = timeline(
            (CLOSED, "2026-06-08 15:00"),
            (CUSTOMER, "2026-06-08 09:00"),
            (REPLY, "2026-06-08 10:00"),
            (OPENED, "2026-06-08 09:00"),
        )
        result = status(events, "2026-06-08 16:00")
        assert result.first_response.met
        assert result.resolution.met
        assert result.resolution.elapsed_seconds == 6 * HOUR

    def test_events_after_now_have_not_happened_yet(self) -> None:
        events = [*MONDAY_MESSAGE, *timeline((REPLY, "2026-06-08 12:00"))]
        earlier = status(events, "2026-06-08 11:00").first_response
        assert earlier.running
        assert not earlier.met
        assert earlier.elapsed_seconds == 2 * HOUR

    def test_events_that_change_no_status_change_nothing(self) -> None:
        events = [
            *MONDAY_MESSAGE,
            *timeline(
                (ANSWERED, "2026-06-08 10:00"),
                (OPENED, "2026-06-08 10:30"),
                (CLOSED, "2026-06-08 11:00"),
                (CLOSED, "2026-06-08 14:00"),
                (WAITING, "2026-06-08 15:00"),
                (REPLY, "2026-06-08 15:30"),
            ),
        ]
        result = status(events, "2026-06-09 12:00")
        assert result.resolution.stopped_at == warsaw("2026-06-08 11:00")
        assert result.resolution.elapsed_seconds == 2 * HOUR
        assert not result.resolution.paused
        # A reply after the close still answers; the clock did not count while closed.
        assert result.first_response.stopped_at == warsaw("2026-06-08 15:30")
        assert result.first_response.elapsed_seconds == 2 * HOUR
        assert result.first_response.met

    def test_naive_datetimes_are_refused(self) -> None:
        naive = dt.datetime(2026, 6, 8, 9)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ValueError, match="aware"):
            sla_status(target=TARGET, events=[], now=naive)
        with pytest.raises(ValueError, match="aware"):
            sla_status(
                target=TARGET, events=[SlaEvent(CUSTOMER, naive)], now=warsaw("2026-06-08 12:00")
            )


class TestAroundTheClock:
    def test_default_calendar_is_24_7(self) -> None:
        target = SlaTarget(first_response_seconds=24 * HOUR, resolution_seconds=72 * HOUR)
        saturday = dt.datetime(2026, 6, 13, 10, tzinfo=dt.UTC)
        result = sla_status(
            target=target,
            events=[SlaEvent(CUSTOMER, saturday)],
            now=saturday + dt.timedelta(hours=6),
        )
        assert result.first_response.elapsed_seconds == 6 * HOUR
        assert result.first_response.due_at == saturday + dt.timedelta(days=1)
        assert result.resolution.due_at == saturday + dt.timedelta(days=3)

    @pytest.mark.parametrize(
        ("now", "elapsed_hours", "state"),
        [
            ("2026-03-29 01:00", 13, OK),
            ("2026-03-29 12:30", 23.5, WARNING),
            ("2026-03-29 13:00", 24, WARNING),
            ("2026-03-29 13:30", 24.5, BREACHED),
        ],
        ids=["before-the-gap", "after-the-gap", "due", "breached"],
    )
    def test_a_day_over_spring_forward_is_24_real_hours(
        self, now: str, elapsed_hours: float, state: SlaState
    ) -> None:
        target = SlaTarget(
            first_response_seconds=24 * HOUR,
            resolution_seconds=48 * HOUR,
            calendar=twenty_four_seven("Europe/Warsaw"),
        )
        events = timeline((CUSTOMER, "2026-03-28 12:00"))
        clock = status(events, now, target).first_response
        assert clock.elapsed_seconds == elapsed_hours * HOUR
        assert clock.state is state
        assert clock.due_at == warsaw("2026-03-29 13:00")

    def test_fall_back_night_counts_its_repeated_hour(self) -> None:
        target = SlaTarget(
            first_response_seconds=4 * HOUR,
            resolution_seconds=48 * HOUR,
            calendar=twenty_four_seven("Europe/Warsaw"),
        )
        events = timeline((CUSTOMER, "2026-10-25 00:00"))
        clock = status(events, "2026-10-25 03:00", target).first_response
        assert clock.elapsed_seconds == 4 * HOUR
        assert clock.due_at == warsaw("2026-10-25 03:00")


class TestStatus:
    def test_state_is_the_worse_clock_and_next_due_the_earliest_running_one(self) -> None:
        result = status(MONDAY_MESSAGE, "2026-06-08 12:00")
        assert (result.first_response.state, result.resolution.state) == (WARNING, OK)
        assert result.state is WARNING
        assert result.next_due_at == warsaw("2026-06-08 13:00")

        replied = status(
            [*MONDAY_MESSAGE, *timeline((REPLY, "2026-06-08 12:00"))], "2026-06-08 14:00"
        )
        assert replied.state is OK
        assert replied.next_due_at == warsaw("2026-06-09 17:00")

    def test_warning_ratio_can_be_set(self) -> None:
        target = SlaTarget(
            first_response_seconds=4 * HOUR,
            resolution_seconds=16 * HOUR,
            calendar=OFFICE,
            warning_ratio=0.5,
        )
        assert status(MONDAY_MESSAGE, "2026-06-08 10:59", target).first_response.state is OK
        assert status(MONDAY_MESSAGE, "2026-06-08 11:00", target).first_response.state is WARNING

    @pytest.mark.parametrize(
        ("first_response", "resolution", "ratio", "calendar", "message"),
        [
            (0, HOUR, 0.75, OFFICE, "positive"),
            (HOUR, -1, 0.75, OFFICE, "positive"),
            (HOUR, HOUR, 0, OFFICE, "warning ratio"),
            (HOUR, HOUR, 1.5, OFFICE, "warning ratio"),
            (HOUR, HOUR, 0.75, BusinessCalendar("UTC", {}), "no opening hours"),
        ],
        ids=["zero-first-response", "negative-resolution", "zero-ratio", "ratio-above-1", "never"],
    )
    def test_bad_targets_are_refused(
        self,
        first_response: float,
        resolution: float,
        ratio: float,
        calendar: BusinessCalendar,
        message: str,
    ) -> None:
        with pytest.raises(ValueError, match=message):
            SlaTarget(first_response, resolution, calendar, ratio)
