"""Response-time SLAs: how much of its targets a conversation has used, and when each is due.

A conversation's timeline is a list of `SlaEvent`s; `sla_status` replays it as of a moment
and runs two clocks over the target's business calendar:

* **First response** starts at the first customer message and stops at the first agent
  reply after it. Agent messages before any customer message (outbound posts) do not
  count. It does not pause while waiting on the customer (there is nobody to wait for
  before the first reply). Closing the conversation without a reply stops it without it
  being met (nothing needed an answer); a reopen before any reply lets it run on.
* **Resolution** starts when the conversation opens (its first `OPENED` event, or its
  first customer message if there is none) and stops when it is closed. It pauses while
  the status is "waiting on the customer"; a reopen continues it from where it stopped.

Only open business time counts, so a clock standing outside opening hours does not
advance. The timeline records status changes literally: an event that would not change
the status (a second close, the end of a wait that never started) changes nothing, and
events later than `now` have not happened yet. Pure Python, no database: the inbox
services turn a conversation's history into events and store or show the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from roost.inbox.sla.business_hours import (
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
)

WARNING_RATIO = 0.75
"""A running clock warns once it has used this share of its target."""


class SlaEventKind(StrEnum):
    OPENED = "opened"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    WAITING_STARTED = "waiting_started"
    WAITING_ENDED = "waiting_ended"
    CLOSED = "closed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class SlaEvent:
    kind: SlaEventKind
    at: dt.datetime


@dataclass(frozen=True)
class SlaTarget:
    """Targets in seconds of open time on `calendar`."""

    first_response_seconds: float
    resolution_seconds: float
    calendar: BusinessCalendar = TWENTY_FOUR_SEVEN
    warning_ratio: float = WARNING_RATIO

    def __post_init__(self) -> None:
        if self.first_response_seconds <= 0 or self.resolution_seconds <= 0:
            raise ValueError("SLA targets must be positive")
        if not 0 < self.warning_ratio <= 1:
            raise ValueError("the warning ratio must be above 0 and at most 1")
        if not self.calendar.has_hours:
            raise ValueError("the SLA calendar has no opening hours")


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"


_SEVERITY = {SlaState.OK: 0, SlaState.WARNING: 1, SlaState.BREACHED: 2}


@dataclass(frozen=True)
class SlaClock:
    """One clock as of a moment.

    `elapsed_seconds` is open business time counted so far, pauses left out. `due_at` is
    when the target is (or was) reached: in the past once breached; while running, if it
    keeps running; once stopped, when it would have been reached had it not stopped. It is
    None before the clock starts and while it is paused, since nobody knows when the wait
    ends; `remaining_seconds` still says how much is left. `state` is BREACHED once elapsed
    exceeds the target (a reply exactly at `due_at` is in time); a stopped clock within its
    target is OK; a running or paused one warns from `warning_ratio` of its target on.
    `met` is true only when the clock was stopped by a reply (first response) or a close
    (resolution) within the target.
    """

    target_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    percent_used: float
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    paused: bool
    due_at: dt.datetime | None
    state: SlaState
    met: bool

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def running(self) -> bool:
        """Counting now (outside opening hours it counts nothing, but it is not paused)."""
        return self.started and self.stopped_at is None and not self.paused


@dataclass(frozen=True)
class SlaStatus:
    first_response: SlaClock
    resolution: SlaClock

    @property
    def state(self) -> SlaState:
        """The worse of the two clocks."""
        return max(self.first_response.state, self.resolution.state, key=_SEVERITY.__getitem__)

    @property
    def next_due_at(self) -> dt.datetime | None:
        """The earliest due moment of a running clock: what the inbox sorts by."""
        due = [
            clock.due_at
            for clock in (self.first_response, self.resolution)
            if clock.running and clock.due_at is not None
        ]
        return min(due, default=None)


class _Status(Enum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    CLOSED = "closed"


@dataclass
class _Run:
    """A clock being replayed: the periods it counted, and since when it is counting."""

    started_at: dt.datetime | None = None
    counting_since: dt.datetime | None = None
    halted_at: dt.datetime | None = None
    periods: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)

    def go(self, at: dt.datetime) -> None:
        if self.started_at is None:
            self.started_at = at
        if self.counting_since is None:
            self.counting_since = at

    def halt(self, at: dt.datetime) -> None:
        if self.counting_since is not None:
            self.periods.append((self.counting_since, at))
            self.counting_since = None
            self.halted_at = at


def sla_status(*, target: SlaTarget, events: Iterable[SlaEvent], now: dt.datetime) -> SlaStatus:
    """Both clocks of a conversation as of `now`, from its timeline (any order; events at
    the same moment apply in the order given). All datetimes must be aware."""
    now = _as_utc(now, "now")
    timeline = sorted(
        (SlaEvent(event.kind, _as_utc(event.at, f"{event.kind} event")) for event in events),
        key=lambda event: event.at,
    )
    status = _Status.NEW
    first_response = _Run()
    resolution = _Run()
    replied_at: dt.datetime | None = None
    for event in timeline:
        if event.at > now:
            break
        at = event.at
        match event.kind:
            case SlaEventKind.OPENED:
                if status is _Status.NEW:
                    status = _Status.OPEN
                    resolution.go(at)
            case SlaEventKind.CUSTOMER_MESSAGE:
                if status is _Status.NEW:
                    status = _Status.OPEN
                    resolution.go(at)
                if first_response.started_at is None:
                    first_response.started_at = at
                    if status is not _Status.CLOSED:
                        first_response.go(at)
            case SlaEventKind.AGENT_REPLY:
                if first_response.started_at is not None and replied_at is None:
                    replied_at = at
                    first_response.halt(at)
            case SlaEventKind.WAITING_STARTED:
                if status is _Status.OPEN:
                    status = _Status.WAITING
                    resolution.halt(at)
            case SlaEventKind.WAITING_ENDED:
                if status is _Status.WAITING:
                    status = _Status.OPEN
                    resolution.go(at)
            case SlaEventKind.CLOSED:
                if status in (_Status.OPEN, _Status.WAITING):
                    status = _Status.CLOSED
                    resolution.halt(at)
                    resolution.halted_at = at  # also when closed while waiting (not counting)
                    first_response.halt(at)
            case SlaEventKind.REOPENED:
                if status is _Status.CLOSED:
                    status = _Status.OPEN
                    resolution.go(at)
                    if first_response.started_at is not None and replied_at is None:
                        first_response.go(at)

    closed = status is _Status.CLOSED
    if replied_at is not None:
        first_response_stop: dt.datetime | None = replied_at
    elif closed and first_response.started_at is not None:
        first_response_stop = first_response.halted_at or first_response.started_at
    else:
        first_response_stop = None
    return SlaStatus(
        first_response=_clock(
            first_response,
            target=target,
            target_seconds=target.first_response_seconds,
            now=now,
            stopped_at=first_response_stop,
            paused=False,
            met_if_in_time=replied_at is not None,
        ),
        resolution=_clock(
            resolution,
            target=target,
            target_seconds=target.resolution_seconds,
            now=now,
            stopped_at=resolution.halted_at if closed else None,
            paused=status is _Status.WAITING,
            met_if_in_time=closed,
        ),
    )


def _clock(
    run: _Run,
    *,
    target: SlaTarget,
    target_seconds: float,
    now: dt.datetime,
    stopped_at: dt.datetime | None,
    paused: bool,
    met_if_in_time: bool,
) -> SlaClock:
    calendar = target.calendar
    periods = list(run.periods)
    if run.counting_since is not None:
        periods.append((run.counting_since, now))
    elapsed = 0.0
    due_at: dt.datetime | None = None
    for start, end in periods:
        seconds = business_seconds_between(calendar, start, end)
        if due_at is None and elapsed + seconds >= target_seconds:
            due_at = add_business_seconds(calendar, start, target_seconds - elapsed)
        elapsed += seconds
    remaining = max(target_seconds - elapsed, 0.0)
    if due_at is None and run.started_at is not None and not paused:
        # Not reached yet: project from where the clock stands, as if it kept running.
        due_at = add_business_seconds(calendar, stopped_at or now, remaining)
    if elapsed > target_seconds:
        state = SlaState.BREACHED
    elif stopped_at is None and elapsed >= target.warning_ratio * target_seconds:
        state = SlaState.WARNING
    else:
        state = SlaState.OK
    return SlaClock(
        target_seconds=target_seconds,
        elapsed_seconds=elapsed,
        remaining_seconds=remaining,
        percent_used=100 * elapsed / target_seconds,
        started_at=run.started_at,
        stopped_at=stopped_at,
        paused=paused,
        due_at=due_at,
        state=state,
        met=met_if_in_time and elapsed <= target_seconds,
    )


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(dt.UTC)
