"""SLA attainment over a date range, by team, by channel and by person (the assignee).

A conversation belongs to the range when its first message arrived on one of the range's
days in the viewer's time zone. Each conversation is measured against the policy that
applies to it (`roost.inbox.sla.services.policy_among`'s rule), in that policy's business
time, as of the moment the report is made:

* **First response** is *met* when a person replied within the target and *missed* when
  the target passed first (a late reply, or none yet). Conversations still within their
  target without a reply, and those closed without needing one, count in neither, and
  so not in the percentage.
* **Resolution** is *met* when the conversation was closed within its target and
  *missed* when the target passed first; open ones within their target count in neither.
* **Breached** counts conversations that missed either target.
* **Median first response** is the business time from the first customer message to the
  first reply, over the conversations that have one. An auto-reply is not a reply.

The database filters, joins the names in and orders the events; the clocks need each
policy's business calendar, so the replay runs here, over plain values. The query count
does not grow with the number of conversations.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from roost.core.csv_export import SafeCsvWriter
from roost.core.models import User
from roost.core.permissions import (
    Action,
    can_somewhere,
    channel_group_ids_allowed,
    grants_remembered,
)
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import Conversation, ConversationEvent, SlaPolicy
from roost.inbox.sla.clocks import (
    SlaEvent,
    SlaEventKind,
    SlaState,
    SlaStatus,
    SlaTarget,
    sla_status,
)
from roost.inbox.sla.policies import policy_calendar
from roost.inbox.sla.services import fallback_target, policy_among

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ReportPeriod:
    """Whole days, both ends included, in `time_zone`."""

    start: dt.date
    end: dt.date
    time_zone: str

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[from, until) as aware moments: local midnight of the first and the day after."""
        zone = _zone(self.time_zone)
        since = dt.datetime.combine(self.start, dt.time(), tzinfo=zone)
        until = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return since, until


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def default_period(*, viewer: User, now: dt.datetime | None = None) -> ReportPeriod:
    """The last 30 days, today included, in the viewer's time zone."""
    today = (now or timezone.now()).astimezone(_zone(viewer.time_zone)).date()
    return ReportPeriod(
        start=today - dt.timedelta(days=DEFAULT_DAYS - 1), end=today, time_zone=viewer.time_zone
    )


@dataclass
class AttainmentRow:
    label: str
    conversations: int = 0
    first_response_met: int = 0
    first_response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    breached: int = 0
    first_response_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def first_response_attainment(self) -> float | None:
        """Percent met of those decided; None when none is decided yet."""
        return _percent(self.first_response_met, self.first_response_missed)

    @property
    def resolution_attainment(self) -> float | None:
        return _percent(self.resolution_met, self.resolution_missed)

    @property
    def median_first_response_seconds(self) -> float | None:
        if not self.first_response_seconds:
            return None
        return statistics.median(self.first_response_seconds)

    @property
    def median_first_response_text(self) -> str:
        return duration_text(self.median_first_response_seconds)

    def add(self, status: SlaStatus, *, replied: bool) -> None:
        self.conversations += 1
        first, resolution = status.first_response, status.resolution
        self.first_response_met += first.met
        self.first_response_missed += first.state == SlaState.BREACHED
        self.resolution_met += resolution.met
        self.resolution_missed += resolution.state == SlaState.BREACHED
        self.breached += status.state == SlaState.BREACHED
        if replied:
            self.first_response_seconds.append(first.elapsed_seconds)


def _replied(status: SlaStatus, timeline: Sequence[SlaEvent], now: dt.datetime) -> bool:
    """Whether a person replied after the first customer message (as of `now`)."""
    started = status.first_response.started_at
    return started is not None and any(
        event.kind == SlaEventKind.AGENT_REPLY and started <= event.at <= now for event in timeline
    )


def duration_text(seconds: float | None) -> str:
    """ "45 min", "3 h 05 min", "2 d 4 h"; a dash for no value."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _percent(met: int, missed: int) -> float | None:
    decided = met + missed
    return None if decided == 0 else 100 * met / decided


@dataclass(frozen=True)
class AttainmentReport:
    period: ReportPeriod
    total: AttainmentRow
    by_team: list[AttainmentRow]
    by_channel: list[AttainmentRow]
    by_person: list[AttainmentRow]

    @property
    def groupings(self) -> list[tuple[str, list[AttainmentRow]]]:
        return [("Team", self.by_team), ("Channel", self.by_channel), ("Person", self.by_person)]


def _targets(policies: Sequence[SlaPolicy]) -> dict[int, SlaTarget]:
    return {
        policy.pk: SlaTarget(
            first_response_seconds=policy.first_response_minutes * 60,
            resolution_seconds=policy.resolution_minutes * 60,
            calendar=policy_calendar(policy),
        )
        for policy in policies
    }


def _events_by_conversation(
    rows: Iterable[tuple[int, str, dt.datetime]],
) -> Iterator[tuple[int, list[SlaEvent]]]:
    """Consecutive (conversation id, kind, at) rows, ordered by conversation, grouped."""
    current: int | None = None
    events: list[SlaEvent] = []
    for conversation_id, kind, at in rows:
        if conversation_id != current:
            if current is not None:
                yield current, events
            current, events = conversation_id, []
        try:
            events.append(SlaEvent(SlaEventKind(kind), at))
        except ValueError:
            continue  # a kind the SLA clocks do not read
    if current is not None:
        yield current, events


def _sorted_rows(rows: dict[int | None, AttainmentRow]) -> list[AttainmentRow]:
    """By name, with "no team" or "unassigned" last."""
    return sorted(rows.values(), key=lambda row: (row is rows.get(None), row.label.lower()))


class _Tally:
    """Counts each conversation into the total and its team, channel and person rows."""

    def __init__(self, policies: Sequence[SlaPolicy], now: dt.datetime) -> None:
        self.policies = policies
        self.targets = _targets(policies)
        self.now = now
        self.total = AttainmentRow("All conversations")
        self.by_team: dict[int | None, AttainmentRow] = {}
        self.by_channel: dict[int | None, AttainmentRow] = {}
        self.by_person: dict[int | None, AttainmentRow] = {}

    def count(self, facts: Mapping[str, Any], timeline: list[SlaEvent]) -> None:
        policy = policy_among(
            self.policies,
            channel_id=facts["channel_id"],
            priority=facts["priority"],
            intent=facts["intent"],
            vip=facts["vip"],
        )
        target = (
            fallback_target(priority=facts["priority"], vip=facts["vip"])
            if policy is None
            else self.targets[policy.pk]
        )
        status = sla_status(target=target, events=timeline, now=self.now)
        replied = _replied(status, timeline, self.now)
        self.total.add(status, replied=replied)
        person = facts["assignee__name"] or facts["assignee__email"] or "Unassigned"
        channel = f"{facts['channel__handle']} ({facts['channel__network']})"
        for rows, key, label in (
            (self.by_team, facts["team_id"], facts["team__name"] or "No team"),
            (self.by_channel, facts["channel_id"], channel),
            (self.by_person, facts["assignee_id"], person),
        ):
            rows.setdefault(key, AttainmentRow(label)).add(status, replied=replied)


def may_view_reports(viewer: User) -> bool:
    """Whether the person may report on some conversations: `INBOX_REPORT_VIEW` on the
    organisation or on at least one channel group."""
    return can_somewhere(viewer, Action.INBOX_REPORT_VIEW)


def sla_attainment(
    *, viewer: User, period: ReportPeriod, now: dt.datetime | None = None
) -> AttainmentReport:
    """The attainment of the conversations the viewer may report on (the channel groups
    where they hold `INBOX_REPORT_VIEW`); `PERMISSION_DENIED` if there are none.

    Four queries whatever the number of conversations: the grants, the conversations
    with their names, the policies, and the events in conversation order.
    """
    with grants_remembered():  # the check and the groups share one read of the grants
        if not may_view_reports(viewer):
            raise InboxError(InboxProblem.REPORT_NOT_ALLOWED, action=Action.INBOX_REPORT_VIEW.value)
        allowed = channel_group_ids_allowed(viewer, Action.INBOX_REPORT_VIEW)
    since, until = period.bounds
    conversations = Conversation.objects.filter(
        organization_id=viewer.organization_id,
        first_message_at__gte=since,
        first_message_at__lt=until,
    )
    if allowed is not None:
        conversations = conversations.filter(channel__channel_group_id__in=allowed)
    facts = {
        row["pk"]: row
        for row in conversations.values(
            "pk",
            "channel_id",
            "channel__handle",
            "channel__network",
            "priority",
            "vip",
            "intent",
            "team_id",
            "team__name",
            "assignee_id",
            "assignee__name",
            "assignee__email",
        )
    }
    tally = _Tally(
        list(SlaPolicy.objects.filter(organization_id=viewer.organization_id)),
        now or timezone.now(),
    )
    events = (
        ConversationEvent.objects.filter(conversation__in=conversations.values("pk"))
        .order_by("conversation_id", "at", "pk")
        .values_list("conversation_id", "kind", "at")
    )
    without_events = set(facts)
    for conversation_id, timeline in _events_by_conversation(events.iterator(chunk_size=2000)):
        if conversation_id in facts:
            without_events.discard(conversation_id)
            tally.count(facts[conversation_id], timeline)
    for conversation_id in sorted(without_events):  # nothing has started their clocks
        tally.count(facts[conversation_id], [])
    return AttainmentReport(
        period=period,
        total=tally.total,
        by_team=_sorted_rows(tally.by_team),
        by_channel=_sorted_rows(tally.by_channel),
        by_person=_sorted_rows(tally.by_person),
    )


CSV_HEADER = [
    "grouping",
    "name",
    "conversations",
    "first_response_met",
    "first_response_missed",
    "first_response_attainment_percent",
    "resolution_met",
    "resolution_missed",
    "resolution_attainment_percent",
    "median_first_response_minutes",
    "breached",
]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def attainment_csv(report: AttainmentReport) -> str:
    """The three tables and the total as one CSV, one row per team, channel and person."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_HEADER)
    sections = [("total", [report.total])] + [
        (name.lower(), rows) for name, rows in report.groupings
    ]
    for grouping, rows in sections:
        for row in rows:
            median = row.median_first_response_seconds
            writer.writerow(
                [
                    grouping,
                    row.label,
                    row.conversations,
                    row.first_response_met,
                    row.first_response_missed,
                    _number(row.first_response_attainment),
                    row.resolution_met,
                    row.resolution_missed,
                    _number(row.resolution_attainment),
                    _number(None if median is None else median / 60),
                    row.breached,
                ]
            )
    return out.getvalue()
