"""Settings: the person's profile and second factor, and the organisation's sign-in policy."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from roost.core import services
from roost.core.errors import ApplicationError
from roost.core.feed_tokens import feed_token_current, feed_token_issue, feed_token_revoke
from roost.core.forms import ProfileForm
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.refusals import refusal_flash
from roost.core.two_factor import confirmed_device, two_factor_required

NEW_FEED_URL_KEY = "roost.new_feed_url"


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
        "feed_token": feed_token_current(user=user),
        # Shown on this one page after issuing, then gone: only its digest is kept.
        "new_feed_url": request.session.pop(NEW_FEED_URL_KEY, ""),
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
        refusal_flash(request, error)
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


@login_required
@require_POST
def calendar_feed_issue(request: HttpRequest) -> HttpResponse:
    """A new personal calendar-feed link, shown once; the old link stops working."""
    user = request.user
    assert isinstance(user, User)
    token = feed_token_issue(user=user)
    request.session[NEW_FEED_URL_KEY] = request.build_absolute_uri(
        reverse("publishing:calendar_feed", args=[token])
    )
    messages.success(request, "New calendar feed link created. Copy it now: it is shown once.")
    return redirect(reverse("core:settings") + "#calendar-feed")


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if feed_token_revoke(user=user, actor=user):
        messages.success(
            request, "Calendar feed link revoked; calendar apps using it stop updating."
        )
    return redirect(reverse("core:settings") + "#calendar-feed")
