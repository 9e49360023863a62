"""Collision detection: who else has a conversation open, and whether they are typing.

Each open conversation page sends a heartbeat every few seconds; a presence row not
refreshed within `PRESENCE_WINDOW` is stale and no longer shown. Presence is
ephemeral, refreshed many times a minute and gone when the page closes, so it is
not written to the audit log; the replies it helps keep from crossing are.

`reply_collision_check` is the guard the reply path calls before sending: it
refuses a reply when someone else replied after the replier's page was loaded,
unless the replier confirms they have read it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from roost.core.models import User
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import (
    Conversation,
    ConversationPresence,
    Direction,
    Message,
    SendState,
)
from roost.inbox.selectors import conversation_get

PRESENCE_WINDOW = dt.timedelta(seconds=20)


def _require_visible(*, viewer: User, conversation: Conversation) -> None:
    """Another organisation's conversation, or one in a channel group the viewer may
    not see, is not found: the same answer the pages give."""
    try:
        conversation_get(viewer=viewer, conversation_id=conversation.pk)
    except Http404 as hidden:
        raise InboxError(InboxProblem.CONVERSATION_NOT_FOUND) from hidden


def presence_touch(
    *, viewer: User, conversation: Conversation, typing: bool
) -> ConversationPresence:
    """Record that the viewer has the conversation open now, typing a reply or not."""
    _require_visible(viewer=viewer, conversation=conversation)
    presence, _ = ConversationPresence.objects.update_or_create(
        conversation=conversation,
        user=viewer,
        defaults={"typing": typing, "seen_at": timezone.now()},
        create_defaults={
            "organization_id": conversation.organization_id,
            "typing": typing,
            "seen_at": timezone.now(),
        },
    )
    return presence


def presence_leave(*, viewer: User, conversation: Conversation) -> None:
    """The viewer closed the conversation: drop their presence at once rather than
    letting it go stale. Only the viewer's own row, in their own organisation."""
    ConversationPresence.objects.filter(
        organization_id=viewer.organization_id, conversation=conversation, user=viewer
    ).delete()


def presence_others(
    *, viewer: User, conversation: Conversation, now: dt.datetime | None = None
) -> QuerySet[ConversationPresence]:
    """Everyone but the viewer seen on the conversation within `PRESENCE_WINDOW`,
    those typing first."""
    since = (now or timezone.now()) - PRESENCE_WINDOW
    return (
        ConversationPresence.objects.filter(
            organization_id=viewer.organization_id,
            conversation=conversation,
            seen_at__gte=since,
            user__is_active=True,
        )
        .exclude(user=viewer)
        .select_related("user")
        .order_by("-typing", "user__name", "pk")
    )


def replies_by_others_since(
    *, viewer: User, conversation: Conversation, seen_message_id: int
) -> QuerySet[Message]:
    """Replies sent to the network by anyone but the viewer after the message they last
    saw (including replies made on the network itself, which have no sender here)."""
    return (
        Message.objects.filter(
            organization_id=viewer.organization_id,
            conversation=conversation,
            direction=Direction.OUTBOUND,
            pk__gt=seen_message_id,
        )
        .exclude(sent_by=viewer)
        .exclude(send_state=SendState.FAILED)
        .select_related("sent_by")
        .order_by("pk")
    )


def reply_collision_check(
    *, actor: User, conversation: Conversation, seen_message_id: int | None, confirmed: bool
) -> None:
    """Refuse a reply that would cross one someone else sent after `seen_message_id`,
    the last message the actor's page showed, unless the actor `confirmed`.

    Without a `seen_message_id` (a client that does not track it) there is nothing to
    compare against, and the reply goes ahead.
    """
    if confirmed or seen_message_id is None:
        return
    if replies_by_others_since(
        viewer=actor, conversation=conversation, seen_message_id=seen_message_id
    ).exists():
        raise InboxError(InboxProblem.REPLY_COLLISION, field="confirm")
