"""Security keys (WebAuthn) as a second factor: register, list, rename, remove, sign in.

A ceremony has two halves. `*_options` makes a random challenge, which the caller keeps
in the person's session and hands back, once, to the matching `*_verify` call; the
browser's answer is checked by the `webauthn` package against that challenge, the
relying party id (the host people reach Roost at) and the origin. A stolen answer is
worthless elsewhere or later: the challenge is single-use and bound to the origin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from roost.core import audit
from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.signin_methods.models import SecurityKey
from roost.core.tenancy import require_same_organization

NAME_MAX = 60
CEREMONY_TIMEOUT_MS = 120_000
KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    """Where the ceremony happens: the host name (rp id) and the page's origin."""

    rp_id: str
    origin: str
    name: str = "Roost"


@dataclass(frozen=True)
class Ceremony:
    options_json: str  # for the browser
    challenge: str  # base64url, for the session


def security_key_list(*, user: User) -> list[SecurityKey]:
    return list(SecurityKey.objects.filter(user=user, organization_id=user.organization_id))


def security_keys_exist(user: User) -> bool:
    return SecurityKey.objects.filter(user=user, confirmed=True).exists()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(key.credential_id),
            transports=[AuthenticatorTransport(t) for t in key.transports if t in KNOWN_TRANSPORTS],
        )
        for key in security_key_list(user=user)
    ]


def security_key_registration_options(*, user: User, rp: RelyingParty) -> Ceremony:
    """Options for `navigator.credentials.create`; the person's keys are excluded so one
    key is not registered twice."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=f"roost-user-{user.pk}".encode(),
        user_name=user.email,
        user_display_name=user.name or user.email,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        timeout=CEREMONY_TIMEOUT_MS,
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "Give the key a name.", field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(
            ErrorCode.INVALID, f"A key's name is at most {NAME_MAX} characters.", field="name"
        )
    return name


def _transports(credential_json: str) -> list[str]:
    try:
        data = json.loads(credential_json)
        found = data.get("response", {}).get("transports", [])
    except (ValueError, AttributeError):
        return []
    if not isinstance(found, list):
        return []
    return sorted({t for t in found if isinstance(t, str) and t in KNOWN_TRANSPORTS})


def security_key_register(
    *, user: User, name: str, credential_json: str, challenge: str, rp: RelyingParty
) -> SecurityKey:
    """Keep the key the browser just created, when its answer matches the challenge."""
    name = _clean_name(name)
    if not challenge:
        raise ApplicationError(
            ErrorCode.INVALID, "The registration expired; start again.", field="credential"
        )
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise ApplicationError(
            ErrorCode.INVALID, f"The security key's answer was refused: {exc}", field="credential"
        ) from exc
    try:
        with transaction.atomic():
            key = SecurityKey.objects.create(
                user=user,
                organization_id=user.organization_id,
                name=name,
                confirmed=True,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=_transports(credential_json),
            )
            audit.record(
                organization=user.organization,
                actor=user,
                action="core.security_key.added",
                target=key,
                target_label=name,
                after={"name": name, "transports": key.transports},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, "This security key is registered already.", field="credential"
        ) from exc
    return key


def security_key_get(*, user: User, key_id: int) -> SecurityKey:
    key = SecurityKey.objects.filter(pk=key_id, user=user).first()
    if key is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Security key not found.")
    return key


def security_key_remove(*, actor: Actor, key: SecurityKey) -> None:
    """People remove their own keys; the key stops working at once."""
    require_same_organization(actor, key, noun="Security key")
    if isinstance(actor, User) and actor.pk != key.user_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Security key not found.")
    with transaction.atomic():
        audit.record(
            organization=key.user.organization,
            actor=actor,
            action="core.security_key.removed",
            target=key,
            target_label=key.name,
            before={"name": key.name, "added_at": key.added_at.isoformat()},
        )
        key.delete()


def security_key_authentication_options(*, user: User, rp: RelyingParty) -> Ceremony:
    """Options for `navigator.credentials.get`, allowing only this person's keys."""
    allowed = _descriptors(user)
    if not allowed:
        raise ApplicationError(ErrorCode.NOT_FOUND, "You have no security key registered.")
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=CEREMONY_TIMEOUT_MS,
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def _credential_id(credential_json: str) -> str:
    try:
        data = json.loads(credential_json)
    except ValueError:
        return ""
    raw = data.get("rawId") if isinstance(data, dict) else None
    return raw if isinstance(raw, str) else ""


def security_key_verify(
    *, user: User, credential_json: str, challenge: str, rp: RelyingParty
) -> SecurityKey:
    """The person's key that signed this challenge, its counter moved on; else an error.

    The caller counts a failure like a wrong code (`roost.core.signin`)."""
    refused = ApplicationError(ErrorCode.TOTP_INVALID, "The security key was not accepted.")
    key = SecurityKey.objects.filter(
        user=user, confirmed=True, credential_id=_credential_id(credential_json)
    ).first()
    if key is None or not challenge:
        raise refused
    try:
        verified = verify_authentication_response(
            credential=credential_json,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise refused from exc
    key.sign_count = verified.new_sign_count
    key.used_at = timezone.now()
    key.save(update_fields=["sign_count", "used_at"])
    return key
