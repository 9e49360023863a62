"""Invitation pages: the admin's list and form, the invitation policy, and the page the
e-mailed link opens. Each converts HTTP to one service call and back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from roost.core import selectors as core_selectors
from roost.core.errors import ApplicationError
from roost.core.invitations import selectors, services
from roost.core.invitations.forms import AcceptForm, InviteForm, PolicyForm
from roost.core.invitations.models import InvitationStatus
from roost.core.navigation import page_access
from roost.core.permissions import Action
from roost.core.signin import signin_completed
from roost.core.views.viewer import viewer_of

BACKEND = "roost.core.auth_backend.PersonWithOrganizationBackend"


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@login_required
@page_access(Action.USER_INVITE)
def invitation_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    groups = core_selectors.channel_group_list(viewer=viewer)
    form = InviteForm(request.POST or None, channel_groups=groups)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            chosen = list(data["channel_groups"]) if data["scope"] == "groups" else []
            try:
                made = services.invitations_create(
                    organization=viewer.organization,
                    actor=viewer,
                    emails=services.addresses_parsed(data["emails"]),
                    roles=data["roles"],
                    channel_groups=chosen,
                    valid_days=data["valid_days"],
                    site_url=_site_url(request),
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                count = len(made)
                messages.success(request, f"{count} invitation{'s' if count != 1 else ''} sent.")
                return redirect("invitations:list")
        else:
            status = 422
    policy = selectors.invitation_policy_get(viewer=viewer)
    context = {
        "area": "team",
        "form": form,
        "invitations": selectors.invitation_list(viewer=viewer)[:200],
        "allowed_domains": policy.allowed_email_domains if policy else [],
        "open_statuses": {InvitationStatus.PENDING, InvitationStatus.EXPIRED},
    }
    return render(request, "invitations/list.html", context, status=status)


def _invitation(request: HttpRequest, invitation_id: int):  # type: ignore[no-untyped-def]
    viewer = viewer_of(request)
    return viewer, selectors.invitation_get(viewer=viewer, invitation_id=invitation_id)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    viewer, invitation = _invitation(request, invitation_id)
    try:
        services.invitation_resend(actor=viewer, invitation=invitation, site_url=_site_url(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("invitations:list")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    viewer, invitation = _invitation(request, invitation_id)
    try:
        services.invitation_revoke(actor=viewer, invitation=invitation)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("invitations:list")


@login_required
@page_access(Action.ORG_UPDATE)
def invitation_policy(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    policy = selectors.invitation_policy_get(viewer=viewer)
    current = policy.allowed_email_domains if policy else []
    form = PolicyForm(request.POST or None, initial={"allowed_email_domains": "\n".join(current)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            domains = services.addresses_parsed(form.cleaned_data["allowed_email_domains"])
            try:
                services.invitation_policy_set(
                    organization=viewer.organization,
                    actor=viewer,
                    allowed_email_domains=domains,
                )
            except ApplicationError as error:
                form.add_error("allowed_email_domains", error.message)
                status = error.status
            else:
                messages.success(request, "Invitation policy saved.")
                return redirect("invitations:policy")
        else:
            status = 422
    context = {"area": "settings", "form": form, "allowed_domains": current}
    return render(request, "invitations/policy.html", context, status=status)


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page the e-mailed link opens: name and password, then the person is signed in
    (and sent on to set up two-factor sign-in when the organisation requires it)."""
    try:
        invitation = services.invitation_by_token(token)
        services.invitation_usable(invitation)
    except services.InvitationLinkError as problem:
        status = 404 if problem.code is services.LinkProblem.UNKNOWN else 410
        return render(
            request,
            "invitations/link_problem.html",
            {"message": problem.message, "problem": problem.code.value},
            status=status,
        )
    if request.user.is_authenticated:
        return render(
            request,
            "invitations/accept.html",
            {"invitation": invitation, "signed_in_as": request.user},
            status=409,
        )
    form = AcceptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    token=token,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                )
            except services.InvitationLinkError as problem:
                return render(
                    request,
                    "invitations/link_problem.html",
                    {"message": problem.message, "problem": problem.code.value},
                    status=410,
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                login(request, user, backend=BACKEND)
                signin_completed(user=user, second_factor=False)
                messages.success(request, f"Welcome to {invitation.organization.name}.")
                return redirect("core:today")
        else:
            status = 422
    grants = list(invitation.grants.select_related("channel_group"))
    return render(
        request,
        "invitations/accept.html",
        {"invitation": invitation, "form": form, "grants": grants},
        status=status,
    )
