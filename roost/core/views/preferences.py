"""Settings: the person's profile and second factor, and the organisation's sign-in policy."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from roost.core import services
from roost.core.errors import ApplicationError
from roost.core.forms import ProfileForm
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.two_factor import confirmed_device, two_factor_required


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    initial = {
        "name": user.name,
        "time_zone": user.time_zone,
        "region": user.region,
        "language": user.language,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(user=user, actor=user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field, error.message)
            status = error.status
        else:
            messages.success(request, "Profile saved.")
            return redirect("core:settings")
    elif request.method == "POST":
        status = 400
    context = {
        "area": "settings",
        "form": form,
        "organization": user.organization,
        "has_device": confirmed_device(user) is not None,
        "two_factor_required": two_factor_required(user),
        "can_update_org": can(user, Action.ORG_UPDATE),
    }
    return render(request, "core/settings.html", context, status=status)


def _policy_post(
    request: HttpRequest, *, field: str, service: Callable[..., object], saved: str
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        service(
            organization=user.organization, actor=user, required=request.POST.get(field) == "on"
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, saved)
    return redirect("core:settings")


@login_required
@require_POST
def organization_two_factor(request: HttpRequest) -> HttpResponse:
    return _policy_post(
        request,
        field="require_two_factor",
        service=services.organization_two_factor_set,
        saved="Sign-in policy saved.",
    )


@login_required
@require_POST
def organization_alt_text(request: HttpRequest) -> HttpResponse:
    return _policy_post(
        request,
        field="require_alt_text",
        service=services.organization_alt_text_set,
        saved="Media policy saved.",
    )
