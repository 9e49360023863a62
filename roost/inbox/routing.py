"""Routing new conversations: the first matching rule sets team, priority and tags,
then an assignment mode picks a person (or leaves it to the team)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from roost.core import audit
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.inbox.models import (
    AssignmentMode,
    Conversation,
    ConversationStatus,
    Message,
    Priority,
    RoutingRule,
)

PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


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


def _candidates(team_id: int | None, conversation: Conversation) -> list[User]:
    if team_id is None:
        return []
    group = conversation.channel.channel_group
    members = User.objects.filter(teams__pk=team_id, is_active=True).order_by("pk")
    return [m for m in members if can(m, Action.INBOX_HANDLE, channel_group=group)]


def _least_loaded(people: list[User]) -> User | None:
    if not people:
        return None
    open_counts = dict(
        Conversation.objects.filter(assignee__in=people)
        .exclude(status=ConversationStatus.CLOSED)
        .values_list("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    return min(people, key=lambda p: (open_counts.get(p.pk, 0), p.pk))


def choose_assignee(
    rule: RoutingRule, conversation: Conversation, *, now: dt.datetime
) -> tuple[User | None, int | None]:
    """(assignee, team id) for the rule's assignment mode."""
    people = _candidates(rule.team_id, conversation)
    mode = AssignmentMode(rule.assignment)
    if mode == AssignmentMode.MANUAL or not people:
        return None, rule.team_id
    if mode == AssignmentMode.ROUND_ROBIN:
        after = [p for p in people if rule.last_assigned_id is None or p.pk > rule.last_assigned_id]
        return (after or people)[0], rule.team_id
    if mode == AssignmentMode.LOAD_BALANCED:
        return _least_loaded(people), rule.team_id
    working = [p for p in people if is_working(p, now)]
    if working:
        return _least_loaded(working), rule.team_id
    return None, rule.fallback_team_id or rule.team_id


def conversation_route(
    *, conversation: Conversation, message: Message, now: dt.datetime | None = None
) -> RoutingRule | None:
    """Apply the first matching rule to a new conversation; return it (None: no rule matched)."""
    moment = now or timezone.now()
    rules = RoutingRule.objects.filter(organization_id=conversation.organization_id).order_by(
        "position", "pk"
    )
    for rule in rules:
        if not rule_matches(rule, conversation, message):
            continue
        with transaction.atomic():
            locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
            assignee, team_id = choose_assignee(locked, conversation, now=moment)
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
                locked.save(update_fields=["last_assigned"])
            conversation.save(update_fields=fields)
            audit.record(
                organization=conversation.channel.channel_group.organization,
                actor=None,
                action="inbox.conversation.routed",
                target=conversation,
                after={
                    "rule": locked.name,
                    "team": team_id,
                    "assignee": assignee.email if assignee else None,
                    "priority": conversation.priority,
                },
            )
        return rule
    return None
