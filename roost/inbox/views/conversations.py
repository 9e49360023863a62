"""The inbox: queues, a conversation with its thread, and the reply composer. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError
from roost.core.permissions import Action, can
from roost.core.views.viewer import viewer_of
from roost.inbox import selectors, services
from roost.inbox.models import ConversationStatus


@login_required
def inbox_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        queue = selectors.Queue(request.GET.get("queue", "all"))
    except ValueError:
        queue = selectors.Queue.ALL
    conversations = selectors.conversation_list(
        viewer=viewer, queue=queue, search=request.GET.get("q", "").strip()
    )
    page = Paginator(conversations, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "area": "inbox",
        "queue": queue,
        "queues": selectors.QUEUE_LABELS,
        "page": page,
        "query": query.urlencode(),
        "search": request.GET.get("q", ""),
    }
    template = "inbox/_conversation_rows.html" if request.htmx else "inbox/index.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    group = conversation.channel.channel_group
    context = {
        "area": "inbox",
        "conversation": conversation,
        "thread": selectors.conversation_thread(conversation),
        "history": selectors.author_history(viewer=viewer, conversation=conversation),
        "can_handle": can(viewer, Action.INBOX_HANDLE, channel_group=group),
        "people": core_selectors.user_list(viewer=viewer).filter(is_active=True),
        "statuses": ConversationStatus,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "inbox/_thread.html", context)
    return render(request, "inbox/conversation.html", context)


@login_required
@require_POST
def conversation_act(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Reply, note, assign, tag, close or reopen: one service call per action."""
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    action = request.POST.get("action", "")
    try:
        if action == "reply":
            services.conversation_reply(
                actor=viewer, conversation=conversation, text=request.POST.get("text", "")
            )
            messages.success(request, "Reply sent.")
        elif action == "note":
            services.conversation_note(
                actor=viewer, conversation=conversation, text=request.POST.get("text", "")
            )
        elif action == "assign":
            assignee_id = request.POST.get("assignee", "")
            assignee = (
                core_selectors.user_get(viewer=viewer, user_id=int(assignee_id))
                if assignee_id.isdigit()
                else None
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
        else:
            messages.error(request, "Unknown action.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("inbox:conversation", conversation_id=conversation.pk)
