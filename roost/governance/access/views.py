"""Access pages: per person, per channel group, per channel, and bulk changes. Views
convert HTTP to selector and service calls and back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from roost.channels.selectors import channel_get, channel_list
from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError
from roost.core.models import Membership
from roost.core.navigation import page_access
from roost.core.permissions import Action, can, in_force_q
from roost.core.views.viewer import viewer_of
from roost.governance.access import selectors, services
from roost.governance.access.forms import BulkAccessForm


@require_safe
@login_required
@page_access(Action.ACCESS_VIEW)
def access_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    people = core_selectors.user_list(viewer=viewer)
    counts: dict[int, int] = {}
    for user_id in (
        Membership.objects.filter(organization_id=viewer.organization_id)
        .filter(in_force_q())
        .values_list("user_id", flat=True)
    ):
        counts[user_id] = counts.get(user_id, 0) + 1
    context = {
        "area": "governance",
        "people": [(p, counts.get(p.pk, 0)) for p in people],
        "channel_groups": core_selectors.channel_group_list(viewer=viewer),
        "channels": channel_list(viewer=viewer),
        "can_manage": can(viewer, Action.ACCESS_MANAGE),
    }
    return render(request, "governance/access/home.html", context)


@require_safe
@login_required
@page_access(Action.ACCESS_VIEW)
def access_person(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    person = core_selectors.user_get(viewer=viewer, user_id=user_id)
    context = {
        "area": "governance",
        "person": person,
        "grants": selectors.person_grants(viewer=viewer, person=person),
        "now": timezone.now(),
        "can_manage": can(viewer, Action.ACCESS_MANAGE),
    }
    return render(request, "governance/access/person.html", context)


@require_safe
@login_required
@page_access(Action.ACCESS_VIEW)
def access_channel_group(request: HttpRequest, channel_group_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    group = core_selectors.channel_group_get(viewer=viewer, channel_group_id=channel_group_id)
    context = {
        "area": "governance",
        "group": group,
        "access": selectors.group_access(viewer=viewer, channel_group=group),
        "can_manage": can(viewer, Action.ACCESS_MANAGE),
    }
    return render(request, "governance/access/channel_group.html", context)


@require_safe
@login_required
@page_access(Action.ACCESS_VIEW)
def access_channel(request: HttpRequest, channel_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    channel = channel_get(viewer=viewer, channel_id=channel_id)
    context = {
        "area": "governance",
        "channel": channel,
        "group": channel.channel_group,
        "access": selectors.group_access(viewer=viewer, channel_group=channel.channel_group),
        "can_manage": can(viewer, Action.ACCESS_MANAGE),
    }
    return render(request, "governance/access/channel.html", context)


def _summary(plan: services.BulkPlan) -> str:
    counts = plan.counts
    done = "granted" if plan.operation is services.BulkOperation.GRANT else "revoked"
    changed = counts["add"] + counts["remove"]
    parts = [f"{changed} {'role' if changed == 1 else 'roles'} {done}"]
    if counts["exists"]:
        parts.append(f"{counts['exists']} already held")
    if counts["absent"]:
        parts.append(f"{counts['absent']} not held")
    if counts["refused"]:
        parts.append(f"{counts['refused']} refused")
    return "; ".join(parts) + "."


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@page_access(Action.ACCESS_MANAGE)
def access_bulk(request: HttpRequest) -> HttpResponse:
    """GET: the form (fields may be pre-filled from the query string). POST with
    step=preview: the plan, changing nothing. POST with step=confirm: apply it."""
    viewer = viewer_of(request)
    people = core_selectors.user_list(viewer=viewer).filter(is_active=True)
    groups = core_selectors.channel_group_list(viewer=viewer)
    data = request.POST if request.method == "POST" else None
    form = BulkAccessForm(data, people=people, channel_groups=groups)
    if data is None:
        form = BulkAccessForm(
            initial={
                "operation": request.GET.get("operation", "grant"),
                "role": request.GET.get("role", ""),
                "people": request.GET.getlist("people"),
                "channel_groups": request.GET.getlist("channel_groups"),
            },
            people=people,
            channel_groups=groups,
        )
    plan = None
    status = 200
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            targets, scopes = services.access_targets(
                actor=viewer,
                user_ids=cleaned["people"],
                channel_group_ids=cleaned["channel_groups"],
                whole_organization=cleaned["whole_organization"],
            )
            common = {"actor": viewer, "people": targets, "role": cleaned["role"], "scopes": scopes}
            plan = services.access_bulk_preview(
                **common, operation=cleaned["operation"], expires_at=cleaned["expires_at"]
            )
            if request.POST.get("step") == "confirm":
                if plan.operation is services.BulkOperation.GRANT:
                    plan = services.access_bulk_grant(**common, expires_at=cleaned["expires_at"])
                else:
                    plan = services.access_bulk_revoke(**common)
                messages.success(request, _summary(plan))
                return redirect("governance:access_home")
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            plan = None
            status = error.status
    elif data is not None:
        status = 422
    context = {"area": "governance", "form": form, "plan": plan}
    return render(request, "governance/access/bulk.html", context, status=status)
