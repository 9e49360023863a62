"""Managing routing rules: create, change, delete and reorder, each audited.

Rules are organisation-wide settings, so every change needs `INBOX_CONFIGURE` on the
whole organisation. The order is the order of `position` (then id); the first rule whose
conditions all match a new conversation routes it (`roost.inbox.routing.route`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max

from roost.channels.models import Channel
from roost.core import audit
from roost.core.actions import audited_create, audited_delete, audited_update
from roost.core.models import Brand, Team, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.inbox.classify import LANGUAGES, Intent, Priority, Sentiment
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.locks import routing_rules_locked
from roost.inbox.models import AssignmentMode, RoutingRule
from roost.inbox.routing.auto_reply import (
    AUTO_REPLY_VARIABLES,
    MAX_AUTO_REPLY,
    auto_reply_unknown_variables,
)

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
AUDITED_FIELDS = (
    "name",
    "position",
    "channel",
    "brand",
    "language",
    "keyword",
    "sentiment",
    "intent",
    "team",
    "priority",
    "tags",
    "auto_reply",
    "assignment",
    "fallback_team",
)


class MoveDirection(enum.StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class RoutingRuleSpec:
    """What a rule says. Empty conditions match anything; empty actions change nothing."""

    name: str
    channel: Channel | None = None
    brand: Brand | None = None
    language: str = ""
    keyword: str = ""
    sentiment: str = ""
    intent: str = ""
    team: Team | None = None
    priority: str = ""
    tags: Sequence[str] = ()
    auto_reply: str = ""
    assignment: str = AssignmentMode.MANUAL
    fallback_team: Team | None = None


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trimmed, lower-case, at most 40 characters each, without repeats, sorted."""
    return sorted({tag.strip().lower()[:MAX_TAG_LENGTH] for tag in tags if tag.strip()})


def _choice(value: str, allowed: Sequence[str], field: str, what: str) -> str:
    value = value.strip()
    if value and value not in allowed:
        raise InboxError(
            InboxProblem.CHOICE_UNKNOWN,
            field=field,
            what=what,
            value=value,
            allowed=", ".join(allowed),
        )
    return value


def _owned(thing: Channel | Brand | Team | None, organization_id: int, field: str) -> None:
    if thing is not None and thing.organization_id != organization_id:
        raise InboxError(InboxProblem.CHOICE_FOREIGN, field=field)


def _cleaned(spec: RoutingRuleSpec, organization_id: int) -> dict[str, Any]:
    """The spec's values ready to store, or `ApplicationError(INVALID)` naming the field."""
    name = spec.name.strip()
    if not name:
        raise InboxError(InboxProblem.RULE_NAME_MISSING, field="name")
    if len(name) > 120:
        raise InboxError(InboxProblem.TEXT_TOO_LONG, field="name", limit=120)
    for thing, field in (
        (spec.channel, "channel"),
        (spec.brand, "brand"),
        (spec.team, "team"),
        (spec.fallback_team, "fallback_team"),
    ):
        _owned(thing, organization_id, field)
    keyword = spec.keyword.strip()
    if len(keyword) > 120:
        raise InboxError(InboxProblem.TEXT_TOO_LONG, field="keyword", limit=120)
    tags = clean_tags(spec.tags)
    if len(tags) > MAX_TAGS:
        raise InboxError(InboxProblem.TAGS_TOO_MANY, field="tags", limit=MAX_TAGS)
    auto_reply = spec.auto_reply.strip()
    if len(auto_reply) > MAX_AUTO_REPLY:
        raise InboxError(InboxProblem.TEXT_TOO_LONG, field="auto_reply", limit=MAX_AUTO_REPLY)
    unknown = auto_reply_unknown_variables(auto_reply)
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in AUTO_REPLY_VARIABLES)
        named = ", ".join(f"{{{name}}}" for name in unknown)
        raise InboxError(
            InboxProblem.AUTO_REPLY_VARIABLE_UNKNOWN, field="auto_reply", named=named, known=known
        )
    try:
        assignment = AssignmentMode(spec.assignment)
    except ValueError:
        raise InboxError(
            InboxProblem.ASSIGNMENT_UNKNOWN, field="assignment", mode=spec.assignment
        ) from None
    if assignment != AssignmentMode.MANUAL and spec.team is None:
        raise InboxError(InboxProblem.ASSIGNMENT_NEEDS_TEAM, field="team")
    if spec.fallback_team is not None:
        if assignment != AssignmentMode.SHIFT_AWARE:
            raise InboxError(InboxProblem.FALLBACK_TEAM_NOT_SHIFT_AWARE, field="fallback_team")
        if spec.fallback_team == spec.team:
            raise InboxError(InboxProblem.FALLBACK_TEAM_SAME, field="fallback_team")
    return {
        "name": name,
        "channel": spec.channel,
        "brand": spec.brand,
        "language": _choice(spec.language, LANGUAGES, "language", "language"),
        "keyword": keyword,
        "sentiment": _choice(spec.sentiment, list(Sentiment), "sentiment", "sentiment"),
        "intent": _choice(spec.intent, list(Intent), "intent", "intent"),
        "team": spec.team,
        "priority": _choice(spec.priority, list(Priority), "priority", "priority"),
        "tags": tags,
        "auto_reply": auto_reply,
        "assignment": assignment.value,
        "fallback_team": spec.fallback_team,
    }


def _check(actor: User, rule: RoutingRule) -> None:
    require_on(actor, rule, Action.INBOX_CONFIGURE, noun="Routing rule")


def routing_rule_create(*, actor: User, spec: RoutingRuleSpec) -> RoutingRule:
    """Add a rule after the existing ones."""
    require(actor, Action.INBOX_CONFIGURE)
    values = _cleaned(spec, actor.organization_id)
    with transaction.atomic():
        last = RoutingRule.objects.filter(organization_id=actor.organization_id).aggregate(
            last=Max("position")
        )["last"]
        return audited_create(
            RoutingRule,
            actor=actor,
            organization=actor.organization,
            values={"position": 0 if last is None else last + 1, **values},
            action="inbox.routing_rule.created",
            fields=AUDITED_FIELDS,
        )


def routing_rule_update(*, actor: User, rule: RoutingRule, spec: RoutingRuleSpec) -> RoutingRule:
    _check(actor, rule)
    return audited_update(
        rule,
        actor=actor,
        organization=actor.organization,
        values=_cleaned(spec, actor.organization_id),
        action="inbox.routing_rule.updated",
        fields=AUDITED_FIELDS,
    )


def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    _check(actor, rule)
    audited_delete(
        rule,
        actor=actor,
        organization=actor.organization,
        action="inbox.routing_rule.deleted",
        fields=AUDITED_FIELDS,
    )


def routing_rule_move(*, actor: User, rule: RoutingRule, direction: MoveDirection) -> RoutingRule:
    """Swap the rule with its neighbour above or below; positions become 0, 1, 2, ...

    `ApplicationError(CONFLICT)` when the rule is already first (up) or last (down).
    """
    _check(actor, rule)
    direction = MoveDirection(direction)
    with transaction.atomic():
        locked = routing_rules_locked(organization_id=actor.organization_id)
        ordered = sorted(locked, key=lambda r: (r.position, r.pk))
        index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
        other = index - 1 if direction == MoveDirection.UP else index + 1
        if not 0 <= other < len(ordered):
            where = "first" if direction == MoveDirection.UP else "last"
            raise InboxError(InboxProblem.RULE_ALREADY_AT_END, where=where)
        ordered[index], ordered[other] = ordered[other], ordered[index]
        changed = []
        for position, each in enumerate(ordered):
            if each.position != position:
                each.position = position
                changed.append(each)
        RoutingRule.objects.bulk_update(changed, ["position"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.routing_rule.moved",
            target=rule,
            before={"position": index},
            after={"position": other, "order": [each.name for each in ordered]},
        )
    rule.position = other
    return rule
