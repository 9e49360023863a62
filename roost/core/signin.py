"""Signing in: password, second factor and throttling of repeated failures.

Throttling counts failures three ways, each on its own, so that an attacker
cannot lock a real person out:

- per account: `ROOST_SIGNIN_MAX_FAILURES` failures for one e-mail within the
  window lock that account for browsers it has not been used in;
- per IP address: ten times as many failures from one address lock that address
  for browsers that have not signed in to the account being tried;
- per known device: a browser that completed a sign-in to an account carries a
  signed device cookie for it (`signin_device_token`); its own failures are
  counted apart, and neither of the locks above stops it.

So 50 failures with made-up e-mails from one address (behind a proxy, every
user's address), or five wrong passwords for someone's e-mail, do not stop that
person signing in from the browser they use; a guesser without that cookie is
stopped by both counts.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import SignInFailure, User
from roost.core.sessions import DEACTIVATED_MESSAGE, signin_refused_as_deactivated
from roost.core.signin_methods.models import SecurityKey
from roost.core.signin_methods.security_keys import RelyingParty, security_key_verify
from roost.core.two_factor import confirmed_device, totp_code_valid

IP_FAILURE_FACTOR = 10
DEVICE_COOKIE = "roost_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 180
_DEVICE_SALT = "roost.core.signin.device"


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.ROOST_SIGNIN_WINDOW_SECONDS)


def signin_device_token(*, user: User) -> str:
    """A signed device cookie value: this browser completed a sign-in as `user`."""
    return signing.dumps({"u": user.pk, "d": secrets.token_hex(8)}, salt=_DEVICE_SALT)


def _known_device(*, email: str, device_token: str) -> str:
    """The device id of a valid device cookie for the account of `email`, else ""."""
    if not device_token:
        return ""
    try:
        value = signing.loads(device_token, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(value, dict) or not isinstance(value.get("d"), str):
        return ""
    if not isinstance(value.get("u"), int):
        return ""
    owner = User.objects.filter(pk=value["u"]).values_list("email", flat=True).first()
    if owner is None or owner.lower() != email.strip().lower():
        return ""
    return value["d"]


def signin_throttled(*, email: str, ip_address: str | None, device_token: str = "") -> bool:
    """Whether this attempt must wait; see the module docstring for the three counts."""
    recent = SignInFailure.objects.filter(occurred_at__gte=_window_start())
    limit = settings.ROOST_SIGNIN_MAX_FAILURES
    device = _known_device(email=email, device_token=device_token)
    if device:
        return recent.filter(device=device).count() >= limit
    if recent.filter(email=email.strip().lower(), device="").count() >= limit:
        return True
    return (
        bool(ip_address)
        and recent.filter(ip_address=ip_address, device="").count() >= limit * IP_FAILURE_FACTOR
    )


def _throttled_error() -> ApplicationError:
    minutes = settings.ROOST_SIGNIN_WINDOW_SECONDS // 60
    return ApplicationError(
        ErrorCode.SIGNIN_THROTTLED,
        f"Too many failed attempts. Sign-in is locked for up to {minutes} minutes.",
    )


def _record_failure(*, email: str, ip_address: str | None, device_token: str, step: str) -> None:
    device = _known_device(email=email, device_token=device_token)
    email = email.strip().lower()
    with transaction.atomic():
        SignInFailure.objects.create(email=email, ip_address=ip_address, device=device)
        user = User.objects.filter(email=email).select_related("organization").first()
        if user is not None:
            audit.record(
                organization=user.organization,
                actor=SYSTEM,
                actor_label=email,
                action="core.signin.failed",
                target=user,
                after={"step": step},
            )


def signin_password(
    *, email: str, password: str, ip_address: str | None, device_token: str = ""
) -> User:
    """The person behind the e-mail and password, or a clear error; failures are counted.

    `device_token` is the browser's device cookie, if it has one."""
    if signin_throttled(email=email, ip_address=ip_address, device_token=device_token):
        raise _throttled_error()
    user = authenticate(username=email.strip().lower(), password=password)
    if not isinstance(user, User):
        _record_failure(
            email=email, ip_address=ip_address, device_token=device_token, step="password"
        )
        if signin_refused_as_deactivated(email=email, password=password):
            raise ApplicationError(ErrorCode.SIGNIN_INVALID, DEACTIVATED_MESSAGE)
        raise ApplicationError(ErrorCode.SIGNIN_INVALID, "E-mail or password is not right.")
    return user


def signin_totp(
    *, user: User, code: str, ip_address: str | None, device_token: str = ""
) -> TOTPDevice:
    if signin_throttled(email=user.email, ip_address=ip_address, device_token=device_token):
        raise _throttled_error()
    device = confirmed_device(user)
    if device is None or not totp_code_valid(device, code):
        _record_failure(
            email=user.email, ip_address=ip_address, device_token=device_token, step="totp"
        )
        raise ApplicationError(ErrorCode.TOTP_INVALID, "That code is not right.", field="code")
    return device


def signin_security_key(
    *,
    user: User,
    credential_json: str,
    challenge: str,
    rp: RelyingParty,
    ip_address: str | None,
    device_token: str = "",
) -> SecurityKey:
    """The second factor by security key; a refused answer counts like a wrong code."""
    if signin_throttled(email=user.email, ip_address=ip_address, device_token=device_token):
        raise _throttled_error()
    try:
        return security_key_verify(
            user=user, credential_json=credential_json, challenge=challenge, rp=rp
        )
    except ApplicationError:
        _record_failure(
            email=user.email, ip_address=ip_address, device_token=device_token, step="security_key"
        )
        raise


def signin_completed(*, user: User, second_factor: bool, method: str = "password") -> None:
    """Record a finished sign-in; `method` is the last step (password, totp,
    security_key, sso)."""
    SignInFailure.objects.filter(email=user.email).delete()
    audit.record(
        organization=user.organization,
        actor=user,
        action="core.signin.succeeded",
        target=user,
        after={"second_factor": second_factor, "method": method},
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
