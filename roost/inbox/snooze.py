"""Snoozing a conversation until a time: the times offered, and waking it up again.

A snoozed conversation stays out of the working queues. It wakes (back to open) when
its time comes, through the `inbox.wake` periodic job, or as soon as the customer
writes again (`conversation_wake`, called by ingestion). Putting a conversation to
sleep is `roost.inbox.services.conversation_snooze`, next to the other status changes.

For the SLA clocks a snoozed conversation is still open: snoozing records no event, and
waking records the end of any wait on the customer (the clocks ignore it when there
was none), so a conversation snoozed while waiting resumes its resolution clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.batches import in_batches
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import Conversation, ConversationStatus
from roost.inbox.sla.clocks import SlaEventKind
from roost.inbox.sla.services import event_record

MAX_SNOOZE = dt.timedelta(days=365)
WAKE_HOUR = dt.time(9, 0)


class Preset(enum.StrEnum):
    HOUR = "hour"
    TOMORROW = "tomorrow"
    MONDAY = "monday"


class WakeReason(enum.StrEnum):
    TIME = "time"
    CUSTOMER_MESSAGE = "customer_message"


@dataclass(frozen=True)
class SnoozeOption:
    preset: Preset
    label: str
    until: dt.datetime


def _zone(time_zone: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def preset_until(preset: Preset, *, now: dt.datetime, time_zone: str) -> dt.datetime:
    """When a preset ends, in UTC: an hour from now, tomorrow at 9:00 or next Monday at
    9:00 on the viewer's wall clock (next Monday is a week away on a Monday)."""
    zone = _zone(time_zone)
    today = now.astimezone(zone).date()
    if preset is Preset.HOUR:
        return now + dt.timedelta(hours=1)
    if preset is Preset.TOMORROW:
        day = today + dt.timedelta(days=1)
    else:
        day = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(day, WAKE_HOUR, tzinfo=zone).astimezone(dt.UTC)


def snooze_options(*, now: dt.datetime, time_zone: str) -> list[SnoozeOption]:
    zone = _zone(time_zone)
    labels = {Preset.HOUR: "1 hour", Preset.TOMORROW: "Tomorrow", Preset.MONDAY: "Next Monday"}
    options = []
    for preset, name in labels.items():
        until = preset_until(preset, now=now, time_zone=time_zone)
        local = until.astimezone(zone)
        options.append(SnoozeOption(preset, f"{name} ({local:%a %d %b %H:%M})", until))
    return options


def local_until_parse(value: str, *, time_zone: str) -> dt.datetime:
    """A date and time typed on the viewer's wall clock (as `<input type=datetime-local>`
    sends it), in UTC. Raises `ApplicationError(INVALID)` when it cannot be read."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        raise InboxError(InboxProblem.UNTIL_UNREADABLE, field="until") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(time_zone))
    return parsed.astimezone(dt.UTC)


def until_from_choice(*, preset: str, custom: str, time_zone: str, now: dt.datetime) -> dt.datetime:
    """The end of a snooze from a form: a preset's name, else a typed date and time."""
    if preset:
        try:
            return preset_until(Preset(preset), now=now, time_zone=time_zone)
        except ValueError:
            raise InboxError(InboxProblem.SNOOZE_PRESET_UNKNOWN, field="preset") from None
    if custom.strip():
        return local_until_parse(custom, time_zone=time_zone)
    raise InboxError(InboxProblem.UNTIL_MISSING, field="until")


def until_check(until: dt.datetime, *, now: dt.datetime) -> None:
    if timezone.is_naive(until):
        raise InboxError(InboxProblem.UNTIL_UNREADABLE, field="until")
    if until <= now:
        raise InboxError(InboxProblem.UNTIL_IN_THE_PAST, field="until")
    if until > now + MAX_SNOOZE:
        raise InboxError(InboxProblem.UNTIL_TOO_FAR, field="until")


def _wake(conversation: Conversation, *, reason: WakeReason, at: dt.datetime) -> bool:
    with transaction.atomic():
        # The conditional update is the lock: of two wakers, one changes the row.
        woken = (
            Conversation.objects.filter(pk=conversation.pk, status=ConversationStatus.SNOOZED)
            .filter(**({"snoozed_until__lte": at} if reason is WakeReason.TIME else {}))
            .update(status=ConversationStatus.OPEN, snoozed_until=None)
        )
        if not woken:
            return False
        until = conversation.snoozed_until
        conversation.status, conversation.snoozed_until = ConversationStatus.OPEN, None
        event_record(conversation=conversation, kind=SlaEventKind.WAITING_ENDED, at=at)
        audit.record(
            organization=conversation.organization,
            actor=SYSTEM,
            action="inbox.conversation.woken",
            target=conversation,
            before={
                "status": ConversationStatus.SNOOZED.value,
                "snoozed_until": until.isoformat() if until else None,
            },
            after={"status": ConversationStatus.OPEN.value, "reason": reason.value},
        )
    return True


def conversation_wake(
    *, conversation: Conversation, reason: WakeReason, at: dt.datetime | None = None
) -> bool:
    """Wake a snoozed conversation; return whether it was asleep. Costs no query when the
    conversation, as loaded by the caller, is not snoozed."""
    if conversation.status != ConversationStatus.SNOOZED:
        return False
    return _wake(conversation, reason=reason, at=at or timezone.now())


def conversations_wake_due(*, now: dt.datetime | None = None) -> int:
    """Wake every conversation whose snooze has ended; return how many. Safe to run twice."""
    now = now or timezone.now()
    due = Conversation.objects.filter(status=ConversationStatus.SNOOZED, snoozed_until__lte=now)
    # In batches, with no query left open: each wake writes.
    return sum(_wake(c, reason=WakeReason.TIME, at=now) for c in in_batches(due, size=500))
