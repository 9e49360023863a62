"""Moderation: hiding someone's comment on the network, by hand or by rule, and undoing it.

A comment is hidden where the network allows the account to hide it
(`Capability.HIDE`: the sandbox; Bluesky, through the post's threadgate). Mastodon lets
an account mute or block an author but not hide a reply to its post from others, so it
does not declare the capability and the conversation page says so.

The network is called first, outside any transaction (it may be slow or fail); only
when it has acted is the message's moderation state stored, with its audit entry, in
one transaction. A rule ("hide spam with confidence >= 0.9 on these channels") is
matched on ingest, in memory, with one query for the batch's rules; the hiding itself
runs in a task after the batch commits, as the system.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from roost.channels.connectors.base import Capability, ConnectorError, InboundKind
from roost.channels.connectors.registry import UnknownConnector, connector_class
from roost.channels.health import connector_for
from roost.channels.models import Channel
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked, locked_one
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.text_input import text_problem
from roost.inbox.classify import Classification, Intent
from roost.inbox.classify_backends import intent_confidence
from roost.inbox.models import Direction, Message, MessageModeration, ModerationRule

logger = logging.getLogger(__name__)


class ModerationError(enum.StrEnum):
    NOT_HIDEABLE = "not_hideable"
    NETWORK_CANNOT_HIDE = "network_cannot_hide"
    NETWORK_REFUSED = "network_refused"


WHY_NOT: dict[str, str] = {
    "mastodon": (
        "Mastodon lets an account mute or block an author, not hide a reply to its post "
        "from others, so Roost cannot hide it there."
    ),
}


def channel_can_hide(channel: Channel) -> bool:
    """Whether the channel's network lets its account hide someone's comment."""
    try:
        return Capability.HIDE in connector_class(channel.connector).capabilities_for(
            channel.network
        )
    except UnknownConnector:
        return False


def why_not_hideable(channel: Channel) -> str:
    """In words, why a network's comments cannot be hidden from Roost."""
    return WHY_NOT.get(
        channel.connector, f"{channel.network.title()} does not let Roost hide comments."
    )


def message_hideable(message: Message) -> bool:
    """A comment, reply or mention from the audience: public, and not the team's own."""
    return message.direction == Direction.INBOUND and message.kind != InboundKind.DIRECT_MESSAGE


def _network_set(message: Message, *, hidden: bool) -> None:
    channel = message.channel
    if not channel_can_hide(channel):
        raise ApplicationError(ErrorCode.CONFLICT, why_not_hideable(channel))
    try:
        connector = connector_for(channel, purpose="moderation")
        if hidden:
            connector.hide(message.external_id)
        else:
            connector.unhide(message.external_id)
    except (ConnectorError, VaultError) as error:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"{channel.network.title()} did not accept it: {error}"
        ) from None


def _moderation_set(
    *,
    actor: Actor,
    message: Message,
    hidden: bool,
    rule: ModerationRule | None = None,
    confidence: float | None = None,
) -> MessageModeration:
    """Hide or show `message` on its network, then store and audit it.

    Precondition: not inside a transaction (the network is called).
    """
    if not message_hideable(message):
        raise ApplicationError(
            ErrorCode.INVALID, "Only a comment, reply or mention from the audience can be hidden."
        )
    require(actor, Action.INBOX_HANDLE, channel_group=message.channel.channel_group)
    _network_set(message, hidden=hidden)
    with transaction.atomic():
        MessageModeration.objects.get_or_create(
            message=message, defaults={"organization_id": message.organization_id}
        )
        row = locked(MessageModeration.objects.filter(message=message))[0]
        before = {"hidden": row.hidden}
        row.hidden = hidden
        row.changed_at = timezone.now()
        row.changed_by = actor if isinstance(actor, User) else None
        row.rule = rule
        row.confidence = confidence
        row.save(update_fields=["hidden", "changed_at", "changed_by", "rule", "confidence"])
        after: dict[str, Any] = {"hidden": hidden, "network": message.channel.network}
        if rule is not None:
            after |= {"rule": rule.name, "rule_id": rule.pk, "confidence": confidence}
        audit.record(
            organization=message.channel.organization,
            actor=actor,
            action="inbox.message.hidden" if hidden else "inbox.message.unhidden",
            target=message,
            target_label=f"{message.author_handle}: {message.text[:60]}",
            before=before,
            after=after,
        )
    message.moderation = row
    return row


def message_hide(*, actor: Actor, message: Message) -> MessageModeration:
    """Hide someone's comment on the network (by hand)."""
    return _moderation_set(actor=actor, message=message, hidden=True)


def message_unhide(*, actor: Actor, message: Message) -> MessageModeration:
    """Show a hidden comment on the network again (the undo of `message_hide`)."""
    return _moderation_set(actor=actor, message=message, hidden=False)


# Rules.


def rule_matches(rule: ModerationRule, classification: Classification) -> float | None:
    """The confidence with which the classification meets the rule, or None."""
    if classification.intent.value != rule.intent:
        return None
    confidence = intent_confidence(classification)
    return confidence if confidence >= rule.min_confidence else None


def moderation_rules_apply(
    *, channel: Channel, classified: Sequence[tuple[Message, Classification]]
) -> int:
    """Match a stored batch of the channel's messages against the organisation's rules for
    the channel (one query) and hide the matches after the batch commits. Returns how
    many will be hidden. Call inside the batch's transaction, after the messages are
    saved (they need their ids)."""
    candidates = [(m, c) for m, c in classified if message_hideable(m)]
    if not candidates:
        return 0
    rules = list(
        ModerationRule.objects.filter(
            organization_id=channel.organization_id, enabled=True, channels=channel
        ).order_by("pk")
    )
    if not rules:
        return 0
    matches = []
    for message, classification in candidates:
        for rule in rules:
            confidence = rule_matches(rule, classification)
            if confidence is not None:
                matches.append([message.pk, rule.pk, confidence])
                break
    if matches:
        enqueue_after_commit("roost.inbox.tasks.hide_by_rule", matches=matches)
    return len(matches)


def messages_hide_by_rule(*, matches: Sequence[Sequence[Any]]) -> int:
    """Hide each (message id, rule id, confidence) as the system; safe to run twice (a
    message hidden already, or whose rule was removed or disabled since, is passed over).
    Returns how many were hidden now."""
    hidden = 0
    for message_id, rule_id, confidence in matches:
        rule = ModerationRule.objects.filter(pk=rule_id, enabled=True).first()
        message = (
            Message.objects.select_related("channel__organization", "channel__channel_group")
            .filter(pk=message_id)
            .first()
        )
        if rule is None or message is None or message.organization_id != rule.organization_id:
            continue
        if MessageModeration.objects.filter(message=message).exists():
            continue  # hidden already, or a person decided (an unhide is not overruled)
        try:
            _moderation_set(
                actor=SYSTEM, message=message, hidden=True, rule=rule, confidence=float(confidence)
            )
        except ApplicationError as error:
            logger.warning("rule %s could not hide message %s: %s", rule_id, message_id, error)
            continue
        hidden += 1
    return hidden


RULE_NAME_MAX = ModerationRule._meta.get_field("name").max_length or 120


@dataclass(frozen=True)
class ModerationRuleSpec:
    name: str
    intent: str
    min_confidence: float
    channel_ids: Sequence[int]
    enabled: bool = True


def _checked(actor: User, spec: ModerationRuleSpec) -> list[Channel]:
    require(actor, Action.INBOX_CONFIGURE)
    if not spec.name.strip():
        raise ApplicationError(ErrorCode.INVALID, "Name the rule.", field="name")
    if len(spec.name.strip()) > RULE_NAME_MAX or text_problem(spec.name) is not None:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Give the rule a name of at most {RULE_NAME_MAX} characters, as plain text.",
            field="name",
        )
    if spec.intent not in {i.value for i in Intent}:
        raise ApplicationError(ErrorCode.INVALID, "Choose an intent.", field="intent")
    # A NaN fails both comparisons, so it is refused as well.
    if not 0.0 <= spec.min_confidence <= 1.0:
        raise ApplicationError(
            ErrorCode.INVALID, "The confidence is a number from 0 to 1.", field="min_confidence"
        )
    channels = list(
        Channel.objects.filter(organization_id=actor.organization_id, pk__in=spec.channel_ids)
    )
    if not channels or len(channels) != len(set(spec.channel_ids)):
        raise ApplicationError(ErrorCode.INVALID, "Choose the channels.", field="channels")
    return channels


def _rule_described(rule: ModerationRule, channels: Sequence[Channel]) -> dict[str, Any]:
    return {
        "name": rule.name,
        "intent": rule.intent,
        "min_confidence": rule.min_confidence,
        "channels": sorted(c.pk for c in channels),
        "enabled": rule.enabled,
    }


def moderation_rule_create(*, actor: User, spec: ModerationRuleSpec) -> ModerationRule:
    channels = _checked(actor, spec)
    with transaction.atomic():
        rule = ModerationRule.objects.create(
            organization_id=actor.organization_id,
            name=spec.name.strip(),
            intent=spec.intent,
            min_confidence=spec.min_confidence,
            enabled=spec.enabled,
        )
        rule.channels.set(channels)
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.moderation_rule.created",
            target=rule,
            after=_rule_described(rule, channels),
        )
    return rule


def _rule_locked(actor: User, rule: ModerationRule) -> ModerationRule:
    """The rule's row, locked; not found when it is another organisation's or gone."""
    try:
        return locked_one(
            ModerationRule.objects.filter(organization_id=actor.organization_id), rule.pk
        )
    except ModerationRule.DoesNotExist:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such rule.") from None


def moderation_rule_update(
    *, actor: User, rule: ModerationRule, spec: ModerationRuleSpec
) -> ModerationRule:
    """Change a rule: its name, intent, threshold, channels, or whether it is on (turning
    it off is the undo of turning it on; a match queued before stays passed over, since
    the hiding task reads the rule again). Audited with the old and new values."""
    require(actor, Action.INBOX_CONFIGURE)
    if rule.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such rule.")
    channels = _checked(actor, spec)
    with transaction.atomic():
        row = _rule_locked(actor, rule)
        before = _rule_described(row, list(row.channels.all()))
        row.name = spec.name.strip()
        row.intent = spec.intent
        row.min_confidence = spec.min_confidence
        row.enabled = spec.enabled
        row.save(update_fields=["name", "intent", "min_confidence", "enabled"])
        row.channels.set(channels)
        after = _rule_described(row, channels)
        if before != after:
            audit.record(
                organization=actor.organization,
                actor=actor,
                action="inbox.moderation_rule.updated",
                target=row,
                before=before,
                after=after,
            )
    return row


def moderation_rule_delete(*, actor: User, rule: ModerationRule) -> None:
    require(actor, Action.INBOX_CONFIGURE)
    if rule.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such rule.")
    with transaction.atomic():
        rule = _rule_locked(actor, rule)
        before = _rule_described(rule, list(rule.channels.all()))
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.moderation_rule.deleted",
            target=rule,
            before=before,
        )
        rule.delete()
