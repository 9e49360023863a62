"""Correcting a conversation's labels, and the page that shows what the inbox learned.
Thin views over `roost.inbox.corrections.services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.permissions import Action, can
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of
from roost.inbox import selectors as inbox_selectors
from roost.inbox.corrections import selectors, services
from roost.inbox.filters import filter_from_query
from roost.inbox.views.conversations import conversation_context
from roost.inbox.views.split import _detail_context, _list_context

RECENT_CORRECTIONS = 20


@login_required
@require_POST
def conversation_labels(request: HtmxHttpRequest, conversation_id: int) -> HttpResponse:
    """Correct one label (`field`, `value`); back to the page it was corrected on, at
    the corrected field. A refusal shows that page again with its status."""
    viewer = viewer_of(request)
    conversation = inbox_selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    split = request.POST.get("view") == "split"
    field = request.POST.get("field", "")
    try:
        correction = services.conversation_label_correct(
            actor=viewer,
            conversation=conversation,
            field=field,
            value=request.POST.get("value", ""),
        )
    except ApplicationError as error:
        refusal_flash(request, error)
        back = QueryDict(request.POST.get("back", ""))
        if split:
            context = _list_context(request, back) | _detail_context(request, conversation.pk, back)
            return render(request, "inbox/split.html", context, status=error.status)
        context = conversation_context(request, conversation)
        return render(request, "inbox/conversation.html", context, status=error.status)
    messages.success(
        request,
        f"{correction.get_field_display()} corrected from {correction.old_value or 'not set'} "
        f"to {correction.new_value}. The inbox learns from it at the next retraining.",
    )
    if split:
        query = filter_from_query(QueryDict(request.POST.get("back", ""))).urlencode()
        url = reverse("inbox:split_conversation", args=[conversation.pk])
        url = f"{url}?{query}" if query else url
    else:
        url = reverse("inbox:conversation", args=[conversation.pk])
    return redirect(f"{url}#corrected-{correction.field}")


@login_required
@require_GET
def learning_index(request: HttpRequest) -> HttpResponse:
    """The organisation's adapter: when it was trained, on how many corrections, and how
    it does on the newest ones, held out, against the base classifier."""
    viewer = viewer_of(request)
    summary = selectors.adapter_summary(viewer=viewer)
    context = {
        "area": "inbox",
        "summary": summary,
        "report": summary.report,
        "corrections": list(selectors.correction_list(viewer=viewer)[:RECENT_CORRECTIONS]),
        "can_retrain": can(viewer, Action.INBOX_CONFIGURE),
    }
    return render(request, "inbox/settings/learning.html", context)


@login_required
@require_POST
def learning_retrain(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    try:
        result = services.classifier_retrain(organization=viewer.organization, actor=viewer)
    except ApplicationError as error:
        refusal_flash(request, error)
        return redirect("inbox:settings_learning")
    if result.skipped:
        messages.info(request, f"Nothing retrained: {result.skipped}.")
    elif result.adapter is not None:
        messages.success(
            request,
            f"Retrained: version {result.adapter.version}, "
            f"from {result.adapter.corrections_used} corrections.",
        )
    return redirect("inbox:settings_learning")
