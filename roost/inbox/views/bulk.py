"""Bulk actions from the queue page (assign, tag, close or snooze the ticked
conversations) and from a surge group of the split inbox (the same, or one saved reply
sent to each)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.inbox import selectors, snooze
from roost.inbox.bulk import BulkAction, BulkResult, conversations_bulk_act
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import SavedReply
from roost.inbox.views.conversations import render_queue_page
from roost.inbox.views.split import render_split_page

DONE = {
    BulkAction.ASSIGN: "Assigned",
    BulkAction.TAG: "Tagged",
    BulkAction.CLOSE: "Closed",
    BulkAction.SNOOZE: "Snoozed",
    BulkAction.REPLY: "Replied to",
}


def _assignee(viewer: User, value: str) -> User | None:
    """The person chosen to assign to (none: unassign), from the viewer's organisation."""
    if not value:
        return None
    people = core_selectors.user_list(viewer=viewer)
    person = people.filter(pk=int(value)).first() if value.isdigit() else None
    if person is None:
        raise InboxError(InboxProblem.ASSIGNEE_NOT_FOUND, field="assignee")
    return person


def _saved_reply(viewer: User, value: str) -> SavedReply | None:
    """The organisation's saved reply chosen (none chosen: None, which the service refuses)."""
    saved_reply_id = id_from(value)
    if saved_reply_id is None:
        return None
    found = selectors.saved_reply_list(viewer=viewer).filter(pk=saved_reply_id).first()
    if found is None:
        raise InboxError(InboxProblem.BULK_SAVED_REPLY_MISSING, field="saved_reply")
    return found


def _report(request: HttpRequest, action: str, result: BulkResult) -> None:
    if result.succeeded:
        done = DONE.get(BulkAction(action), "Changed")
        plural = "s" if result.succeeded != 1 else ""
        messages.success(request, f"{done} {result.succeeded} conversation{plural}.")
    if result.refused:
        reasons = "; ".join(f"{r.label}: {r.reason}" for r in result.refused)
        messages.error(request, f"{len(result.refused)} not changed. {reasons}")


@login_required
@require_POST
def conversations_bulk(request: HtmxHttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    # The queue the form was on, as its query string; only ever sent back to the inbox.
    back = QueryDict(request.POST.get("back", ""))
    ids = [i for i in map(id_from, request.POST.getlist("ids")) if i is not None]
    action = request.POST.get("action", "")
    # The split inbox's surge groups come back to the split inbox, refusals included.
    split = request.POST.get("view") == "split"
    try:
        until, assignee, saved_reply = None, None, None
        if action == BulkAction.SNOOZE:
            until = snooze.until_from_choice(
                preset=request.POST.get("preset", ""),
                custom=request.POST.get("until", ""),
                time_zone=viewer.time_zone,
                now=timezone.now(),
            )
        if action == BulkAction.ASSIGN:
            assignee = _assignee(viewer, request.POST.get("assignee", ""))
        if action == BulkAction.REPLY:
            saved_reply = _saved_reply(viewer, request.POST.get("saved_reply", ""))
        result = conversations_bulk_act(
            actor=viewer,
            conversation_ids=ids,
            action=action,
            assignee=assignee,
            tags=request.POST.get("tags", "").split(","),
            until=until,
            saved_reply=saved_reply,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        if split:
            return render_split_page(request, back, status=error.status)
        return render_queue_page(request, back, status=error.status, selected_ids=ids)
    _report(request, action, result)
    page = "inbox:split" if split else "inbox:index"
    return redirect(f"{reverse(page)}?{back.urlencode()}")
