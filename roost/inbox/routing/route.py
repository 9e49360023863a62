"""Routing new conversations: the first matching rule sets team, priority and tags,
then an assignment mode picks a person (or leaves it to the team), and its auto-reply,
if it has one, is queued to be sent once the routing commits."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from roost.core import audit
from roost.core.models import User
from roost.core.permissions import Action, can, grants_preload, grants_remembered
from roost.inbox.classify import PRIORITY_ORDER, Priority
from roost.inbox.locks import routing_rule_locked
from roost.inbox.models import (
    AssignmentMode,
    Conversation,
    ConversationStatus,
    Message,
    RoutingRule,
)
from roost.inbox.routing.auto_reply import auto_reply_schedule


def rule_matches(rule: RoutingRule, conversation: Conversation, message: Message) -> bool:
    channel = conversation.channel
    checks = [
        rule.channel_id is None or rule.channel_id == channel.pk,
        rule.brand_id is None or rule.brand_id == channel.brand_id,
        not rule.language or rule.language == (message.language or conversation.language),
        not rule.sentiment or rule.sentiment == (message.sentiment or conversation.sentiment),
        not rule.intent or rule.intent == (message.intent or conversation.intent),
        not rule.keyword or rule.keyword.lower() in message.text.lower(),
    ]
    return all(checks)


def is_working(person: User, moment: dt.datetime) -> bool:
    """Whether the person's working hours, in their own time zone, cover this moment."""
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(person.time_zone))
    except zoneinfo.ZoneInfoNotFoundError:
        local = moment.astimezone(dt.UTC)
    if str(local.weekday()) not in person.work_days:
        return False
    start, end, now = person.work_start, person.work_end, local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # a night shift across midnight


@dataclass
class RoutingBatch:
    """Routing the new conversations of one transaction, as ingestion does for each batch.

    What routing reads is read once per batch: the rules, each matched rule (locked until
    the transaction ends), who may take a team's conversations on a channel group, and how
    many open conversations each of them has. What it writes waits for `close()`, which
    writes it all together: the conversations, the rules' last assignees, the audit
    entries (one append) and the auto-replies to queue. A conversation routed before it
    was first saved is not written by `close()`: its INSERT carries the routing."""

    rules: list[RoutingRule]
    locked: dict[int, RoutingRule] = field(default_factory=dict)
    candidates: dict[tuple[int, int], list[User]] = field(default_factory=dict)
    open_counts: dict[int, int] = field(default_factory=dict)  # as stored before the batch
    assigned: Counter[int] = field(default_factory=Counter)  # by the batch, not stored yet
    turned: dict[int, RoutingRule] = field(default_factory=dict)  # rules that assigned
    # (conversation, rule, fields to save; empty when the conversation was not saved yet)
    routed: list[tuple[Conversation, RoutingRule, list[str]]] = field(default_factory=list)
    entries: list[audit.Entry] = field(default_factory=list)

    @classmethod
    def for_organization(cls, organization_id: int) -> RoutingBatch:
        rules = RoutingRule.objects.filter(organization_id=organization_id)
        return cls(rules=list(rules.order_by("position", "pk")))

    def lock(self, rule: RoutingRule) -> RoutingRule:
        if rule.pk not in self.locked:
            self.locked[rule.pk] = routing_rule_locked(rule.pk)
        return self.locked[rule.pk]

    def route(
        self, conversation: Conversation, message: Message, *, now: dt.datetime
    ) -> RoutingRule | None:
        """Decide the conversation's routing by the first matching rule (None: no rule
        matched); nothing is written before `close()`."""
        rule = next((r for r in self.rules if rule_matches(r, conversation, message)), None)
        if rule is None:
            return None
        locked = self.lock(rule)
        assignee, team_id = choose_assignee(locked, conversation, now=now, batch=self)
        fields = ["team", "tags"]
        conversation.team_id = team_id
        conversation.tags = sorted(set(conversation.tags) | set(locked.tags))
        raised = locked.priority and PRIORITY_ORDER.index(
            Priority(locked.priority)
        ) > PRIORITY_ORDER.index(Priority(conversation.priority))
        if raised:
            conversation.priority = locked.priority
            fields.append("priority")
        if assignee is not None:
            conversation.assignee = assignee
            fields.append("assignee")
            locked.last_assigned = assignee
            self.assigned[assignee.pk] += 1
            self.turned[locked.pk] = locked
        self.routed.append((conversation, locked, fields if conversation.pk else []))
        self.entries.append(
            audit.Entry(
                action="inbox.conversation.routed",
                target=conversation,
                after={
                    "rule": locked.name,
                    "team": team_id,
                    "assignee": assignee.email if assignee else None,
                    "priority": conversation.priority,
                },
            )
        )
        return rule

    def close(self) -> None:
        """Write what the batch routed. Call inside the batch's transaction, once every
        conversation routed before it was stored has been stored."""
        if not self.routed:
            return
        for conversation, _, fields in self.routed:
            if conversation.pk is None:
                raise ValueError("a routed conversation must be stored before close()")
            if fields:
                conversation.save(update_fields=fields)
        for rule in self.turned.values():
            rule.save(update_fields=["last_assigned"])
        # The channel's own organisation (loaded with it when ingest read the channels).
        organization = self.routed[0][0].channel.organization
        audit.record_many(organization=organization, entries=self.entries)
        for conversation, rule, _ in self.routed:
            if rule.auto_reply.strip():
                auto_reply_schedule(conversation=conversation, rule=rule)
        self.routed, self.entries, self.turned = [], [], {}


def _candidates(
    team_id: int | None, conversation: Conversation, batch: RoutingBatch | None = None
) -> list[User]:
    if team_id is None:
        return []
    group = conversation.channel.channel_group
    if batch is not None and (team_id, group.pk) in batch.candidates:
        return batch.candidates[(team_id, group.pk)]
    members = list(User.objects.filter(teams__pk=team_id, is_active=True).order_by("pk"))
    # The team's grants in one query, not one per member.
    with grants_remembered():
        grants_preload(members)
        people = [m for m in members if can(m, Action.INBOX_HANDLE, channel_group=group)]
    if batch is not None:
        batch.candidates[(team_id, group.pk)] = people
    return people


def _least_loaded(people: list[User], batch: RoutingBatch | None = None) -> User | None:
    if not people:
        return None
    counts = batch.open_counts if batch is not None else {}
    pending = batch.assigned if batch is not None else Counter[int]()
    missing = [p for p in people if p.pk not in counts]
    if missing:
        found = dict(
            Conversation.objects.filter(
                organization_id=missing[0].organization_id, assignee__in=missing
            )
            .exclude(status=ConversationStatus.CLOSED)
            .values_list("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        counts.update({p.pk: found.get(p.pk, 0) for p in missing})
    return min(people, key=lambda p: (counts[p.pk] + pending[p.pk], p.pk))


def choose_assignee(
    rule: RoutingRule,
    conversation: Conversation,
    *,
    now: dt.datetime,
    batch: RoutingBatch | None = None,
) -> tuple[User | None, int | None]:
    """(assignee, team id) for the rule's assignment mode."""
    mode = AssignmentMode(rule.assignment)
    if mode == AssignmentMode.MANUAL:
        return None, rule.team_id
    people = _candidates(rule.team_id, conversation, batch)
    if not people:
        return None, rule.team_id
    if mode == AssignmentMode.ROUND_ROBIN:
        after = [p for p in people if rule.last_assigned_id is None or p.pk > rule.last_assigned_id]
        return (after or people)[0], rule.team_id
    if mode == AssignmentMode.LOAD_BALANCED:
        return _least_loaded(people, batch), rule.team_id
    working = [p for p in people if is_working(p, now)]
    if working:
        return _least_loaded(working, batch), rule.team_id
    return None, rule.fallback_team_id or rule.team_id


def conversation_route(
    *,
    conversation: Conversation,
    message: Message,
    now: dt.datetime | None = None,
    batch: RoutingBatch | None = None,
) -> RoutingRule | None:
    """Apply the first matching rule to a new conversation; return it (None: no rule matched).

    With a `batch` (inside its transaction) the routing is decided now and written by the
    batch's `close()`; without one it is written at once."""
    moment = now or timezone.now()
    if batch is not None:
        return batch.route(conversation, message, now=moment)
    with transaction.atomic():
        alone = RoutingBatch.for_organization(conversation.organization_id)
        rule = alone.route(conversation, message, now=moment)
        alone.close()
    return rule
