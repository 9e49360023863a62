"""Publish → Compliance rules: thin views over `roost.publishing.compliance`. Any member
may read the rules the composer applies; leads add, change and delete them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from roost.core.errors import ApplicationError
from roost.core.models import ChannelGroup, User
from roost.core.permissions import Action, can, require
from roost.core.views.viewer import viewer_of
from roost.publishing import compliance, selectors
from roost.publishing.models import ComplianceRule


class ComplianceRuleForm(forms.Form):
    kind = forms.ChoiceField(choices=ComplianceRule.Kind.choices)
    value = forms.CharField(
        max_length=compliance.MAX_VALUE,
        help_text=(
            "The banned term, the disclosure paid posts must carry (e.g. #ad), or the allowed "
            "link domains, comma-separated (e.g. example.com, shop.example.com)."
        ),
        error_messages={"required": compliance.RULE_MESSAGES[compliance.RuleProblem.VALUE_BLANK]},
    )
    severity = forms.ChoiceField(
        choices=ComplianceRule.Severity.choices,
        initial=ComplianceRule.Severity.BLOCK,
        help_text="Block stops submitting; warn only shows the problem.",
    )
    channel_group = forms.ModelChoiceField(
        queryset=ChannelGroup.objects.none(),
        required=False,
        empty_label="Whole organisation",
        label="Applies to",
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channel_group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ChannelGroup.objects.filter(organization_id=viewer.organization_id)

    @staticmethod
    def initial_from(rule: ComplianceRule) -> dict[str, object]:
        return {
            "kind": rule.kind,
            "value": rule.value,
            "severity": rule.severity,
            "channel_group": rule.channel_group_id,
        }


def _save(
    request: HttpRequest, viewer: User, form: ComplianceRuleForm, rule: ComplianceRule | None
) -> tuple[ComplianceRule | None, int]:
    """Save a posted form through the service: the rule, or None and the status to show."""
    if not form.is_valid():
        return None, 400
    try:
        if rule is None:
            saved = compliance.compliance_rule_create(actor=viewer, **form.cleaned_data)
        else:
            saved = compliance.compliance_rule_update(actor=viewer, rule=rule, **form.cleaned_data)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None, error.status
    messages.success(request, f"Compliance rule saved: {saved}.")
    return saved, 200


@login_required
@require_http_methods(["GET", "POST"])
def compliance_rules(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    can_manage = can(viewer, Action.COMPLIANCE_MANAGE)
    status = 200
    if request.method == "POST":
        require(viewer, Action.COMPLIANCE_MANAGE)
        form = ComplianceRuleForm(request.POST, viewer=viewer)
        saved, status = _save(request, viewer, form, None)
        if saved is not None:
            return redirect("publishing:compliance")
    else:
        form = ComplianceRuleForm(viewer=viewer)
    context = {
        "area": "publish",
        "rules": selectors.compliance_rule_list(viewer=viewer),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "publishing/compliance_rules.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def compliance_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = selectors.compliance_rule_get(viewer=viewer, rule_id=rule_id)
    require(viewer, Action.COMPLIANCE_MANAGE)
    status = 200
    if request.method == "POST":
        form = ComplianceRuleForm(request.POST, viewer=viewer)
        saved, status = _save(request, viewer, form, rule)
        if saved is not None:
            return redirect("publishing:compliance")
    else:
        form = ComplianceRuleForm(initial=ComplianceRuleForm.initial_from(rule), viewer=viewer)
    context = {"area": "publish", "form": form, "rule": rule}
    return render(request, "publishing/compliance_rule_form.html", context, status=status)


@login_required
@require_POST
def compliance_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = selectors.compliance_rule_get(viewer=viewer, rule_id=rule_id)
    label = str(rule)
    compliance.compliance_rule_delete(actor=viewer, rule=rule)
    messages.success(request, f"Compliance rule deleted: {label}.")
    return redirect("publishing:compliance")
