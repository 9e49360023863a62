"""Saving the queue page's current view under a name, and deleting a saved one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of
from roost.inbox import selectors
from roost.inbox.filters import filter_from_query
from roost.inbox.saved_filters import saved_filter_create, saved_filter_delete
from roost.inbox.views.conversations import render_queue_page


@login_required
@require_POST
def saved_filter_add(request: HtmxHttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        saved = saved_filter_create(
            actor=viewer, name=request.POST.get("name", ""), query=request.POST
        )
    except ApplicationError as error:
        refusal_flash(request, error)
        return render_queue_page(request, request.POST, status=error.status)
    messages.success(request, f"Saved the filter “{saved.name}”.")
    return redirect(f"{reverse('inbox:index')}?{filter_from_query(saved.query).urlencode()}")


@login_required
@require_POST
def saved_filter_remove(request: HttpRequest, saved_filter_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    saved = selectors.saved_filter_get(viewer=viewer, saved_filter_id=saved_filter_id)
    saved_filter_delete(actor=viewer, saved_filter=saved)
    messages.success(request, f"Deleted the filter “{saved.name}”.")
    return redirect("inbox:index")
