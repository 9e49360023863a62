"""SLA policies applied to conversations: events recorded as they happen, clocks
computed from them, the state kept on the conversation for queues, and an alert to
the assignee (or the team) when a conversation nears or breaches its target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.batches import in_batches
from roost.core.models import User
from roost.core.notifications import notify
from roost.inbox.classify import Priority
from roost.inbox.models import Conversation, ConversationEvent, ConversationStatus, SlaPolicy
from roost.inbox.sla.business_hours import BusinessCalendar, hours, twenty_four_seven
from roost.inbox.sla.clocks import (
    SlaEvent,
    SlaEventKind,
    SlaState,
    SlaStatus,
    SlaTarget,
    sla_status,
)

DEFAULT_TARGET = SlaTarget(first_response_seconds=24 * 3600, resolution_seconds=72 * 3600)
URGENT_TARGET = SlaTarget(first_response_seconds=3600, resolution_seconds=8 * 3600)


def event_record(
    *, conversation: Conversation, kind: SlaEventKind, at: dt.datetime | None = None
) -> None:
    ConversationEvent.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        kind=kind.value,
        at=at or timezone.now(),
    )


def _calendar(policy: SlaPolicy) -> BusinessCalendar:
    if not policy.business_hours:
        return twenty_four_seven(policy.time_zone)
    weekly = {int(day): hours(*spans) for day, spans in policy.business_hours.items()}
    holidays = frozenset(dt.date.fromisoformat(day) for day in policy.holidays)
    return BusinessCalendar(time_zone=policy.time_zone, weekly=weekly, holidays=holidays)


def is_urgent(*, priority: str, vip: bool) -> bool:
    """Timed against the urgent target: urgent conversations, and a VIP's unless it is
    spam (low)."""
    return priority == Priority.URGENT or (vip and priority != Priority.LOW)


def policy_among(
    policies: Iterable[SlaPolicy], *, channel_id: int, priority: str, intent: str, vip: bool
) -> SlaPolicy | None:
    """The policy a conversation is timed against, or None for the built-in target
    (`fallback_target`). The one place the precedence is decided:

    An urgent or VIP conversation (`is_urgent`):
      1. a policy naming both its channel and its priority;
      2. else a policy naming the urgent priority and no channel (the organisation's
         urgent target);
      3. else the built-in urgent target: first reply within an hour, around the clock.
      A policy for its channel alone, for an intent alone, or for everything never
      applies to it: those are written for ordinary traffic, and must not slow a crisis.
    Any other conversation: the most specific matching policy, a channel counting for
    more than a priority, a priority for more than an intent; else the built-in 24 h.

    Within one step an intent that matches beats none; then the older policy wins. An
    empty condition matches anything; a set one must equal the conversation's.
    """

    def matches(policy: SlaPolicy) -> bool:
        return (
            policy.channel_id in (None, channel_id)
            and (not policy.priority or policy.priority == priority)
            and (not policy.intent or policy.intent == intent)
        )

    def most_specific(candidates: list[SlaPolicy]) -> SlaPolicy | None:
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda p: (p.channel_id is not None, bool(p.priority), bool(p.intent), -p.pk),
        )

    matching = [p for p in policies if matches(p)]
    if not is_urgent(priority=priority, vip=vip):
        return most_specific(matching)
    named_for_channel = [p for p in matching if p.channel_id is not None and p.priority]
    if named_for_channel:
        return most_specific(named_for_channel)
    urgent = [
        p
        for p in policies
        if p.channel_id is None
        and p.priority == Priority.URGENT
        and (not p.intent or p.intent == intent)
    ]
    return most_specific(urgent)


def fallback_target(*, priority: str, vip: bool) -> SlaTarget:
    """The built-in target when no policy applies (`policy_among`)."""
    return URGENT_TARGET if is_urgent(priority=priority, vip=vip) else DEFAULT_TARGET


def policy_for(conversation: Conversation) -> SlaPolicy | None:
    """The policy the conversation is timed against (`policy_among` has the precedence)."""
    return policy_among(
        SlaPolicy.objects.filter(organization_id=conversation.organization_id),
        channel_id=conversation.channel_id,
        priority=conversation.priority,
        intent=conversation.intent,
        vip=conversation.vip,
    )


def target_for(conversation: Conversation) -> SlaTarget:
    policy = policy_for(conversation)
    if policy is None:
        return fallback_target(priority=conversation.priority, vip=conversation.vip)
    return SlaTarget(
        first_response_seconds=policy.first_response_minutes * 60,
        resolution_seconds=policy.resolution_minutes * 60,
        calendar=_calendar(policy),
    )


def conversation_sla(conversation: Conversation, *, now: dt.datetime | None = None) -> SlaStatus:
    events = [
        SlaEvent(kind=SlaEventKind(e.kind), at=e.at)
        for e in ConversationEvent.objects.filter(conversation=conversation).order_by("at", "pk")
    ]
    return sla_status(target=target_for(conversation), events=events, now=now or timezone.now())


def alert_recipients(conversation: Conversation, state: SlaState) -> list[User]:
    """Who hears about it: the assignee (else the team's members); a breach also goes to
    the team's lead."""
    people = [conversation.assignee] if conversation.assignee else []
    team = conversation.team
    if not people and team is not None:
        people = list(team.members.filter(is_active=True))
    if state == SlaState.BREACHED and team is not None and team.lead is not None:
        people.append(team.lead)
    return [p for p in people if p is not None and p.is_active]


def _alert(conversation: Conversation, state: SlaState) -> None:
    """Tell them in Roost and on their contact methods; call inside the transaction."""
    word = "has breached" if state == SlaState.BREACHED else "is close to"
    where = f"{conversation.author_handle} on {conversation.channel.handle}"
    notify(
        organization=conversation.channel.channel_group.organization,
        recipients=alert_recipients(conversation, state),
        subject=f"A conversation with {conversation.author_handle} {word} its response target",
        body=f"Open it in Roost: Inbox → {where}.",
        url=reverse("inbox:conversation", args=[conversation.pk]),
        source=conversation,
    )


def conversation_sla_refresh(
    *, conversation: Conversation, now: dt.datetime | None = None
) -> SlaStatus:
    """Recompute the conversation's SLA, store it, and alert once per worsening."""
    status = conversation_sla(conversation, now=now)
    state = "" if conversation.status == ConversationStatus.CLOSED else status.state.value
    fields = {"sla_state": state, "sla_due_at": status.next_due_at}
    if state in (SlaState.WARNING, SlaState.BREACHED) and conversation.sla_alerted != state:
        with transaction.atomic():
            Conversation.objects.filter(pk=conversation.pk).update(sla_alerted=state, **fields)
            audit.record(
                organization=conversation.channel.channel_group.organization,
                actor=SYSTEM,
                action=f"inbox.sla.{state}",
                target=conversation,
                after={"due_at": status.next_due_at},
            )
            _alert(conversation, SlaState(state))
        conversation.sla_alerted = state
    else:
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
    conversation.sla_state, conversation.sla_due_at = state, status.next_due_at
    return status


def conversations_sla_refresh(*, now: dt.datetime | None = None) -> int:
    """Refresh every open conversation whose clock could have moved into a new state."""
    refreshed = 0
    open_ones = Conversation.objects.exclude(status=ConversationStatus.CLOSED).select_related(
        "channel__channel_group__organization", "assignee", "team"
    )
    # In batches, with no query left open: each refresh may write.
    for conversation in in_batches(open_ones, size=500):
        conversation_sla_refresh(conversation=conversation, now=now)
        refreshed += 1
    return refreshed
