"""Auto-replies: the text a routing rule sends back when it routes a new conversation.

An auto-reply acknowledges; it does not answer. It sets no `first_response_at`, records no
agent reply for the SLA clocks and leaves the status alone, so the first-response target
still waits for a person.

It is sent by the worker once the routing has committed, and at most once per
conversation: the conversation row is locked while it is sent, the network call carries a
key made from the conversation (the network returns the first post for a repeated key),
and the reply is stored as an outbound message of kind `AUTO_REPLY_KIND`, which a second
run finds before calling the network.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.channels.connectors.base import (
    Connector,
    ConnectorError,
    Published,
    TransientError,
    safe_to_resend,
)
from roost.channels.health import connector_for
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.enqueue import enqueue_after_commit
from roost.inbox.locks import conversation_locked_with_channel
from roost.inbox.models import Conversation, ConversationStatus, Direction, Message, RoutingRule

logger = logging.getLogger(__name__)

AUTO_REPLY_KIND = "auto_reply"
MAX_AUTO_REPLY = 1000
AUTO_REPLY_VARIABLES = ("author_name", "author_handle")
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AutoReplyOutcome(enum.StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    NOT_NEEDED = "not_needed"
    FAILED = "failed"


def auto_reply_unknown_variables(text: str) -> list[str]:
    """The `{names}` in the text that an auto-reply cannot fill, in order of appearance."""
    unknown: list[str] = []
    for name in _VARIABLE.findall(text):
        if name not in AUTO_REPLY_VARIABLES and name not in unknown:
            unknown.append(name)
    return unknown


def auto_reply_fill(text: str, conversation: Conversation) -> str:
    """Fill `{author_name}` (the handle when the network gives no name) and
    `{author_handle}`; any other braces stay as written."""
    values = {
        "author_name": conversation.author_name or conversation.author_handle,
        "author_handle": conversation.author_handle,
    }
    return _VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def auto_reply_key(conversation_id: int) -> str:
    """The network idempotency key: the same for every attempt on one conversation."""
    return f"auto-reply-{conversation_id}"


def auto_reply_schedule(*, conversation: Conversation, rule: RoutingRule) -> None:
    """Queue the rule's auto-reply for when the current transaction commits."""
    enqueue_after_commit(
        "roost.inbox.tasks.send_auto_reply", conversation_id=conversation.pk, rule_id=rule.pk
    )


def _send(connector: Connector, conversation_id: int, to_external_id: str, text: str) -> Published:
    key = auto_reply_key(conversation_id)
    try:
        return connector.reply(to_external_id=to_external_id, text=text, idempotency_key=key)
    except TransientError as error:
        # One quick retry, as for a person's reply, where it cannot post twice.
        if not safe_to_resend(connector, error):
            raise
        return connector.reply(to_external_id=to_external_id, text=text, idempotency_key=key)


def _record_failure(conversation: Conversation, rule: RoutingRule, reason: str) -> None:
    """Tell the people handling the conversation, in its thread, that nothing was sent."""
    external_id = f"auto-reply-failed-{conversation.pk}"
    if not Message.objects.filter(
        identity_id=conversation.identity_id, external_id=external_id
    ).exists():
        Message.objects.create(
            organization_id=conversation.organization_id,
            conversation=conversation,
            channel=conversation.channel,
            external_id=external_id,
            kind="note",
            direction=Direction.NOTE,
            author_handle="Roost",
            text=f"The auto-reply of routing rule “{rule.name}” was not sent: {reason}",
            created_at=timezone.now(),
        )
    audit.record(
        organization=conversation.channel.channel_group.organization,
        actor=SYSTEM,
        action="inbox.conversation.auto_reply_failed",
        target=conversation,
        after={"rule": rule.name, "reason": reason[:300]},
    )


@dataclass(frozen=True)
class _Work:
    conversation: Conversation
    rule: RoutingRule
    reply_to: Message


def _work(conversation_id: int, rule_id: int, *, lock: bool) -> _Work | AutoReplyOutcome:
    """What there is to send, or why nothing is."""
    if lock:
        conversation = conversation_locked_with_channel(conversation_id)
    else:
        conversation = (
            Conversation.objects.select_related("channel__channel_group__organization")
            .filter(pk=conversation_id)
            .first()
        )
    if conversation is None:
        return AutoReplyOutcome.NOT_NEEDED
    sent = conversation.messages.filter(direction=Direction.OUTBOUND, kind=AUTO_REPLY_KIND)
    if sent.exists():
        return AutoReplyOutcome.ALREADY_SENT
    rule = RoutingRule.objects.filter(
        pk=rule_id, organization_id=conversation.organization_id
    ).first()
    first = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("created_at", "pk")
        .first()
    )
    if (
        rule is None
        or not rule.auto_reply.strip()
        or first is None
        or conversation.first_response_at is not None
        or conversation.status == ConversationStatus.CLOSED
    ):
        return AutoReplyOutcome.NOT_NEEDED
    return _Work(conversation, rule, first)


def auto_reply_send(*, conversation_id: int, rule_id: int) -> AutoReplyOutcome:
    """Send the rule's auto-reply on the conversation unless it was sent already or is
    no longer wanted (the rule lost its text, a person answered, the conversation closed).

    Safe to run twice, at the same time too: the second run waits for the row lock and
    then finds the stored reply (or, on a database without row locks, gets the same post
    back from the network and finds the message stored by the first). The connector is
    opened before the lock is taken: opening it writes the audit log, which serialises
    the organisation's writers and must not be held while the network call is in flight.
    """
    found = _work(conversation_id, rule_id, lock=False)
    if not isinstance(found, _Work):
        return found
    connector: Connector | VaultError
    try:
        connector = connector_for(found.conversation.channel, purpose="inbox auto-reply")
    except VaultError as error:
        connector = error
    with transaction.atomic():
        work = _work(conversation_id, rule_id, lock=True)
        if not isinstance(work, _Work):
            return work
        conversation, rule = work.conversation, work.rule
        text = auto_reply_fill(rule.auto_reply.strip(), conversation)
        try:
            if isinstance(connector, VaultError):
                raise connector
            published = _send(connector, conversation.pk, work.reply_to.external_id, text)
        except (ConnectorError, VaultError) as error:
            reason = getattr(error, "network_message", "") or str(error) or type(error).__name__
            logger.warning("auto-reply on conversation %s not sent: %s", conversation.pk, reason)
            _record_failure(conversation, rule, reason)
            return AutoReplyOutcome.FAILED
        try:
            with transaction.atomic():
                Message.objects.create(
                    organization_id=conversation.organization_id,
                    conversation=conversation,
                    channel=conversation.channel,
                    external_id=published.external_id,
                    kind=AUTO_REPLY_KIND,
                    direction=Direction.OUTBOUND,
                    author_handle=conversation.channel.handle,
                    text=text,
                    parent_external_id=work.reply_to.external_id,
                    url=published.url,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            return AutoReplyOutcome.ALREADY_SENT  # a concurrent run stored the same post
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=SYSTEM,
            action="inbox.conversation.auto_replied",
            target=conversation,
            after={"rule": rule.name, "message": published.external_id},
        )
    return AutoReplyOutcome.SENT
