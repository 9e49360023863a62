"""One action on many conversations: each goes through its own service call, so the
permission check and the audit event apply per conversation, and one refusal does not
stop the rest. A reply with a saved reply is filled in for each conversation on its
own, so every customer gets their own answer (their name, the channel they wrote to)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from roost.core.errors import ApplicationError
from roost.core.models import User
from roost.inbox import selectors, services
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import Conversation, ConversationStatus, SavedReply
from roost.inbox.reply_variables import reply_render, reply_variables
from roost.inbox.snooze import until_check

MAX_BULK = 200


class BulkAction(enum.StrEnum):
    ASSIGN = "assign"
    TAG = "tag"
    CLOSE = "close"
    SNOOZE = "snooze"
    REPLY = "reply"


@dataclass(frozen=True)
class BulkRefusal:
    conversation_id: int
    label: str
    reason: str


@dataclass
class BulkResult:
    succeeded: int = 0
    refused: list[BulkRefusal] = field(default_factory=list)


def _validate(
    action: BulkAction,
    ids: list[int],
    tags: Sequence[str],
    until: dt.datetime | None,
    saved_reply: SavedReply | None,
) -> None:
    if not ids:
        raise InboxError(InboxProblem.BULK_NONE_CHOSEN, field="ids")
    if len(ids) > MAX_BULK:
        raise InboxError(InboxProblem.BULK_TOO_MANY, field="ids", limit=MAX_BULK)
    if action is BulkAction.TAG and not any(tag.strip() for tag in tags):
        raise InboxError(InboxProblem.BULK_TAG_MISSING, field="tags")
    if action is BulkAction.SNOOZE:
        if until is None:
            raise InboxError(InboxProblem.BULK_UNTIL_MISSING, field="until")
        until_check(until, now=timezone.now())
    if action is BulkAction.REPLY and saved_reply is None:
        raise InboxError(InboxProblem.BULK_SAVED_REPLY_MISSING, field="saved_reply")


def _act_on_one(
    *,
    actor: User,
    conversation: Conversation,
    action: BulkAction,
    assignee: User | None,
    tags: Sequence[str],
    until: dt.datetime | None,
    saved_reply: SavedReply | None,
) -> None:
    if action is BulkAction.REPLY:
        assert saved_reply is not None  # checked by _validate
        values = reply_variables(conversation=conversation, agent=actor)
        rendered = reply_render(saved_reply.text, values)
        if rendered.unknown:
            # Never send a customer "{order_id}": a person fills it in by hand instead.
            unknown = ", ".join(f"{{{name}}}" for name in rendered.unknown)
            raise InboxError(InboxProblem.BULK_REPLY_UNKNOWN_VARIABLES, unknown=unknown)
        services.conversation_reply(actor=actor, conversation=conversation, text=rendered.text)
    elif action is BulkAction.ASSIGN:
        services.conversation_assign(actor=actor, conversation=conversation, assignee=assignee)
    elif action is BulkAction.TAG:
        services.conversation_tag(
            actor=actor, conversation=conversation, tags=[*conversation.tags, *tags]
        )
    elif action is BulkAction.CLOSE:
        if conversation.status == ConversationStatus.CLOSED:
            raise InboxError(InboxProblem.ALREADY_CLOSED)
        services.conversation_status_set(
            actor=actor, conversation=conversation, status=ConversationStatus.CLOSED
        )
    else:
        assert until is not None  # checked by _validate
        services.conversation_snooze(actor=actor, conversation=conversation, until=until)


def conversations_bulk_act(
    *,
    actor: User,
    conversation_ids: Sequence[int],
    action: BulkAction | str,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    until: dt.datetime | None = None,
    saved_reply: SavedReply | None = None,
) -> BulkResult:
    """Assign (to `assignee`; None unassigns), add `tags`, close, snooze until `until` or
    answer with `saved_reply` (filled in for each) each conversation. A reply calls the
    network, so this must not run inside a transaction (`conversation_reply`).
    Raises `ApplicationError(INVALID)` for a request that cannot apply
    to any of them; otherwise reports how many succeeded and why each other was refused."""
    try:
        action = BulkAction(action)
    except ValueError:
        raise InboxError(InboxProblem.BULK_ACTION_UNKNOWN, field="action") from None
    ids = list(dict.fromkeys(conversation_ids))
    _validate(action, ids, tags, until, saved_reply)
    found = {c.pk: c for c in selectors.conversations_by_ids(viewer=actor, ids=ids)}
    result = BulkResult()
    for conversation_id in ids:
        conversation = found.get(conversation_id)
        if conversation is None:
            result.refused.append(
                BulkRefusal(conversation_id, f"#{conversation_id}", "Conversation not found.")
            )
            continue
        try:
            _act_on_one(
                actor=actor,
                conversation=conversation,
                action=action,
                assignee=assignee,
                tags=tags,
                until=until,
                saved_reply=saved_reply,
            )
        except ApplicationError as error:
            label = f"{conversation.author_handle} on {conversation.channel.handle}"
            result.refused.append(BulkRefusal(conversation_id, label, error.message))
        else:
            result.succeeded += 1
    return result
