"""The inbox: queues, a conversation with its thread, and the reply composer. Thin views."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe

from roost.channels.published_posts import published_post_find
from roost.core import selectors as core_selectors
from roost.core.conditional import answer_conditionally, is_poll
from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.inbox import presence, selectors, services, snooze
from roost.inbox.filters import (
    PRIORITY_CHOICES,
    QUEUE_LABELS,
    STATUS_CHOICES,
    filter_from_query,
)
from roost.inbox.mentions import HELP_TEXT as MENTION_HELP
from roost.inbox.models import Conversation, ConversationStatus
from roost.inbox.moderation import channel_can_hide
from roost.inbox.reply_variables import reply_render, reply_variables

PAGE_SIZE = 50
ROW_COLUMNS = [field.attname for field in Conversation._meta.concrete_fields]
# What a row shows of its channel and assignee (_conversation_rows.html).
_ROW_NAMES = ("channel__handle", "channel__network", "channel__connector", "assignee__name")


def render_queue_page(
    request: HtmxHttpRequest,
    query: Mapping[str, Any],
    *,
    status: int = 200,
    selected_ids: Collection[int] = (),
) -> HttpResponse:
    """The queue page for `query` (queue, q, status, priority, page); the rows alone for
    HTMX. Bulk and saved-filter forms show it again, with their status, after a refusal.
    A poll (an HTMX GET) whose rows the browser already holds is answered 304."""
    viewer = viewer_of(request)
    filters = filter_from_query(query)
    conversations = selectors.conversation_filtered(viewer=viewer, filters=filters).only(
        *ROW_COLUMNS, *_ROW_NAMES
    )
    page = Paginator(conversations, PAGE_SIZE).get_page(query.get("page"))
    page.object_list = list(page.object_list)  # read once: for the ETag and the rows
    can_bulk = selectors.handles_inbox(viewer)
    context: dict[str, Any] = {
        "page": page,
        "query": QueryDict(filters.urlencode()),
        "can_bulk": can_bulk,
        "selected_ids": set(selected_ids),
        "time_zone": viewer.time_zone,
        # Rows link to reverse("inbox:conversation") built once, not fifty times.
        "conversation_base": reverse("inbox:index") + "c/",
    }
    if request.htmx:

        def rows() -> HttpResponse:
            return render(request, "inbox/_conversation_rows.html", context, status=status)

        if status != 200 or not is_poll(request):
            return rows()
        return answer_conditionally(request, viewer, _queue_parts(page, can_bulk), rows)
    saved_filters = list(selectors.saved_filter_list(viewer=viewer))
    current_saved = next((s for s in saved_filters if s.query == filters.as_query()), None)
    context |= {
        "area": "inbox",
        "filters": filters,
        "queue": filters.queue,
        "queues": QUEUE_LABELS,
        "search": filters.search,
        "status_choices": STATUS_CHOICES,
        "priority_choices": PRIORITY_CHOICES,
        "saved_filters": [
            {"filter": saved, "query": filter_from_query(saved.query).urlencode()}
            for saved in saved_filters
        ],
        "current_saved": current_saved,
        "people": people_to_pick(viewer) if can_bulk else [],
        "snooze_options": snooze.snooze_options(now=timezone.now(), time_zone=viewer.time_zone),
    }
    return render(request, "inbox/index.html", context, status=status)


def _queue_parts(page: Page[Conversation], can_bulk: bool) -> list[object]:
    """What the polled rows show: every column of each row on the page with the names
    shown beside them, how many rows the queue has, the page, and whether the viewer may
    act on them (the selection boxes)."""
    parts: list[object] = [page.paginator.count, page.number, can_bulk]
    for row in page.object_list:
        assignee = row.assignee.name if row.assignee is not None else None
        channel = (row.channel.handle, row.channel.network, row.channel.connector)
        parts.append((*(getattr(row, name) for name in ROW_COLUMNS), assignee, channel))
    return parts


@require_safe
@login_required
def inbox_index(request: HtmxHttpRequest) -> HttpResponse:
    return render_queue_page(request, request.GET)


def people_to_pick(viewer: User) -> list[tuple[int, str]]:
    """Who a conversation can be given to: (id, name) of the organisation's active people."""
    people = core_selectors.user_list(viewer=viewer).filter(is_active=True)
    return list(people.values_list("pk", "name"))


def _saved_replies(viewer: User, conversation: Conversation) -> list[dict[str, Any]]:
    if not selectors.handles_inbox(viewer):
        return []
    values = reply_variables(conversation=conversation, agent=viewer)
    items = []
    for reply in selectors.saved_reply_list(viewer=viewer):
        rendered = reply_render(reply.text, values)
        unknown = ", ".join(f"{{{name}}}" for name in rendered.unknown)
        items.append({"reply": reply, "text": rendered.text, "unknown": unknown})
    return items


def _web_link(value: str) -> str:
    """`value` if it is a web address a link may point to, else nothing."""
    return value if value.startswith(("https://", "http://")) else ""


def conversation_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    viewer = viewer_of(request)
    commented_post = published_post_find(
        viewer=viewer,
        network=conversation.channel.network,
        external_id=conversation.subject_external_id,
    )
    group = conversation.channel.channel_group
    can_handle = can(viewer, Action.INBOX_HANDLE, channel_group=group)
    saved_replies = _saved_replies(viewer, conversation) if can_handle else []
    # Without JavaScript, the saved-reply picker reloads the page with ?insert=<id>.
    inserted = next(
        (s for s in saved_replies if str(s["reply"].pk) == request.GET.get("insert")), None
    )
    draft = request.POST.get("text", "")
    if inserted is not None and not draft:
        draft = inserted["text"]
    return {
        "area": "inbox",
        "conversation": conversation,
        "thread": selectors.conversation_thread(conversation),
        "history": selectors.author_history(viewer=viewer, conversation=conversation),
        "can_handle": can_handle,
        "can_hide": can_handle and channel_can_hide(conversation.channel),
        "people": people_to_pick(viewer),
        "statuses": ConversationStatus,
        "saved_replies": saved_replies,
        "inserted": inserted,
        "draft": draft,
        "mention_help": MENTION_HELP,
        "snooze_options": snooze.snooze_options(now=timezone.now(), time_zone=viewer.time_zone),
        "time_zone": viewer.time_zone,
        "commented_post": commented_post,
        "commented_post_link": _web_link(commented_post.url) if commented_post else "",
        "subject_link": _web_link(conversation.subject_external_id),
        # Who else has it open, drawn with the page; the heartbeat keeps it current.
        "presence_others": presence.presence_others(viewer=viewer, conversation=conversation),
    }


@require_safe
@login_required
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    return render(request, "inbox/conversation.html", conversation_context(request, conversation))


@login_required
@require_GET
def conversation_thread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The thread alone, which the conversation page polls; the composer is outside it.
    With `after` (the last message the page shows) and nothing newer: 204, nothing to swap."""
    viewer = viewer_of(request)
    after = id_from(request.GET.get("after"))
    if after is not None and not selectors.conversation_has_newer(
        viewer=viewer, conversation_id=conversation_id, after=after
    ):
        return HttpResponse(status=204)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    thread = selectors.conversation_thread(conversation)
    group = conversation.channel.channel_group
    can_hide = can(viewer, Action.INBOX_HANDLE, channel_group=group) and channel_can_hide(
        conversation.channel
    )
    # The split inbox's thread says so, so that its forms return to the split inbox.
    split = request.GET.get("split") == "1"
    context = {"conversation": conversation, "thread": thread, "can_hide": can_hide, "split": split}
    return render(request, "inbox/_thread.html", context)


def _page_again(request: HttpRequest, conversation: Conversation, status: int) -> HttpResponse:
    """The conversation page after a refusal, with the draft and choices kept."""
    context = conversation_context(request, conversation)
    return render(request, "inbox/conversation.html", context, status=status)


@login_required
@require_POST
def conversation_act(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Reply, note, assign, tag, snooze, close or reopen: one service call per action.
    A refusal shows the page again with its status, the draft and the choices kept."""
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    action = request.POST.get("action", "")
    try:
        if action == "reply":
            # A reply someone else sent after this page loaded must be confirmed
            # ("Send anyway"); a refusal shows the page again with the draft kept.
            seen = request.POST.get("seen_message_id", "")
            services.conversation_reply(
                actor=viewer,
                conversation=conversation,
                text=request.POST.get("text", ""),
                seen_message_id=id_from(seen),
                confirmed=request.POST.get("confirm") == "yes",
            )
            messages.success(request, "Reply sent.")
        elif action == "note":
            services.conversation_note(
                actor=viewer, conversation=conversation, text=request.POST.get("text", "")
            )
            messages.success(request, "Note added.")
        elif action == "assign":
            assignee_id = id_from(request.POST.get("assignee"))
            assignee = (
                None
                if assignee_id is None
                else core_selectors.user_get(viewer=viewer, user_id=assignee_id)
            )
            services.conversation_assign(actor=viewer, conversation=conversation, assignee=assignee)
        elif action == "tags":
            services.conversation_tag(
                actor=viewer,
                conversation=conversation,
                tags=request.POST.get("tags", "").split(","),
            )
        elif action in ("close", "reopen", "waiting"):
            status = {
                "close": ConversationStatus.CLOSED,
                "reopen": ConversationStatus.OPEN,
                "waiting": ConversationStatus.WAITING,
            }[action]
            services.conversation_status_set(actor=viewer, conversation=conversation, status=status)
        elif action == "snooze":
            until = snooze.until_from_choice(
                preset=request.POST.get("preset", ""),
                custom=request.POST.get("until", ""),
                time_zone=viewer.time_zone,
                now=timezone.now(),
            )
            services.conversation_snooze(actor=viewer, conversation=conversation, until=until)
            local = timezone.localtime(until)
            messages.success(request, f"Snoozed until {local:%a %d %b %H:%M}.")
        else:
            messages.error(request, "Unknown action.")
            return _page_again(request, conversation, 400)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _page_again(request, conversation, error.status)
    if request.POST.get("view") == "split":
        return _back_to_split(request, conversation)
    return redirect("inbox:conversation", conversation_id=conversation.pk)


def _back_to_split(request: HttpRequest, conversation: Conversation) -> HttpResponse:
    """After an action in the split inbox: the same queue, with the same conversation
    open, or (`then=next`) the one that was below it when the page was shown."""
    query = filter_from_query(QueryDict(request.POST.get("back", ""))).urlencode()
    target: int | None = conversation.pk
    # "Send and open next" says so in its address, so the form's other buttons don't.
    if "next" in (request.POST.get("then"), request.GET.get("then")):
        target = id_from(request.POST.get("next_id"))
    if target is None:
        url = reverse("inbox:split")
    else:
        url = reverse("inbox:split_conversation", args=[target])
    return redirect(f"{url}?{query}" if query else url)
