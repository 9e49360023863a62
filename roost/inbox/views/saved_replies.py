"""Inbox → Saved replies: list, add, change and delete the organisation's canned answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core.errors import ApplicationError
from roost.core.navigation import page_access
from roost.core.views.viewer import viewer_of
from roost.inbox import saved_replies, selectors
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import SavedReply
from roost.inbox.reply_variables import KNOWN_VARIABLES, reply_render
from roost.inbox.services import MAX_REPLY


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=saved_replies.MAX_TITLE)
    text = forms.CharField(
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Variables: " + ", ".join(f"{{{name}}}" for name in KNOWN_VARIABLES) + ".",
    )
    shortcut = forms.CharField(
        max_length=41, required=False, help_text="Optional: type /shortcut then Tab in a reply."
    )


def _save(
    request: HttpRequest, form: SavedReplyForm, saved_reply: SavedReply | None
) -> SavedReply | None:
    """Run the service for a valid form; put a refusal on the form and return None."""
    data = form.cleaned_data
    viewer = viewer_of(request)
    try:
        if saved_reply is None:
            return saved_replies.saved_reply_create(actor=viewer, **data)
        return saved_replies.saved_reply_update(actor=viewer, saved_reply=saved_reply, **data)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


def _unknown_variables(saved_reply: SavedReply) -> tuple[str, ...]:
    return reply_render(saved_reply.text, dict.fromkeys(KNOWN_VARIABLES, "")).unknown


@login_required
@page_access(saved_replies.may_use_saved_replies)
def saved_reply_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = SavedReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and (created := _save(request, form, None)) is not None:
            messages.success(request, f"Added the saved reply “{created.title}”.")
            return redirect("inbox:saved_replies")
        status = 422
    rows: list[dict[str, Any]] = [
        {
            "reply": reply,
            "unknown": _unknown_variables(reply),
            "can_change": saved_replies.may_change_saved_reply(viewer, reply),
        }
        for reply in selectors.saved_reply_list(viewer=viewer)
    ]
    context = {"area": "inbox", "form": form, "rows": rows, "variables": KNOWN_VARIABLES}
    return render(request, "inbox/saved_replies.html", context, status=status)


@login_required
@page_access(saved_replies.may_use_saved_replies)
def saved_reply_edit(request: HttpRequest, saved_reply_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    saved_reply = selectors.saved_reply_get(viewer=viewer, saved_reply_id=saved_reply_id)
    if not saved_replies.may_change_saved_reply(viewer, saved_reply):
        raise InboxError(InboxProblem.SAVED_REPLY_NOT_YOURS)
    initial = {
        "title": saved_reply.title,
        "text": saved_reply.text,
        "shortcut": saved_reply.shortcut,
    }
    form = SavedReplyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _save(request, form, saved_reply) is not None:
            messages.success(request, f"Saved “{saved_reply.title}”.")
            return redirect("inbox:saved_replies")
        status = 422
    context = {
        "area": "inbox",
        "form": form,
        "saved_reply": saved_reply,
        "unknown": _unknown_variables(saved_reply),
        "variables": KNOWN_VARIABLES,
    }
    return render(request, "inbox/saved_reply_edit.html", context, status=status)


@login_required
@require_POST
def saved_reply_remove(request: HttpRequest, saved_reply_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    saved_reply = selectors.saved_reply_get(viewer=viewer, saved_reply_id=saved_reply_id)
    saved_replies.saved_reply_delete(actor=viewer, saved_reply=saved_reply)
    messages.success(request, f"Deleted the saved reply “{saved_reply.title}”.")
    return redirect("inbox:saved_replies")
