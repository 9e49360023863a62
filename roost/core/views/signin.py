"""Signing in and out. Each view converts HTTP to one service call and back."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from roost.core.errors import ApplicationError
from roost.core.forms import CodeForm, SignInForm
from roost.core.middleware import (
    SECOND_FACTOR_DUE_KEY,
    client_ip,
    form_redirects_allowed,
    session_started,
)
from roost.core.models import User
from roost.core.signin import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_AGE,
    signin_completed,
    signin_device_token,
    signin_password,
    signin_totp,
    signout_recorded,
)
from roost.core.signin_methods.policy import session_rules
from roost.core.signin_methods.providers import single_sign_on_offered
from roost.core.signin_methods.security_keys import security_keys_exist
from roost.core.two_factor import (
    confirmed_device,
    second_factor_enrolled,
    second_factor_passed,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_qr_svg,
    totp_secret,
    two_factor_required,
)

NEXT_KEY = "roost_next"


def next_url_after_signin(request: HttpRequest) -> str:
    target = request.session.pop(NEXT_KEY, "") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return str(target)
    return "/"


def _device_token(request: HttpRequest) -> str:
    return request.COOKIES.get(DEVICE_COOKIE, "")


def remember_device(response: HttpResponse, user: User) -> HttpResponse:
    """Mark this browser as one `user` signed in with, so throttling aimed at their
    e-mail or their IP address does not lock them out of it."""
    response.set_cookie(
        DEVICE_COOKIE,
        signin_device_token(user=user),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def first_factor_passed(request: HttpRequest, user: User, *, method: str) -> HttpResponse:
    """Sign the browser in after the password (or the identity provider) and send it on:
    to the second factor when the person owes one, else where they were going."""
    next_url = request.session.get(NEXT_KEY, "")
    login(request, user, backend="roost.core.auth_backend.PersonWithOrganizationBackend")
    session_started(
        request,
        lifetime_seconds=session_rules(organization=user.organization).lifetime_seconds,
    )
    request.session[NEXT_KEY] = next_url
    enrolled = second_factor_enrolled(user)
    if not two_factor_required(user) and not enrolled:
        signin_completed(user=user, second_factor=False, method=method)
        return remember_device(redirect(next_url_after_signin(request)), user)
    if not enrolled:
        return redirect("core:two_factor_enrol")
    # Whoever set up a second factor is asked for it, required or not.
    request.session[SECOND_FACTOR_DUE_KEY] = True
    return redirect("core:signin_verify")


def signin(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and second_factor_passed(request.user):
        return redirect("core:today")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = signin_password(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
                device_token=_device_token(request),
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            request.session[NEXT_KEY] = request.GET.get("next", "")
            return first_factor_passed(request, user, method="password")
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "idle": request.GET.get("idle") == "1",
        "expired": request.GET.get("expired") == "1",
        "single_sign_on": single_sign_on_offered(),
        "next": request.GET.get("next", ""),
    }
    response = render(request, "core/signin.html", context, status=status)
    if context["single_sign_on"]:
        # The single sign-on form leads on to the identity provider's sign-in.
        return form_redirects_allowed(response)
    return response


@login_required
def signin_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if second_factor_passed(user):
        return redirect("core:today")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = signin_totp(
                user=user,
                code=form.cleaned_data["code"],
                ip_address=client_ip(request),
                device_token=_device_token(request),
            )
        except ApplicationError as error:
            form.add_error("code", error.message)
            status = error.status
        else:
            otp_login(request, device)
            signin_completed(user=user, second_factor=True, method="totp")
            return remember_device(redirect(next_url_after_signin(request)), user)
    context = {
        "form": form,
        "has_app": confirmed_device(user) is not None,
        "has_keys": security_keys_exist(user),
    }
    return render(request, "core/signin_verify.html", context, status=status)


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app. Open to a session that has not
    passed a second factor only while the person has no confirmed device."""
    user = request.user
    assert isinstance(user, User)
    if not second_factor_passed(user) and second_factor_enrolled(user):
        return redirect("core:signin_verify")
    device = totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_enrolment_confirm(
                user=user, device=device, code=form.cleaned_data["code"]
            )
        except ApplicationError as error:
            form.add_error("code", error.message)
            status = error.status
        else:
            was_verified = second_factor_passed(user)
            otp_login(request, device)
            messages.success(request, "Two-factor sign-in is set up.")
            if not was_verified:
                signin_completed(user=user, second_factor=True, method="totp")
                return remember_device(redirect(next_url_after_signin(request)), user)
            return redirect(next_url_after_signin(request))
    context = {"form": form, "qr_svg": totp_qr_svg(device), "secret": totp_secret(device)}
    return render(request, "core/two_factor_enrol.html", context, status=status)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User):
        signout_recorded(user=user, reason="signed out")
    logout(request)
    return redirect("core:login")
