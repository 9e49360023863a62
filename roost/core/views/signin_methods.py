"""Pages for security keys, SSO and the organisation's sign-in policy (the web layer of
`roost.core.signin_methods`, kept beside the other sign-in views it calls into).

Each view converts HTTP to one service call and back; the ceremony challenges and the
pending SSO sign-in are kept in the session, never in the page."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.middleware import SECOND_FACTOR_DUE_KEY, client_ip
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.signin import DEVICE_COOKIE, signin_completed, signin_security_key
from roost.core.signin_methods import oidc, providers
from roost.core.signin_methods.forms import MappingForm, PolicyForm, ProviderForm, SecurityKeyForm
from roost.core.signin_methods.models import GroupRoleMapping, IdentityProvider
from roost.core.signin_methods.policy import signin_policy_get, signin_policy_update
from roost.core.signin_methods.security_keys import (
    RelyingParty,
    security_key_authentication_options,
    security_key_get,
    security_key_list,
    security_key_register,
    security_key_registration_options,
    security_key_remove,
)
from roost.core.two_factor import (
    second_factor_enrolled,
    second_factor_passed,
    two_factor_required,
)
from roost.core.views.signin import (
    NEXT_KEY,
    first_factor_passed,
    next_url_after_signin,
    remember_device,
)

CHALLENGE_KEY = "roost_webauthn_challenge"
CHALLENGE_MAX_AGE = 300
SSO_KEY = "roost_sso_pending"


def relying_party(request: HttpRequest) -> RelyingParty:
    """The rp id and origin of this request's host (Django has checked it against
    ALLOWED_HOSTS): a key registered at one address answers only there."""
    host = request.get_host()
    return RelyingParty(
        rp_id=host.rsplit(":", 1)[0].strip("[]"), origin=f"{request.scheme}://{host}"
    )


def localhost_url(request: HttpRequest) -> str:
    """This page at localhost when it was opened at a loopback address: browsers do not
    take an IP address as a relying party id, so keys work only under a name."""
    rp = relying_party(request)
    try:
        address = ipaddress.ip_address(rp.rp_id)
    except ValueError:
        return ""
    if not address.is_loopback:
        return ""
    host = request.get_host()
    port = host.rsplit(":", 1)[1] if not host.endswith("]") and ":" in host else ""
    return f"{request.scheme}://localhost{':' + port if port else ''}{request.get_full_path()}"


def _keep_challenge(request: HttpRequest, *, purpose: str, challenge: str) -> None:
    request.session[CHALLENGE_KEY] = {"purpose": purpose, "value": challenge, "at": time.time()}


def _take_challenge(request: HttpRequest, *, purpose: str) -> str:
    """The challenge of the ceremony in progress, once: a second answer finds none."""
    kept: Any = request.session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        return ""
    if time.time() - float(kept.get("at", 0)) > CHALLENGE_MAX_AGE:
        return ""
    return str(kept.get("value", ""))


def _problem(error: ApplicationError) -> JsonResponse:
    return JsonResponse(
        {"title": "Refused", "status": error.status, "detail": error.message},
        status=error.status,
        content_type="application/problem+json",
    )


def _signed_in_fully(request: HttpRequest, user: User) -> bool:
    """The session passed its second factor, or owes none."""
    if second_factor_passed(user):
        return True
    return not request.session.get(SECOND_FACTOR_DUE_KEY) and not two_factor_required(user)


def _may_manage_keys(request: HttpRequest, user: User) -> bool:
    """A fully signed-in session, or a person still choosing their first second factor."""
    return _signed_in_fully(request, user) or not second_factor_enrolled(user)


@login_required
def security_keys(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not _may_manage_keys(request, user):
        return redirect("core:signin_verify")
    form = SecurityKeyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            key = security_key_register(
                user=user,
                name=form.cleaned_data["name"],
                credential_json=form.cleaned_data["credential"],
                challenge=_take_challenge(request, purpose="register"),
                rp=relying_party(request),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            messages.success(request, f"Security key “{key.name}” added.")
            if not _signed_in_fully(request, user):
                # Registering the first factor completes this sign-in, as an app's would.
                otp_login(request, key)
                signin_completed(user=user, second_factor=True, method="security_key")
                return remember_device(redirect(next_url_after_signin(request)), user)
            return redirect("signin_methods:security_keys")
    elif request.method == "POST":
        status = 400
    context = {
        "area": "settings",
        "form": form,
        "keys": security_key_list(user=user),
        "localhost_url": localhost_url(request),
    }
    return render(request, "signin_methods/security_keys.html", context, status=status)


@login_required
@require_POST
def security_key_options(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not _may_manage_keys(request, user):
        return _problem(ApplicationError(ErrorCode.PERMISSION_DENIED, "Finish signing in first."))
    ceremony = security_key_registration_options(user=user, rp=relying_party(request))
    _keep_challenge(request, purpose="register", challenge=ceremony.challenge)
    return HttpResponse(ceremony.options_json, content_type="application/json")


@login_required
@require_POST
def security_key_delete(request: HttpRequest, key_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not _signed_in_fully(request, user):
        return redirect("core:signin_verify")
    key = security_key_get(user=user, key_id=key_id)
    security_key_remove(actor=user, key=key)
    messages.success(request, f"Security key “{key.name}” removed.")
    return redirect("signin_methods:security_keys")


@login_required
@require_POST
def signin_key_options(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        ceremony = security_key_authentication_options(user=user, rp=relying_party(request))
    except ApplicationError as error:
        return _problem(error)
    _keep_challenge(request, purpose="signin", challenge=ceremony.challenge)
    return HttpResponse(ceremony.options_json, content_type="application/json")


@login_required
@require_POST
def signin_key(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if second_factor_passed(user):
        return redirect("core:today")
    try:
        key = signin_security_key(
            user=user,
            credential_json=request.POST.get("credential", ""),
            challenge=_take_challenge(request, purpose="signin"),
            rp=relying_party(request),
            ip_address=client_ip(request),
            device_token=request.COOKIES.get(DEVICE_COOKIE, ""),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("core:signin_verify")
    otp_login(request, key)
    signin_completed(user=user, second_factor=True, method="security_key")
    return remember_device(redirect(next_url_after_signin(request)), user)


@require_POST
def sso_find(request: HttpRequest) -> HttpResponse:
    """Single sign-on from the sign-in page: the e-mail finds the identity provider."""
    email = request.POST.get("email", "")[:254]
    provider = providers.identity_provider_for_email(email)
    if provider is None:
        messages.error(
            request,
            "No single sign-on is set up for that e-mail address. Sign in with your password, "
            "or ask your administrator.",
        )
        return redirect("core:login")
    return _sso_begin(request, provider)


@require_POST
def sso_start(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = IdentityProvider.objects.filter(pk=provider_id, enabled=True).first()
    if provider is None:
        messages.error(request, "Signing in through this identity provider is switched off.")
        return redirect("core:login")
    return _sso_begin(request, provider)


def _sso_begin(request: HttpRequest, provider: IdentityProvider) -> HttpResponse:
    provider_id = provider.pk
    redirect_uri = request.build_absolute_uri(reverse("signin_methods:sso_callback"))
    try:
        url, pending = oidc.oidc_begin(provider=provider, redirect_uri=redirect_uri)
    except ApplicationError as error:
        oidc.oidc_refusal_logged(message=error.message, provider_id=provider_id)
        messages.error(request, error.message)
        return redirect("core:login")
    request.session[SSO_KEY] = pending.to_session()
    request.session[NEXT_KEY] = request.POST.get("next", "")
    return redirect(url)


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    pending = oidc.PendingSignIn.from_session(request.session.pop(SSO_KEY, None))
    try:
        user = oidc.oidc_complete(
            pending=pending,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error_description", "") or request.GET.get("error", ""),
        )
    except ApplicationError as error:
        oidc.oidc_refusal_logged(
            message=error.message, provider_id=pending.provider_id if pending else None
        )
        return render(
            request, "signin_methods/sso_refused.html", {"message": error.message}, status=403
        )
    return first_factor_passed(request, user, method="sso")


def _admin(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.SIGNIN_POLICY_MANAGE)
    return user


@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    organization = user.organization
    policy = signin_policy_get(organization=organization)
    provider = providers.identity_provider_get(organization=organization)
    policy_form = PolicyForm(
        request.POST if request.POST.get("form") == "policy" else None,
        initial={
            "require_two_factor": organization.require_two_factor,
            "session_lifetime_minutes": policy.session_lifetime_minutes,
            "idle_timeout_minutes": policy.idle_timeout_minutes,
        },
        prefix="policy",
    )
    provider_form = ProviderForm(
        request.POST if request.POST.get("form") == "provider" else None,
        initial={
            "name": provider.name if provider else "",
            "issuer": provider.issuer if provider else "",
            "client_id": provider.client_id if provider else "",
            "allowed_email_domains": " ".join(provider.allowed_email_domains) if provider else "",
            "enabled": provider.enabled if provider else True,
        },
        prefix="provider",
    )
    mapping_form = MappingForm(
        request.POST if request.POST.get("form") == "mapping" else None,
        organization=organization,
        prefix="mapping",
    )
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if policy_form.is_bound and policy_form.is_valid():
                signin_policy_update(
                    organization=organization, actor=user, **policy_form.cleaned_data
                )
                messages.success(request, "Sign-in policy saved.")
                return redirect("signin_methods:policy")
            if provider_form.is_bound and provider_form.is_valid():
                providers.identity_provider_save(
                    organization=organization, actor=user, **provider_form.cleaned_data
                )
                messages.success(request, "Identity provider saved.")
                return redirect("signin_methods:policy")
            if mapping_form.is_bound and mapping_form.is_valid() and provider is not None:
                providers.group_mapping_add(
                    provider=provider, actor=user, **mapping_form.cleaned_data
                )
                messages.success(request, "Group mapping added.")
                return redirect("signin_methods:policy")
        except ApplicationError as error:
            status = error.status
            for form in (policy_form, provider_form, mapping_form):
                if form.is_bound:
                    form.add_error(
                        error.field if error.field in form.fields else None, error.message
                    )
    context = {
        "area": "settings",
        "policy_form": policy_form,
        "provider_form": provider_form,
        "mapping_form": mapping_form,
        "provider": provider,
        "mappings": list(provider.mappings.select_related("channel_group")) if provider else [],
        "callback_url": request.build_absolute_uri(reverse("signin_methods:sso_callback")),
        "organization": organization,
    }
    return render(request, "signin_methods/policy.html", context, status=status)


@login_required
@require_POST
def mapping_remove(request: HttpRequest, mapping_id: int) -> HttpResponse:
    user = _admin(request)
    mapping = (
        GroupRoleMapping.objects.select_related("provider__organization")
        .filter(pk=mapping_id, organization=user.organization)
        .first()
    )
    if mapping is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Mapping not found.")
    providers.group_mapping_remove(actor=user, mapping=mapping)
    messages.success(request, "Group mapping removed; its roles go at each person's next sign-in.")
    return redirect("signin_methods:policy")
