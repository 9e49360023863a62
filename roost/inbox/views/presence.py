"""Collision detection on the conversation page: the heartbeat that says who else is
here, and leaving. Both are POSTs with the CSRF token (roost/inbox/static/inbox/presence.js)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_POST

from roost.core.errors import ApplicationError
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.inbox import presence, selectors
from roost.inbox.models import Message

TYPING_VALUES = {"": False, "0": False, "1": True}


@login_required
@require_POST
def presence_heartbeat(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Record the viewer's presence and answer with `inbox/_presence.html`: who else has
    the conversation open, who is typing, and replies sent since the viewer's page loaded."""
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    typing = TYPING_VALUES.get(request.POST.get("typing", ""))
    seen = request.POST.get("seen_message_id", "")
    seen_id = id_from(seen)
    if typing is None or (seen and seen_id is None):
        return HttpResponseBadRequest(
            "typing must be 0 or 1, and seen_message_id a message id.", content_type="text/plain"
        )
    try:
        presence.presence_touch(viewer=viewer, conversation=conversation, typing=typing)
    except ApplicationError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    replies: list[Message] = []
    if seen_id is not None:
        replies = list(
            presence.replies_by_others_since(
                viewer=viewer, conversation=conversation, seen_message_id=seen_id
            )
        )
    context = {
        "conversation": conversation,
        "presence_others": presence.presence_others(viewer=viewer, conversation=conversation),
        "presence_replies": replies,
        "presence_heartbeat": True,
    }
    return render(request, "inbox/_presence.html", context)


@login_required
@require_POST
def presence_leave(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The page is closing; sent with navigator.sendBeacon, so nobody reads the answer."""
    viewer = viewer_of(request)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    presence.presence_leave(viewer=viewer, conversation=conversation)
    return HttpResponse(status=204)
