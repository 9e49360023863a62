"""Signing in through an organisation's OpenID Connect provider.

The authorization code flow with PKCE (S256), `state` and `nonce`:

1. `oidc_begin` reads the provider's discovery document and returns the address to
   send the browser to, with a fresh state, nonce and PKCE verifier. The caller keeps
   these in the session (`PendingSignIn`), never anywhere the browser can change.
2. The provider sends the browser back with `code` and `state`. `oidc_complete`
   checks the state, trades the code (with the verifier) for tokens at the token
   endpoint, and verifies the ID token: its signature against the provider's published
   keys (JWKS), its issuer, audience, expiry and nonce. Only then is anything written.
3. The person is found by the provider's subject, or by e-mail the first time, or
   created (just-in-time provisioning), and the group mappings are applied: roles
   granted for the groups the token names, and roles granted earlier through a mapping
   taken away for the groups it no longer names. Roles granted by hand are left alone.

Every refusal is an `ApplicationError(SSO_REFUSED)` with a message a person can act on;
nothing is stored before the token is verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from roost.core import audit, services
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Membership, User
from roost.core.outbound import outbound
from roost.core.signin_methods.models import (
    ExternalIdentity,
    GroupRoleMapping,
    IdentityProvider,
    ProvisionedGrant,
)
from roost.core.signin_methods.providers import email_allowed, identity_provider_secret

logger = logging.getLogger(__name__)
HTTP_TIMEOUT = 10
PENDING_MAX_AGE = 10 * 60
# Clocks differ a little between Roost and the provider.
CLOCK_LEEWAY = 60
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")


def _refused(message: str) -> ApplicationError:
    return ApplicationError(ErrorCode.SSO_REFUSED, message)


@dataclass(frozen=True)
class PendingSignIn:
    """What the session keeps between leaving for the provider and coming back."""

    provider_id: int
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    started_at: float

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, value: object) -> PendingSignIn | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(**value)
        except TypeError:
            return None


def _get_json(url: str, **kwargs: Any) -> dict[str, Any]:
    guard = outbound()
    try:
        guard.url_check(url)
        response = guard.session().get(url, timeout=HTTP_TIMEOUT, **kwargs)
        response.raise_for_status()
        data = response.json()
    except (OSError, ValueError) as exc:
        raise _refused(f"The identity provider could not be reached: {exc}") from exc
    if not isinstance(data, dict):
        raise _refused("The identity provider answered with something unexpected.")
    return data


def oidc_discovery(*, provider: IdentityProvider) -> dict[str, Any]:
    """The provider's metadata; its issuer must be exactly the one configured."""
    issuer = provider.issuer.rstrip("/")
    meta = _get_json(f"{issuer}/.well-known/openid-configuration")
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise _refused("The identity provider's discovery document names another issuer.")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(field), str):
            raise _refused(f"The identity provider's discovery document has no {field}.")
    return meta


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def oidc_begin(*, provider: IdentityProvider, redirect_uri: str) -> tuple[str, PendingSignIn]:
    """The authorization URL to send the browser to, and what to keep in the session."""
    if not provider.enabled:
        raise _refused("Signing in through this identity provider is switched off.")
    meta = oidc_discovery(provider=provider)
    pending = PendingSignIn(
        provider_id=provider.pk,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        redirect_uri=redirect_uri,
        started_at=time.time(),
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile groups",
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": _pkce_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = meta["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending


def _token_response(
    *, provider: IdentityProvider, meta: dict[str, Any], code: str, pending: PendingSignIn
) -> dict[str, Any]:
    guard = outbound()
    url = meta["token_endpoint"]
    try:
        guard.url_check(url)
        response = guard.session().post(
            url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth=(provider.client_id, identity_provider_secret(provider=provider)),
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
        data = response.json()
    except (OSError, ValueError) as exc:
        raise _refused(f"The identity provider's token endpoint failed: {exc}") from exc
    if not isinstance(data, dict) or response.status_code != 200:
        error = data.get("error", response.status_code) if isinstance(data, dict) else ""
        raise _refused(f"The identity provider refused the sign-in code ({error}).")
    if not isinstance(data.get("id_token"), str):
        raise _refused("The identity provider sent no ID token.")
    return data


def id_token_claims(
    *, provider: IdentityProvider, meta: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, time and nonce hold."""
    try:
        keys = KeySet.import_key_set(_get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise _refused("The identity provider's signing keys could not be read.") from exc
    try:
        token = jwt.decode(id_token, keys, algorithms=list(SIGNING_ALGORITHMS))
    except JoseError as exc:
        raise _refused(
            "The identity provider's token signature is not valid; nothing was signed in."
        ) from exc
    except ValueError as exc:
        raise _refused("The identity provider's token could not be read.") from exc
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": provider.issuer.rstrip("/")},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise _refused("The identity provider's token has expired; sign in again.") from exc
    except JoseError as exc:
        raise _refused(f"The identity provider's token was refused: {exc.description}") from exc
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise _refused("The identity provider's token is meant for another application.")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise _refused("The identity provider's token is meant for another application.")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise _refused("The identity provider's token does not belong to this sign-in (nonce).")
    return claims


def _groups(provider: IdentityProvider, claims: dict[str, Any]) -> set[str]:
    value = claims.get(provider.groups_claim, [])
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {g for g in value if isinstance(g, str)}
    return set()


def _person(*, provider: IdentityProvider, claims: dict[str, Any]) -> tuple[User, bool]:
    """The person the claims name (found or created) and whether they were created.

    Call inside the transaction that also applies the mappings."""
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=str(claims["sub"]))
        .first()
    )
    if identity is not None:
        user = identity.user
    else:
        email = claims.get("email")
        if not isinstance(email, str) or not email.strip():
            raise _refused("The identity provider did not share an e-mail address.")
        if claims.get("email_verified") is False:
            raise _refused("The identity provider has not verified this e-mail address.")
        email = email.strip().lower()
        if not email_allowed(provider=provider, email=email):
            raise _refused(f"{email} is not in a domain this organisation allows.")
        existing = User.objects.filter(email=email).first()
        if existing is not None and existing.organization_id != provider.organization_id:
            raise _refused(f"{email} belongs to another organisation.")
        created = existing is None
        if existing is not None:
            user = existing
        else:
            name = claims.get("name") if isinstance(claims.get("name"), str) else ""
            user = services.user_create(
                organization=provider.organization,
                actor=SYSTEM,
                email=email,
                name=name or email.split("@")[0],
            )
        ExternalIdentity.objects.create(
            organization_id=provider.organization_id,
            provider=provider,
            subject=str(claims["sub"]),
            user=user,
        )
        if not user.is_active:
            raise _refused("This account is deactivated.")
        return user, created
    if not user.is_active:
        raise _refused("This account is deactivated.")
    return user, False


def roles_sync(*, provider: IdentityProvider, user: User, groups: set[str]) -> dict[str, list[str]]:
    """Grant the mapped roles of `groups` and take away mapped roles of groups the person
    left; returns what changed. Call inside a transaction."""
    wanted = {
        (m.role, m.channel_group_id): m
        for m in GroupRoleMapping.objects.filter(
            provider=provider, group__in=groups
        ).select_related("channel_group")
    }
    held = {
        (g.role, g.channel_group_id): g
        for g in ProvisionedGrant.objects.filter(provider=provider, user=user).select_related(
            "channel_group"
        )
    }
    changes: dict[str, list[str]] = {"granted": [], "revoked": [], "kept": []}
    for key, mapping in wanted.items():
        if key in held:
            continue
        role, group_id = key
        if Membership.objects.filter(user=user, role=role, channel_group_id=group_id).exists():
            continue  # granted by hand already; not the mapping's to take away later
        services.membership_grant(
            actor=SYSTEM, user=user, role=role, channel_group=mapping.channel_group
        )
        ProvisionedGrant.objects.create(
            organization_id=user.organization_id,
            provider=provider,
            user=user,
            role=role,
            channel_group=mapping.channel_group,
        )
        changes["granted"].append(_label(role, mapping.channel_group))
    for key, grant in held.items():
        if key in wanted:
            continue
        role, group_id = key
        membership = Membership.objects.filter(
            user=user, role=role, channel_group_id=group_id
        ).first()
        label = _label(role, grant.channel_group)
        if membership is not None:
            try:
                with transaction.atomic():
                    services.membership_revoke(actor=SYSTEM, membership=membership)
            except ApplicationError as exc:
                if exc.code != ErrorCode.LAST_ADMIN:
                    raise
                changes["kept"].append(f"{label} (last admin)")
                continue
        grant.delete()
        changes["revoked"].append(label)
    return changes


def _label(role: str, channel_group: object) -> str:
    return f"{role} on {channel_group}" if channel_group is not None else f"{role} (organisation)"


def oidc_complete(*, pending: PendingSignIn | None, state: str, code: str, error: str = "") -> User:
    """The person signed in through the provider, provisioned and with roles synced."""
    if pending is None:
        raise _refused("This sign-in was not started here or has expired; start again.")
    if not state or not hmac.compare_digest(state, pending.state):
        raise _refused("The sign-in answer does not match this browser's sign-in (state).")
    if time.time() - pending.started_at > PENDING_MAX_AGE:
        raise _refused("The sign-in took too long; start again.")
    if error:
        raise _refused(f"The identity provider refused the sign-in: {error}.")
    if not code:
        raise _refused("The identity provider sent no sign-in code.")
    provider = (
        IdentityProvider.objects.select_related("organization")
        .filter(pk=pending.provider_id, enabled=True)
        .first()
    )
    if provider is None:
        raise _refused("Signing in through this identity provider is switched off.")
    meta = oidc_discovery(provider=provider)
    tokens = _token_response(provider=provider, meta=meta, code=code, pending=pending)
    claims = id_token_claims(
        provider=provider, meta=meta, id_token=tokens["id_token"], nonce=pending.nonce
    )
    with transaction.atomic():
        user, created = _person(provider=provider, claims=claims)
        changes = roles_sync(provider=provider, user=user, groups=_groups(provider, claims))
        ExternalIdentity.objects.filter(provider=provider, user=user).update(
            last_signed_in_at=timezone.now()
        )
        audit.record(
            organization=provider.organization,
            actor=SYSTEM,
            actor_label=f"identity provider {provider.name}",
            action="core.sso.signed_in",
            target=user,
            after={"provider": provider.name, "created": created, **changes},
        )
    return user


def oidc_refusal_logged(*, message: str, provider_id: int | None) -> None:
    """Refusals go to the log, not the database: nothing is stored for a refused sign-in."""
    logger.warning("SSO sign-in refused (provider %s): %s", provider_id, message)
