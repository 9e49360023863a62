"""People, roles, teams, brands and channel groups."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from roost.core import selectors, services
from roost.core.errors import ApplicationError
from roost.core.forms import GrantForm
from roost.core.permissions import Action, can
from roost.core.refusals import refusal_flash
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of


@require_safe
@login_required
def team_overview(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    people = selectors.user_list(viewer=viewer).prefetch_related("memberships__channel_group")
    context = {
        "area": "team",
        "people": people,
        "teams": selectors.team_list(viewer=viewer),
        "brands": selectors.brand_list(viewer=viewer),
        "channel_groups": selectors.channel_group_list(viewer=viewer),
    }
    return render(request, "core/team.html", context)


@login_required
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    person = selectors.user_get(viewer=viewer, user_id=user_id)
    groups = selectors.channel_group_list(viewer=viewer)
    form = GrantForm(request.POST or None, channel_groups=groups)
    status = 200
    if request.method == "POST" and form.is_valid():
        group_id = form.cleaned_data["channel_group"]
        group = (
            selectors.channel_group_get(viewer=viewer, channel_group_id=group_id)
            if group_id
            else None
        )
        try:
            services.membership_grant(
                actor=viewer,
                user=person,
                role=form.cleaned_data["role"],
                channel_group=group,
                expires_at=form.cleaned_data["expires_at"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            messages.success(request, "Role granted.")
            return redirect("core:person", user_id=person.pk)
    context = {
        "area": "team",
        "person": person,
        "memberships": selectors.membership_list(viewer=viewer, user=person),
        "form": form,
        "can_grant": can(viewer, Action.MEMBERSHIP_GRANT),
    }
    return render(request, "core/person.html", context, status=status)


@login_required
@require_POST
def membership_revoke(request: HttpRequest, membership_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    membership = selectors.membership_get(viewer=viewer, membership_id=membership_id)
    try:
        services.membership_revoke(actor=viewer, membership=membership)
    except ApplicationError as error:
        refusal_flash(request, error)
    else:
        messages.success(request, "Role revoked.")
    return redirect("core:person", user_id=membership.user_id)


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    team = selectors.team_get(viewer=viewer, team_id=team_id)
    status = 200
    if request.method == "POST":
        lead_id = id_from(request.POST.get("lead"))
        try:
            lead = None if lead_id is None else selectors.user_get(viewer=viewer, user_id=lead_id)
            services.team_lead_set(team=team, actor=viewer, lead=lead)
        except ApplicationError as error:
            messages.error(request, error.message)
            status = error.status
        else:
            messages.success(request, "Team lead saved.")
            return redirect("core:team_detail", team_id=team.pk)
    context = {
        "area": "team",
        "team": team,
        "people": selectors.user_list(viewer=viewer).filter(is_active=True),
        "can_manage": can(viewer, Action.TEAM_MANAGE),
    }
    return render(request, "core/team_detail.html", context, status=status)


@require_safe
@login_required
def brand_detail(request: HttpRequest, brand_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    brand = selectors.brand_get(viewer=viewer, brand_id=brand_id)
    groups = selectors.channel_group_list(viewer=viewer).filter(brand=brand)
    return render(
        request, "core/brand_detail.html", {"area": "team", "brand": brand, "groups": groups}
    )


@require_safe
@login_required
def channel_group_detail(request: HttpRequest, channel_group_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    group = selectors.channel_group_get(viewer=viewer, channel_group_id=channel_group_id)
    grants = selectors.membership_list(viewer=viewer).filter(channel_group=group)
    return render(
        request,
        "core/channel_group_detail.html",
        {"area": "team", "group": group, "grants": grants},
    )
