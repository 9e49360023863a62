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
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.permissions import Action, can, require
from roost.core.refusals import refusal_flash
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
        refusal_flash(request, error)
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
    enabled = forms.BooleanField(
        required=False, initial=True, label="On", help_text="A rule that is off hides nothing."
    )

    def __init__(
        self, *args: Any, channels: QuerySet[Channel], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]
        if not editing:  # a new rule is on; an unticked box must not make it off
            del self.fields["enabled"]

    def spec(self) -> moderation.ModerationRuleSpec:
        data = self.cleaned_data
        return moderation.ModerationRuleSpec(
            name=data["name"],
            intent=data["intent"],
            min_confidence=data["min_confidence"],
            channel_ids=[c.pk for c in data["channels"]],
            enabled=data.get("enabled", True),
        )


def _initial(rule: ModerationRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "intent": rule.intent,
        "min_confidence": rule.min_confidence,
        "channels": list(rule.channels.all()),
        "enabled": rule.enabled,
    }


def _rule_saved(
    request: HttpRequest, form: ModerationRuleForm, rule: ModerationRule | None
) -> tuple[ModerationRule | None, int]:
    """Create (no `rule`) or change a rule from a posted form: the rule and 200, or None
    and the status of the refusal (the form then carries why)."""
    viewer = viewer_of(request)
    require(viewer, Action.INBOX_CONFIGURE)
    if not form.is_valid():
        return None, 400
    try:
        if rule is None:
            return moderation.moderation_rule_create(actor=viewer, spec=form.spec()), 200
        return moderation.moderation_rule_update(actor=viewer, rule=rule, spec=form.spec()), 200
    except ApplicationError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return None, error.status


@login_required
def moderation_rules(request: HttpRequest) -> HttpResponse:
    """The organisation's rules, and (for leads) the form that adds one."""
    viewer = viewer_of(request)
    can_configure = can(viewer, Action.INBOX_CONFIGURE)
    channels = settings_selectors.settings_channels(viewer=viewer)
    form = ModerationRuleForm(request.POST if request.method == "POST" else None, channels=channels)
    status = 200
    if request.method == "POST":
        rule, status = _rule_saved(request, form, None)
        if rule is not None:
            messages.success(request, f"Moderation rule “{rule.name}” saved.")
            return redirect("inbox:settings_moderation")
    context = {
        "area": "inbox",
        "rules": settings_selectors.moderation_rule_list(viewer=viewer),
        "form": form,
        "can_configure": can_configure,
        "hideable": [
            (c, moderation.channel_can_hide(c), moderation.why_not_hideable(c)) for c in channels
        ],
    }
    return render(request, "inbox/settings/moderation.html", context, status=status)


@login_required
def moderation_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    """One rule's form: its name, intent, threshold, channels, and whether it is on."""
    viewer = viewer_of(request)
    require(viewer, Action.INBOX_CONFIGURE)
    rule = settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id)
    channels = settings_selectors.settings_channels(viewer=viewer)
    if request.method == "POST":
        form = ModerationRuleForm(request.POST, channels=channels, editing=True)
        saved, status = _rule_saved(request, form, rule)
        if saved is not None:
            messages.success(request, f"Moderation rule “{saved.name}” saved.")
            return redirect("inbox:settings_moderation")
    else:
        form = ModerationRuleForm(initial=_initial(rule), channels=channels, editing=True)
        status = 200
    context = {"area": "inbox", "rule": rule, "form": form}
    return render(request, "inbox/settings/moderation_rule_form.html", context, status=status)


@login_required
@require_POST
def moderation_rule_switch(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Turn a rule off (`enabled=0`) or on again (`enabled=1`), keeping the rest of it."""
    viewer = viewer_of(request)
    rule = settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id)
    wanted = request.POST.get("enabled", "")
    if wanted not in ("0", "1"):
        messages.error(request, "Turn a rule on or off.")
        return redirect("inbox:settings_moderation")
    spec = moderation.ModerationRuleSpec(
        name=rule.name,
        intent=rule.intent,
        min_confidence=rule.min_confidence,
        channel_ids=[c.pk for c in rule.channels.all()],
        enabled=wanted == "1",
    )
    try:
        moderation.moderation_rule_update(actor=viewer, rule=rule, spec=spec)
    except ApplicationError as error:
        refusal_flash(request, error)
        return redirect("inbox:settings_moderation")
    state = "on" if spec.enabled else "off"
    messages.success(request, f"Moderation rule “{rule.name}” is {state}.")
    return redirect("inbox:settings_moderation")


@login_required
@require_POST
def moderation_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id)
    name = rule.name
    try:
        moderation.moderation_rule_delete(actor=viewer, rule=rule)
    except ApplicationError as error:
        refusal_flash(request, error)
        return redirect("inbox:settings_moderation")
    messages.success(request, f"Moderation rule “{name}” deleted.")
    return redirect("inbox:settings_moderation")
