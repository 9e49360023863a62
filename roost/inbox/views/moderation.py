"""Hiding a comment on its network from the conversation page, and undoing it; the
organisation's moderation rules under Inbox → Settings. Thin views over
`roost.inbox.moderation`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.permissions import Action, can, require
from roost.core.views.viewer import viewer_of
from roost.inbox import moderation, selectors, settings_selectors
from roost.inbox.classify import Intent
from roost.inbox.models import ModerationRule


@login_required
@require_POST
def message_moderate(request: HttpRequest, message_id: int) -> HttpResponse:
    """Hide (`action=hide`) or show again (`action=unhide`) one message on its network."""
    viewer = viewer_of(request)
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    action = request.POST.get("action", "")
    back = reverse("inbox:conversation", args=[message.conversation_id])
    if request.POST.get("view") == "split":
        back = reverse("inbox:split_conversation", args=[message.conversation_id])
    if action not in ("hide", "unhide"):
        messages.error(request, "Hide or unhide a message.")
        return redirect(back)
    try:
        if action == "hide":
            moderation.message_hide(actor=viewer, message=message)
        else:
            moderation.message_unhide(actor=viewer, message=message)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"{back}#message-{message.pk}")
    network = message.channel.network.title()
    if action == "hide":
        messages.success(request, f"Hidden on {network}. Use “Unhide” beside it to undo.")
    else:
        messages.success(request, f"Shown on {network} again.")
    return redirect(f"{back}#message-{message.pk}")


class ModerationRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    intent = forms.ChoiceField(
        choices=[(i.value, i.value.title()) for i in Intent], initial=Intent.SPAM.value
    )
    min_confidence = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        initial=0.9,
        label="Minimum confidence",
        help_text="From 0 to 1. A label without a reported confidence counts as 1.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, channels: QuerySet[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]


@login_required
def moderation_rules(request: HttpRequest) -> HttpResponse:
    """The organisation's rules, and (for leads) the form that adds one."""
    viewer = viewer_of(request)
    can_configure = can(viewer, Action.INBOX_CONFIGURE)
    channels = settings_selectors.settings_channels(viewer=viewer)
    form = ModerationRuleForm(request.POST if request.method == "POST" else None, channels=channels)
    status = 200
    if request.method == "POST":
        require(viewer, Action.INBOX_CONFIGURE)
        if not form.is_valid():
            status = 400
        else:
            spec = moderation.ModerationRuleSpec(
                name=form.cleaned_data["name"],
                intent=form.cleaned_data["intent"],
                min_confidence=form.cleaned_data["min_confidence"],
                channel_ids=[c.pk for c in form.cleaned_data["channels"]],
            )
            try:
                rule = moderation.moderation_rule_create(actor=viewer, spec=spec)
            except ApplicationError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                status = error.status
            else:
                messages.success(request, f"Moderation rule “{rule.name}” saved.")
                return redirect("inbox:settings_moderation")
    rules = (
        ModerationRule.objects.filter(organization_id=viewer.organization_id)
        .prefetch_related("channels")
        .order_by("name", "pk")
    )
    context = {
        "area": "inbox",
        "rules": rules,
        "form": form,
        "can_configure": can_configure,
        "hideable": [
            (c, moderation.channel_can_hide(c), moderation.why_not_hideable(c)) for c in channels
        ],
    }
    return render(request, "inbox/settings/moderation.html", context, status=status)


@login_required
@require_POST
def moderation_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = get_object_or_404(
        ModerationRule.objects.filter(organization_id=viewer.organization_id), pk=rule_id
    )
    name = rule.name
    try:
        moderation.moderation_rule_delete(actor=viewer, rule=rule)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("inbox:settings_moderation")
    messages.success(request, f"Moderation rule “{name}” deleted.")
    return redirect("inbox:settings_moderation")
