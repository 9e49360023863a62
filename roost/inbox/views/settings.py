"""Inbox → Settings: routing rules and SLA policies. Thin views over `roost.inbox.routing.rules`
and `roost.inbox.sla.policies`; any member may read the settings, leads change them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.core.errors import ApplicationError
from roost.core.models import User
from roost.core.permissions import Action, can, require
from roost.core.refusals import refusal_flash
from roost.core.views.viewer import viewer_of
from roost.inbox import settings_selectors
from roost.inbox.models import RoutingRule, SlaPolicy
from roost.inbox.routing import rules
from roost.inbox.settings_forms import RoutingRuleForm, SlaPolicyForm
from roost.inbox.sla import policies
from roost.inbox.sla.policies import WEEKDAYS
from roost.inbox.sla.reports import duration_text


def _show_error(form: forms.Form, error: ApplicationError) -> int:
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return error.status


def _rule_form(request: HttpRequest, viewer: User, rule: RoutingRule | None) -> RoutingRuleForm:
    return RoutingRuleForm(
        request.POST if request.method == "POST" else None,
        initial=RoutingRuleForm.initial_from(rule) if rule else None,
        channels=settings_selectors.settings_channels(viewer=viewer),
        brands=settings_selectors.settings_brands(viewer=viewer),
        teams=settings_selectors.settings_teams(viewer=viewer),
    )


@require_safe
@login_required
def rules_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    context = {
        "area": "inbox",
        "rules": list(settings_selectors.routing_rule_list(viewer=viewer)),
        "can_configure": can(viewer, Action.INBOX_CONFIGURE),
    }
    return render(request, "inbox/settings/rules.html", context)


def _rule_page(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    viewer = viewer_of(request)
    require(viewer, Action.INBOX_CONFIGURE)
    form = _rule_form(request, viewer, rule)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                if rule is None:
                    saved = rules.routing_rule_create(actor=viewer, spec=form.spec())
                else:
                    saved = rules.routing_rule_update(actor=viewer, rule=rule, spec=form.spec())
            except ApplicationError as error:
                status = _show_error(form, error)
            else:
                messages.success(request, f"Routing rule “{saved.name}” saved.")
                return redirect("inbox:settings_rules")
    context = {"area": "inbox", "form": form, "rule": rule}
    return render(request, "inbox/settings/rule_form.html", context, status=status)


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@login_required
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = settings_selectors.routing_rule_get(viewer=viewer_of(request), rule_id=rule_id)
    return _rule_page(request, rule)


@login_required
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = settings_selectors.routing_rule_get(viewer=viewer, rule_id=rule_id)
    try:
        direction = rules.MoveDirection(request.POST.get("direction", ""))
    except ValueError:
        messages.error(request, "Move a rule up or down.")
        return redirect("inbox:settings_rules")
    try:
        rules.routing_rule_move(actor=viewer, rule=rule, direction=direction)
    except ApplicationError as error:
        refusal_flash(request, error)
    return redirect("inbox:settings_rules")


@login_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = settings_selectors.routing_rule_get(viewer=viewer, rule_id=rule_id)
    name = rule.name
    rules.routing_rule_delete(actor=viewer, rule=rule)
    messages.success(request, f"Routing rule “{name}” deleted.")
    return redirect("inbox:settings_rules")


@require_safe
@login_required
def policies_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    policies = list(settings_selectors.sla_policy_list(viewer=viewer))
    rows = [
        {
            "policy": policy,
            "first_response": duration_text(policy.first_response_minutes * 60),
            "resolution": duration_text(policy.resolution_minutes * 60),
            "hours": [
                (WEEKDAYS[int(day)], spans) for day, spans in sorted(policy.business_hours.items())
            ],
        }
        for policy in policies
    ]
    context = {
        "area": "inbox",
        "rows": rows,
        "can_configure": can(viewer, Action.INBOX_CONFIGURE),
    }
    return render(request, "inbox/settings/policies.html", context)


def _policy_page(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    viewer = viewer_of(request)
    require(viewer, Action.INBOX_CONFIGURE)
    form = SlaPolicyForm(
        request.POST if request.method == "POST" else None,
        initial=SlaPolicyForm.initial_from(policy) if policy else None,
        channels=settings_selectors.settings_channels(viewer=viewer),
    )
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                if policy is None:
                    saved = policies.sla_policy_create(actor=viewer, spec=form.spec())
                else:
                    saved = policies.sla_policy_update(
                        actor=viewer, policy=policy, spec=form.spec()
                    )
            except ApplicationError as error:
                status = _show_error(form, error)
            else:
                messages.success(request, f"SLA policy “{saved.name}” saved.")
                return redirect("inbox:settings_policies")
    context = {"area": "inbox", "form": form, "policy": policy}
    return render(request, "inbox/settings/policy_form.html", context, status=status)


@login_required
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_page(request, None)


@login_required
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = settings_selectors.sla_policy_get(viewer=viewer_of(request), policy_id=policy_id)
    return _policy_page(request, policy)


@login_required
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    policy = settings_selectors.sla_policy_get(viewer=viewer, policy_id=policy_id)
    name = policy.name
    policies.sla_policy_delete(actor=viewer, policy=policy)
    messages.success(request, f"SLA policy “{name}” deleted.")
    return redirect("inbox:settings_policies")
