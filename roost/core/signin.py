"""Signing in: password, second factor and throttling of repeated failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import SignInFailure, User
from roost.core.two_factor import confirmed_device, totp_code_valid

IP_FAILURE_FACTOR = 10


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.ROOST_SIGNIN_WINDOW_SECONDS)


def signin_throttled(*, email: str, ip_address: str | None) -> bool:
    recent = SignInFailure.objects.filter(occurred_at__gte=_window_start())
    limit = settings.ROOST_SIGNIN_MAX_FAILURES
    if recent.filter(email=email.strip().lower()).count() >= limit:
        return True
    return (
        bool(ip_address)
        and recent.filter(ip_address=ip_address).count() >= limit * IP_FAILURE_FACTOR
    )


def _throttled_error() -> ApplicationError:
    minutes = settings.ROOST_SIGNIN_WINDOW_SECONDS // 60
    return ApplicationError(
        ErrorCode.SIGNIN_THROTTLED,
        f"Too many failed attempts. Sign-in is locked for up to {minutes} minutes.",
    )


def _record_failure(*, email: str, ip_address: str | None, step: str) -> None:
    email = email.strip().lower()
    with transaction.atomic():
        SignInFailure.objects.create(email=email, ip_address=ip_address)
        user = User.objects.filter(email=email).select_related("organization").first()
        if user is not None:
            audit.record(
                organization=user.organization,
                actor=None,
                actor_label=email,
                action="core.signin.failed",
                target=user,
                after={"step": step},
            )


def signin_password(*, email: str, password: str, ip_address: str | None) -> User:
    """The person behind the e-mail and password, or a clear error; failures are counted."""
    if signin_throttled(email=email, ip_address=ip_address):
        raise _throttled_error()
    user = authenticate(username=email.strip().lower(), password=password)
    if not isinstance(user, User):
        _record_failure(email=email, ip_address=ip_address, step="password")
        raise ApplicationError(ErrorCode.SIGNIN_INVALID, "E-mail or password is not right.")
    return user


def signin_totp(*, user: User, code: str, ip_address: str | None) -> TOTPDevice:
    if signin_throttled(email=user.email, ip_address=ip_address):
        raise _throttled_error()
    device = confirmed_device(user)
    if device is None or not totp_code_valid(device, code):
        _record_failure(email=user.email, ip_address=ip_address, step="totp")
        raise ApplicationError(ErrorCode.TOTP_INVALID, "That code is not right.", field="code")
    return device


def signin_completed(*, user: User, second_factor: bool) -> None:
    SignInFailure.objects.filter(email=user.email).delete()
    audit.record(
        organization=user.organization,
        actor=user,
        action="core.signin.succeeded",
        target=user,
        after={"second_factor": second_factor},
    )


def signout_recorded(*, user: User, reason: str) -> None:
    audit.record(
        organization=user.organization,
        actor=user,
        action="core.signin.ended",
        target=user,
        after={"reason": reason},
    )


def signin_failures_prune() -> int:
    """Drop failures older than the throttling window; run by the clock."""
    deleted, _ = SignInFailure.objects.filter(occurred_at__lt=_window_start()).delete()
    return deleted
