"""Reads of the inbox, scoped to the viewer's organisation and channel groups."""

from __future__ import annotations

import enum

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.models import Conversation, ConversationStatus, Message


class Queue(enum.StrEnum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"
    ALL = "all"
    CLOSED = "closed"


QUEUE_LABELS = {
    Queue.MINE: "Mine",
    Queue.TEAM: "My team",
    Queue.UNASSIGNED: "Unassigned",
    Queue.BREACHING: "Breaching soon",
    Queue.ALL: "All open",
    Queue.CLOSED: "Closed",
}


def _visible(viewer: User) -> QuerySet[Conversation]:
    conversations = Conversation.objects.filter(organization_id=viewer.organization_id)
    allowed = channel_group_ids_allowed(viewer, Action.INBOX_VIEW)
    if allowed is not None:
        conversations = conversations.filter(channel__channel_group_id__in=allowed)
    return conversations


def conversation_list(
    *, viewer: User, queue: Queue = Queue.ALL, search: str = "", language: str = ""
) -> QuerySet[Conversation]:
    conversations = _visible(viewer).select_related("channel", "assignee", "team")
    if queue == Queue.CLOSED:
        conversations = conversations.filter(status=ConversationStatus.CLOSED)
    else:
        conversations = conversations.exclude(status=ConversationStatus.CLOSED)
    if queue == Queue.MINE:
        conversations = conversations.filter(assignee=viewer)
    elif queue == Queue.TEAM:
        conversations = conversations.filter(team__in=viewer.teams.all())
    elif queue == Queue.UNASSIGNED:
        conversations = conversations.filter(assignee__isnull=True)
    elif queue == Queue.BREACHING:
        return conversations.filter(sla_state__in=["warning", "breached"]).order_by(
            "sla_due_at", "pk"
        )
    if search:
        conversations = conversations.filter(
            Q(author_handle__icontains=search) | Q(messages__text__icontains=search)
        ).distinct()
    if language:
        conversations = conversations.filter(language=language)
    return conversations.order_by("-last_message_at", "-pk")


def conversation_get(*, viewer: User, conversation_id: int) -> Conversation:
    return get_object_or_404(
        _visible(viewer).select_related("channel__channel_group", "assignee", "team"),
        pk=conversation_id,
    )


def conversation_thread(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("sent_by").order_by("created_at", "pk")


def author_history(*, viewer: User, conversation: Conversation) -> QuerySet[Conversation]:
    """The same author's other conversations on the channel's network, newest first."""
    return (
        _visible(viewer)
        .filter(
            author_handle=conversation.author_handle, channel__network=conversation.channel.network
        )
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")[:10]
    )
