"""TOTP second factor: who needs it, enrolment, and checking a code."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import is_admin
from roost.core.signin_methods.security_keys import security_keys_exist


def two_factor_required(user: User) -> bool:
    """Admins always need a second factor, and everyone when the organisation says so.

    Only a demo organisation may switch it off for everyone, admins included,
    so that its printed logins work with a password alone.
    """
    org = user.organization
    if org.is_demo and not org.require_two_factor:
        return False
    return org.require_two_factor or is_admin(user)


def second_factor_passed(user: object) -> bool:
    """Whether this session's person has passed a second factor (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def second_factor_enrolled(user: User) -> bool:
    """Whether the person has a second factor to sign in with: an authenticator app or a
    security key (enforced two-factor accepts either)."""
    return confirmed_device(user) is not None or security_keys_exist(user)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device to show as a QR code; reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps accept it when typed in (base32, grouped by four)."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> TOTPDevice:
    if device.user_id != user.pk or device.confirmed:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No enrolment in progress.")
    if not totp_code_valid(device, code):
        raise ApplicationError(
            ErrorCode.TOTP_INVALID, "That code is not right. Try the current one.", field="code"
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(
            organization=user.organization,
            actor=user,
            action="core.two_factor.enrolled",
            target=user,
            after={"method": "totp"},
        )
    return device


def totp_code_valid(device: TOTPDevice, code: str) -> bool:
    code = code.strip().replace(" ", "")
    return code.isdigit() and len(code) == device.digits and device.verify_token(code)
