"""Reads of the inbox, scoped to the viewer's organisation and channel groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Left
from django.http import Http404
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.classify.labels import Priority
from roost.inbox.filters import ConversationFilter, Queue, Sort
from roost.inbox.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    SavedFilter,
    SavedReply,
)

# How much of the latest message a queue row carries: its first line is what shows.
PREVIEW_CHARS = 300


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


def conversation_has_newer(*, viewer: User, conversation_id: int, after: int) -> bool:
    """Whether the conversation has a message newer than `after` (the last one a page
    shows): one query, for the page's poll. 404 when the viewer may not see it."""
    newer = Message.objects.filter(conversation_id=OuterRef("pk"), pk__gt=after)
    found = (
        _visible(viewer)
        .filter(pk=conversation_id)
        .annotate(newer=Exists(newer))
        .values_list("newer", flat=True)
        .first()
    )
    if found is None:
        raise Http404("No such conversation.")
    return bool(found)


def conversation_thread(conversation: Conversation) -> QuerySet[Message]:
    # With each message's moderation (hidden on the network or not), in the same query.
    return conversation.messages.select_related("sent_by", "moderation__changed_by").order_by(
        "created_at", "pk"
    )


def message_get(*, viewer: User, message_id: int) -> Message:
    """A message of a conversation the viewer may see; 404 otherwise."""
    return get_object_or_404(
        Message.objects.select_related(
            "channel__channel_group", "channel__organization", "conversation"
        ).filter(conversation__in=_visible(viewer)),
        pk=message_id,
    )


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


def _needs_a_person_first(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Breached first, then the soonest response target, then the highest priority, then
    whoever has waited longest."""
    breached = Case(When(sla_state="breached", then=Value(0)), default=Value(1))
    rank = Case(
        *(When(priority=p.value, then=Value(n)) for n, p in enumerate(reversed(Priority))),
        default=Value(len(Priority)),
        output_field=IntegerField(),
    )
    return conversations.order_by(
        breached.asc(),
        F("sla_due_at").asc(nulls_last=True),
        rank.asc(),
        "last_message_at",
        "pk",
    )


def conversation_filtered(*, viewer: User, filters: ConversationFilter) -> QuerySet[Conversation]:
    """A queue with its search, the status and priority filters and the order of the
    queue page."""
    conversations = conversation_list(viewer=viewer, queue=filters.queue, search=filters.search)
    if filters.status:
        conversations = conversations.filter(status=filters.status)
    if filters.priority:
        conversations = conversations.filter(priority=filters.priority)
    if filters.sort is Sort.NEWEST:
        return conversations.order_by("-last_message_at", "-pk")
    if filters.sort is Sort.OLDEST:
        return conversations.order_by("last_message_at", "pk")
    if filters.queue is Queue.BREACHING:
        # Every row there has a target: the soonest first is already "needs a person
        # first", and it is the order the breaching-queue index serves.
        return conversations
    return _needs_a_person_first(conversations)


def conversation_queue(*, viewer: User, filters: ConversationFilter) -> QuerySet[Conversation]:
    """`conversation_filtered` with the start of each conversation's latest message from
    the audience (`latest_text`), read in the same query."""
    latest = (
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )
    return conversation_filtered(viewer=viewer, filters=filters).annotate(
        latest_text=Left(Subquery(latest), PREVIEW_CHARS)
    )


# The queues counted beside the queue list: the working ones (closed grows forever).
COUNTED_QUEUES = (
    Queue.MINE,
    Queue.TEAM,
    Queue.UNASSIGNED,
    Queue.BREACHING,
    Queue.ALL,
    Queue.SNOOZED,
)


def queue_counts(*, viewer: User) -> dict[Queue, int]:
    """How many conversations each working queue holds for the viewer, in one query;
    each condition repeats the queue's own in `conversation_list`."""
    working = ~Q(status=ConversationStatus.CLOSED) & ~Q(status=ConversationStatus.SNOOZED)
    teams = viewer.teams.values("pk")
    counts = _visible(viewer).aggregate(
        mine=Count("pk", filter=working & Q(assignee=viewer)),
        team=Count("pk", filter=working & Q(team_id__in=teams)),
        unassigned=Count("pk", filter=working & Q(assignee__isnull=True)),
        breaching=Count("pk", filter=working & Q(sla_state__in=["warning", "breached"])),
        all=Count("pk", filter=working),
        snoozed=Count("pk", filter=Q(status=ConversationStatus.SNOOZED)),
    )
    return {queue: counts[queue.value] for queue in COUNTED_QUEUES}


def queue_neighbours(
    *, viewer: User, filters: ConversationFilter, conversation_id: int, limit: int = 200
) -> tuple[int | None, int | None]:
    """The ids before and after `conversation_id` in the queue's order (within its first
    `limit`); when it is not there (closed, or moved out), none before and the first after."""
    ids = list(
        conversation_filtered(viewer=viewer, filters=filters).values_list("pk", flat=True)[:limit]
    )
    if conversation_id not in ids:
        following = [pk for pk in ids if pk != conversation_id]
        return None, following[0] if following else None
    index = ids.index(conversation_id)
    before = ids[index - 1] if index > 0 else None
    after = ids[index + 1] if index + 1 < len(ids) else None
    return before, after


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
