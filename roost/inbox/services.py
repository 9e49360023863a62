"""Handling conversations: reply through the network, notes, assign, tag, close, reopen.

Each change checks the policy on the conversation's channel group and writes
the audit log in the same transaction. A reply calls the network first (outside
any transaction) and stores what the network accepted.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from roost.channels.connectors.base import ConnectorError, TransientError, safe_to_resend
from roost.channels.health import connector_for
from roost.core import audit
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.tenancy import require_on
from roost.core.text_input import MESSAGES, text_problem
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.mentions import mentions_notify, people_mentioned
from roost.inbox.models import Conversation, ConversationStatus, Direction, Message, SendState
from roost.inbox.presence import reply_collision_check
from roost.inbox.sla.clocks import SlaEventKind
from roost.inbox.sla.services import event_record
from roost.inbox.snooze import until_check

MAX_REPLY = 5000
# Status changes as the SLA clocks see them.
STATUS_EVENTS: dict[tuple[ConversationStatus, ConversationStatus], tuple[SlaEventKind, ...]] = {
    (ConversationStatus.OPEN, ConversationStatus.CLOSED): (SlaEventKind.CLOSED,),
    (ConversationStatus.WAITING, ConversationStatus.CLOSED): (
        SlaEventKind.WAITING_ENDED,
        SlaEventKind.CLOSED,
    ),
    (ConversationStatus.SNOOZED, ConversationStatus.CLOSED): (SlaEventKind.CLOSED,),
    (ConversationStatus.CLOSED, ConversationStatus.OPEN): (SlaEventKind.REOPENED,),
    (ConversationStatus.OPEN, ConversationStatus.WAITING): (SlaEventKind.WAITING_STARTED,),
    (ConversationStatus.WAITING, ConversationStatus.OPEN): (SlaEventKind.WAITING_ENDED,),
    # Snoozed counts as open for the clocks; a wait from before the snooze ends here
    # (an end of a wait that never started changes nothing).
    (ConversationStatus.SNOOZED, ConversationStatus.OPEN): (SlaEventKind.WAITING_ENDED,),
    (ConversationStatus.SNOOZED, ConversationStatus.WAITING): (SlaEventKind.WAITING_STARTED,),
}
STATUS_ACTIONS = {
    ConversationStatus.OPEN: "inbox.conversation.reopened",
    ConversationStatus.WAITING: "inbox.conversation.waiting",
    ConversationStatus.SNOOZED: "inbox.conversation.snoozed",
    ConversationStatus.CLOSED: "inbox.conversation.closed",
}


def _check(actor: User, conversation: Conversation) -> None:
    group = conversation.channel.channel_group
    require_on(actor, conversation, Action.INBOX_HANDLE, noun="Conversation", channel_group=group)


def conversation_reply(
    *,
    actor: User,
    conversation: Conversation,
    text: str,
    seen_message_id: int | None = None,
    confirmed: bool = False,
) -> Message:
    """Send a reply back to the network and record it; stops the first-response clock.

    `seen_message_id` is the newest message the actor was shown: a reply someone else
    sent after it is a collision, refused unless `confirmed` (`reply_collision_check`).
    Precondition: not inside a transaction, so the pending reply is committed before the
    network is called.
    """
    _check(actor, conversation)
    reply_collision_check(
        actor=actor,
        conversation=conversation,
        seen_message_id=seen_message_id,
        confirmed=confirmed,
    )
    text = text.strip()
    if not text:
        raise InboxError(InboxProblem.REPLY_EMPTY, field="text")
    if (problem := text_problem(text)) is not None:
        raise InboxError(InboxProblem.REPLY_UNSTORABLE, field="text", fault=MESSAGES[problem])
    if len(text) > MAX_REPLY:
        raise InboxError(InboxProblem.TEXT_TOO_LONG, field="text", limit=MAX_REPLY)
    last = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None:
        raise InboxError(InboxProblem.NOTHING_TO_REPLY_TO)
    key = f"reply-{secrets.token_hex(12)}"
    connector = connector_for(conversation.channel, purpose="inbox reply")
    # Recorded (and committed) before the network is called: whatever fails afterwards,
    # Roost knows this reply may have gone out, under this key.
    reply = Message.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        channel=conversation.channel,
        external_id=key,
        kind=last.kind,
        direction=Direction.OUTBOUND,
        author_handle=conversation.channel.handle,
        sent_by=actor,
        text=text,
        parent_external_id=last.external_id,
        created_at=timezone.now(),
        send_state=SendState.PENDING,
    )
    try:
        published = None
        for _ in range(2):  # one quick retry for a transient error
            try:
                published = connector.reply(
                    to_external_id=last.external_id, text=text, idempotency_key=key
                )
                break
            except TransientError as error:
                if safe_to_resend(connector, error):
                    continue
                raise TransientError(
                    "the network did not answer, and it may have posted the reply: look on "
                    "the network before sending it again"
                ) from error
        if published is None:
            raise TransientError("the network did not answer; try again in a moment")
    except ConnectorError as error:
        message = getattr(error, "network_message", "") or str(error)
        reply.send_state = SendState.FAILED
        reply.send_error = message[:300]
        reply.save(update_fields=["send_state", "send_error"])
        raise InboxError(InboxProblem.NETWORK_REFUSED_REPLY, reason=message) from error
    now = timezone.now()
    with transaction.atomic():
        reply.external_id = published.external_id
        reply.url = published.url
        reply.created_at = now
        reply.send_state = SendState.SENT
        reply.save(update_fields=["external_id", "url", "created_at", "send_state"])
        fields = ["last_message_at", "status"]
        conversation.last_message_at = now
        conversation.status = ConversationStatus.WAITING
        if conversation.first_response_at is None:
            conversation.first_response_at = now
            fields.append("first_response_at")
        if conversation.assignee_id is None:
            conversation.assignee = actor
            fields.append("assignee")
        conversation.save(update_fields=fields)
        event_record(conversation=conversation, kind=SlaEventKind.AGENT_REPLY, at=now)
        event_record(conversation=conversation, kind=SlaEventKind.WAITING_STARTED, at=now)
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action="inbox.conversation.replied",
            target=conversation,
            after={"message": reply.external_id, "length": len(text)},
        )
    return reply


def conversation_note(*, actor: User, conversation: Conversation, text: str) -> Message:
    """An internal note: never sent to the network. People it @mentions (see
    `roost.inbox.mentions`) are e-mailed after commit and named in the audit event."""
    _check(actor, conversation)
    if not text.strip():
        raise InboxError(InboxProblem.NOTE_EMPTY, field="text")
    mentioned = people_mentioned(text=text, conversation=conversation, author=actor)
    with transaction.atomic():
        note = Message.objects.create(
            organization_id=conversation.organization_id,
            conversation=conversation,
            channel=conversation.channel,
            external_id=f"note-{secrets.token_hex(12)}",
            kind="note",
            direction=Direction.NOTE,
            author_handle=actor.email,
            sent_by=actor,
            text=text.strip(),
            created_at=timezone.now(),
        )
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action="inbox.conversation.noted",
            target=conversation,
            after={"note": note.pk, "mentioned": [person.email for person in mentioned]},
        )
        mentions_notify(note=note, people=mentioned)
    return note


def conversation_assign(
    *, actor: User, conversation: Conversation, assignee: User | None
) -> Conversation:
    _check(actor, conversation)
    if assignee is not None and (
        assignee.organization_id != conversation.organization_id
        or not can(assignee, Action.INBOX_HANDLE, channel_group=conversation.channel.channel_group)
    ):
        raise InboxError(InboxProblem.ASSIGNEE_CANNOT_HANDLE, field="assignee")
    with transaction.atomic():
        before = conversation.assignee.email if conversation.assignee else None
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee"])
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action="inbox.conversation.assigned",
            target=conversation,
            before={"assignee": before},
            after={"assignee": assignee.email if assignee else None},
        )
    return conversation


def conversation_status_set(
    *, actor: User, conversation: Conversation, status: ConversationStatus
) -> Conversation:
    """Close, reopen (open), or mark as waiting on the customer."""
    _check(actor, conversation)
    status = ConversationStatus(status)
    with transaction.atomic():
        before = conversation.status
        conversation.status = status
        conversation.closed_at = timezone.now() if status == ConversationStatus.CLOSED else None
        if status != ConversationStatus.SNOOZED:
            conversation.snoozed_until = None
        conversation.save(update_fields=["status", "closed_at", "snoozed_until"])
        for kind in STATUS_EVENTS.get((ConversationStatus(before), status), ()):
            event_record(conversation=conversation, kind=kind)
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action=STATUS_ACTIONS[status],
            target=conversation,
            before={"status": before},
            after={"status": status.value},
        )
    return conversation


def conversation_tag(*, actor: User, conversation: Conversation, tags: list[str]) -> Conversation:
    _check(actor, conversation)
    clean = sorted({t.strip().lower()[:40] for t in tags if t.strip()})
    with transaction.atomic():
        before = list(conversation.tags)
        conversation.tags = clean
        conversation.save(update_fields=["tags"])
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action="inbox.conversation.tagged",
            target=conversation,
            before={"tags": before},
            after={"tags": clean},
        )
    return conversation


def conversation_snooze(
    *, actor: User, conversation: Conversation, until: dt.datetime
) -> Conversation:
    """Hide the conversation from the working queues until `until` (aware, in the future,
    at most a year ahead), or until the customer writes again (`roost.inbox.snooze`)."""
    _check(actor, conversation)
    until_check(until, now=timezone.now())
    if conversation.status == ConversationStatus.CLOSED:
        raise InboxError(InboxProblem.SNOOZE_CLOSED)
    with transaction.atomic():
        previous = conversation.snoozed_until
        before = {
            "status": conversation.status,
            "snoozed_until": previous.isoformat() if previous else None,
        }
        conversation.status = ConversationStatus.SNOOZED
        conversation.snoozed_until = until
        conversation.save(update_fields=["status", "snoozed_until"])
        audit.record(
            organization=conversation.channel.channel_group.organization,
            actor=actor,
            action=STATUS_ACTIONS[ConversationStatus.SNOOZED],
            target=conversation,
            before=before,
            after={"status": ConversationStatus.SNOOZED.value, "snoozed_until": until.isoformat()},
        )
    return conversation
