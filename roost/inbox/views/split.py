"""The split inbox: the queue on the left, the open conversation beside it, the author's
details next to that. Every link is a normal link (the whole page renders on its own,
without JavaScript); with HTMX a row swaps only the conversation and pushes its address.
Thin views: the queue, its order, counts and surges come from selectors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from roost.core.conditional import answer_conditionally, is_poll
from roost.core.htmx import HtmxHttpRequest
from roost.core.views.viewer import viewer_of
from roost.inbox import selectors, surges
from roost.inbox.filters import (
    PRIORITY_CHOICES,
    QUEUE_LABELS,
    SORT_LABELS,
    STATUS_CHOICES,
    filter_from_query,
)
from roost.inbox.models import Conversation, Direction
from roost.inbox.surge_incidents import surge_incidents
from roost.inbox.views.conversations import (
    PAGE_SIZE,
    ROW_COLUMNS,
    conversation_context,
    people_to_pick,
)

DETAIL_TARGET = "split-detail"


def _list_context(
    request: HtmxHttpRequest, query: Mapping[str, Any], *, with_surges: bool = True
) -> dict[str, Any]:
    """The left column: the queues with their counts, the surges (not in the poll, which
    must stay cheap: they show on each page load), a page of rows."""
    viewer = viewer_of(request)
    filters = filter_from_query(query)
    conversations = selectors.conversation_queue(viewer=viewer, filters=filters)
    page = Paginator(conversations, PAGE_SIZE).get_page(query.get("page"))
    counts = selectors.queue_counts(viewer=viewer)
    can_bulk = selectors.handles_inbox(viewer)
    found = surges.surge_list(viewer=viewer, filters=filters) if can_bulk and with_surges else []
    incidents = surge_incidents(
        viewer=viewer, conversation_ids=[pk for surge in found for pk in surge.ids]
    )
    for surge in found:
        surge.incident = next(
            (incidents.linked[pk] for pk in surge.ids if pk in incidents.linked), None
        )
    return {
        "area": "inbox",
        "filters": filters,
        "queue": filters.queue,
        "queues": [
            {"key": key, "label": label, "count": counts.get(key)}
            for key, label in QUEUE_LABELS.items()
        ],
        "sorts": SORT_LABELS,
        "status_choices": STATUS_CHOICES,
        "priority_choices": PRIORITY_CHOICES,
        "page": page,
        "query": QueryDict(filters.urlencode()),
        "surges": found,
        "surge_incidents": incidents,
        # What a surge's form offers; read only when there is a surge to handle.
        "surge_replies": list(selectors.saved_reply_list(viewer=viewer)) if found else [],
        "surge_people": people_to_pick(viewer) if found else [],
        # Rows link to their conversation inside the split inbox, built once.
        "split_base": reverse("inbox:split"),
    }


def _author_details(conversation: Conversation, thread: list[Any]) -> dict[str, Any]:
    """What the thread already says about its author: the newest follower count and
    whether the network marks them as verified."""
    latest = next((m for m in reversed(thread) if m.direction == Direction.INBOUND), None)
    return {
        "followers": latest.author_followers if latest is not None else None,
        "verified": bool(latest and latest.author_verified),
    }


def _detail_context(
    request: HtmxHttpRequest, conversation_id: int, query: Mapping[str, Any]
) -> dict[str, Any]:
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    context = conversation_context(request, conversation)
    thread = list(context["thread"])
    filters = filter_from_query(query)
    previous, following = selectors.queue_neighbours(
        viewer=viewer, filters=filters, conversation_id=conversation.pk
    )
    return context | {
        "thread": thread,
        "author": _author_details(conversation, thread),
        "split": True,
        "split_query": filters.urlencode(),
        "previous_id": previous,
        "next_id": following,
        "split_base": reverse("inbox:split"),
    }


def render_split_page(
    request: HtmxHttpRequest, query: Mapping[str, Any], *, status: int = 200
) -> HttpResponse:
    """The split inbox for `query`; a surge form shows it again, with its status, after
    a refusal."""
    return render(request, "inbox/split.html", _list_context(request, query), status=status)


@login_required
@require_GET
def split_index(request: HtmxHttpRequest) -> HttpResponse:
    return render_split_page(request, request.GET)


@login_required
@require_GET
def split_list(request: HtmxHttpRequest) -> HttpResponse:
    """The left column alone, which the page polls: a GET, so caches and conditional
    answers apply to it like to any other page."""
    context = _list_context(request, request.GET, with_surges=False) | {"oob": True}
    page = context["page"]
    page.object_list = list(page.object_list)  # read once: for the ETag and the rows

    def rows() -> HttpResponse:
        return render(request, "inbox/_split_list.html", context)

    if not is_poll(request):
        return rows()
    return answer_conditionally(request, viewer_of(request), _poll_parts(context), rows)


def _poll_parts(context: Mapping[str, Any]) -> list[object]:
    """What the polled column shows: the queues' counts, how many rows the queue has, the
    page, and every column of each row on it with its preview and the names beside it
    ("12 minutes" ago changes with the ETag's period)."""
    page = context["page"]
    counts = [(queue["key"], queue["count"]) for queue in context["queues"]]
    parts: list[object] = [counts, page.paginator.count, page.number]
    for row in page.object_list:
        assignee = row.assignee.name if row.assignee is not None else None
        names = (row.latest_text, row.channel.network, assignee)
        parts.append((*(getattr(row, name) for name in ROW_COLUMNS), *names))
    return parts


@login_required
@require_GET
def split_conversation(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    """The split inbox with a conversation open; to HTMX aiming at the conversation pane,
    the pane alone."""
    detail = _detail_context(request, conversation_id, request.GET)
    if request.htmx and request.htmx.target == DETAIL_TARGET:
        return render(request, "inbox/_split_detail.html", detail)
    context = _list_context(request, request.GET) | detail
    return render(request, "inbox/split.html", context)
