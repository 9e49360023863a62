"""Reads of the inbox, scoped to the viewer's organisation and channel groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.filters import ConversationFilter, Queue
from roost.inbox.models import Conversation, ConversationStatus, Message, SavedFilter, SavedReply


def handles_inbox(viewer: User) -> bool:
    """Whether the viewer may handle conversations on at least one channel group."""
    allowed = channel_group_ids_allowed(viewer, Action.INBOX_HANDLE)
    return allowed is None or bool(allowed)


def _visible(viewer: User) -> QuerySet[Conversation]:
    conversations = Conversation.objects.filter(organization_id=viewer.organization_id)
    allowed = channel_group_ids_allowed(viewer, Action.INBOX_VIEW)
    if allowed is not None:
        conversations = conversations.filter(channel__channel_group_id__in=allowed)
    return conversations


def conversation_list(
    *, viewer: User, queue: Queue = Queue.ALL, search: str = "", language: str = ""
) -> QuerySet[Conversation]:
    # What a queue row shows: the channel and the assignee (see _conversation_rows.html).
    conversations = _visible(viewer).select_related("channel", "assignee")
    if queue == Queue.CLOSED:
        conversations = conversations.filter(status=ConversationStatus.CLOSED)
    else:
        conversations = conversations.exclude(status=ConversationStatus.CLOSED)
    # Snoozed conversations stay out of the working queues until they wake.
    if queue == Queue.SNOOZED:
        conversations = conversations.filter(status=ConversationStatus.SNOOZED)
    elif queue != Queue.CLOSED:
        conversations = conversations.exclude(status=ConversationStatus.SNOOZED)
    if queue == Queue.MINE:
        conversations = conversations.filter(assignee=viewer)
    elif queue == Queue.TEAM:
        # The team ids themselves, not a subquery: the planner can then walk each team's
        # part of the queue index newest first and stop at a page.
        team_ids = list(viewer.teams.values_list("pk", flat=True))
        conversations = conversations.filter(team_id__in=team_ids)
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
        .order_by("-last_message_at", "-pk")[:10]
    )


def conversation_filtered(*, viewer: User, filters: ConversationFilter) -> QuerySet[Conversation]:
    """A queue with its search and the status and priority filters of the queue page."""
    conversations = conversation_list(viewer=viewer, queue=filters.queue, search=filters.search)
    if filters.status:
        conversations = conversations.filter(status=filters.status)
    if filters.priority:
        conversations = conversations.filter(priority=filters.priority)
    return conversations


def conversations_by_ids(*, viewer: User, ids: Iterable[int]) -> QuerySet[Conversation]:
    """The conversations among `ids` the viewer may see (others are simply absent)."""
    return (
        _visible(viewer)
        .filter(pk__in=list(ids))
        .select_related("channel__channel_group__organization", "assignee")
        .order_by("pk")
    )


def saved_reply_list(*, viewer: User) -> QuerySet[SavedReply]:
    return SavedReply.objects.filter(organization_id=viewer.organization_id).select_related(
        "created_by"
    )


def saved_reply_get(*, viewer: User, saved_reply_id: int) -> SavedReply:
    return get_object_or_404(saved_reply_list(viewer=viewer), pk=saved_reply_id)


def saved_filter_list(*, viewer: User) -> QuerySet[SavedFilter]:
    """The viewer's own saved filters: nobody sees another person's."""
    return SavedFilter.objects.filter(organization_id=viewer.organization_id, owner=viewer)


def saved_filter_get(*, viewer: User, saved_filter_id: int) -> SavedFilter:
    return get_object_or_404(saved_filter_list(viewer=viewer), pk=saved_filter_id)
