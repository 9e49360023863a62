"""An organisation's identity provider: its settings, sealed client secret and group mappings.

The client secret is sealed by the vault like every other secret Roost keeps
(`roost.core.outbound`), bound to the provider's row, and never shown
again: the settings page only says whether one is set."""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from roost.core import audit
from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization, Role
from roost.core.outbound import outbound
from roost.core.permissions import Action, require
from roost.core.signin_methods.locks import identity_provider_locked, organization_policy_locked
from roost.core.signin_methods.models import GroupRoleMapping, IdentityProvider
from roost.core.tenancy import require_organization

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PROVIDER_FIELDS = ["name", "issuer", "client_id", "enabled", "allowed_email_domains"]


def _secret_name(provider_id: int) -> str:
    return f"identity_provider_{provider_id}"


def identity_provider_get(*, organization: Organization) -> IdentityProvider | None:
    return IdentityProvider.objects.filter(organization=organization).first()


def single_sign_on_offered() -> bool:
    """Whether the sign-in page offers single sign-on at all (it names no provider: the
    person's e-mail finds theirs, so one organisation's page does not show another's)."""
    return IdentityProvider.objects.filter(enabled=True).exists()


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider a person signs in through, found from their e-mail: the one
    whose domain list holds its domain; else, when only one provider is enabled (Roost
    serving one organisation), that one. Whether the address belongs to anyone plays no
    part, so the answer tells nobody who has an account."""
    email = email.strip().lower()
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1]
    enabled = IdentityProvider.objects.filter(enabled=True)
    for provider in enabled.exclude(allowed_email_domains=[]).order_by("pk"):
        if domain in provider.allowed_email_domains:
            return provider
    only = list(enabled[:2])
    return only[0] if len(only) == 1 else None


def identity_provider_secret(*, provider: IdentityProvider) -> str:
    """The client secret, for the token request about to be sent; never keep or log it."""
    if not provider.client_secret_sealed:
        return ""
    return outbound().unseal(
        organization_id=provider.organization_id,
        name=_secret_name(provider.pk),
        sealed=provider.client_secret_sealed,
    )


def clean_domains(domains: list[str] | str) -> list[str]:
    items = domains.replace(",", " ").split() if isinstance(domains, str) else domains
    cleaned = sorted({d.strip().lower().lstrip("@") for d in items if d.strip()})
    bad = [d for d in cleaned if not DOMAIN.fullmatch(d)]
    if bad:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Not an e-mail domain: {', '.join(bad)}.",
            field="allowed_email_domains",
        )
    return cleaned


def _clean_issuer(issuer: str) -> str:
    issuer = issuer.strip().rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ApplicationError(
            ErrorCode.INVALID,
            "The issuer is an https URL like https://id.example.com.",
            field="issuer",
        )
    try:
        outbound().url_check(issuer)
    except OSError as exc:
        raise ApplicationError(
            ErrorCode.INVALID, "Roost may not call this issuer (https only).", field="issuer"
        ) from exc
    return issuer


def identity_provider_save(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    enabled: bool = True,
    allowed_email_domains: list[str] | str = "",
) -> IdentityProvider:
    """Create or change the organisation's provider. An empty `client_secret` keeps the
    stored one; a new one replaces it. Audited without the secret."""
    require_organization(actor, organization)
    require(actor, Action.SIGNIN_POLICY_MANAGE)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ApplicationError(
            ErrorCode.INVALID, "Give the provider a name (up to 80 characters).", field="name"
        )
    client_id = client_id.strip()
    if not client_id or len(client_id) > 200:
        raise ApplicationError(
            ErrorCode.INVALID, "Enter the client id the provider gave you.", field="client_id"
        )
    values = {
        "name": name,
        "issuer": _clean_issuer(issuer),
        "client_id": client_id,
        "enabled": enabled,
        "allowed_email_domains": clean_domains(allowed_email_domains),
    }
    with transaction.atomic():
        organization_policy_locked(organization.pk)
        provider = identity_provider_locked(organization.pk)
        created = provider is None
        if provider is None:
            if not client_secret:
                raise ApplicationError(
                    ErrorCode.INVALID, "Enter the client secret.", field="client_secret"
                )
            provider = IdentityProvider(organization=organization, **values)
            try:
                with transaction.atomic():
                    provider.save()
            except IntegrityError as exc:
                raise ApplicationError(
                    ErrorCode.CONFLICT, "A provider was added meanwhile."
                ) from exc
            before: dict[str, object] | None = None
        else:
            before = audit.snapshot(provider, PROVIDER_FIELDS)
            for field, value in values.items():
                setattr(provider, field, value)
            provider.save(update_fields=list(values))
        if client_secret:
            provider.client_secret_sealed = outbound().seal(
                organization_id=organization.pk,
                name=_secret_name(provider.pk),
                secret=client_secret,
            )
            provider.save(update_fields=["client_secret_sealed"])
        after = {**audit.snapshot(provider, PROVIDER_FIELDS), "secret_changed": bool(client_secret)}
        audit.record(
            organization=organization,
            actor=actor,
            action="core.identity_provider.added" if created else "core.identity_provider.changed",
            target=provider,
            target_label=provider.name,
            before=before,
            after=after,
        )
    return provider


def group_mapping_add(
    *,
    provider: IdentityProvider,
    actor: Actor,
    group: str,
    role: Role | str,
    channel_group: ChannelGroup | None = None,
) -> GroupRoleMapping:
    require_organization(actor, provider.organization)
    require(actor, Action.SIGNIN_POLICY_MANAGE)
    group = group.strip()
    if not group or len(group) > 200:
        raise ApplicationError(ErrorCode.INVALID, "Enter the provider's group name.", field="group")
    try:
        role = Role(role)
    except ValueError as exc:
        raise ApplicationError(ErrorCode.INVALID, f"Unknown role {role!r}.", field="role") from exc
    if channel_group is not None and channel_group.organization_id != provider.organization_id:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_group"
        )
    try:
        with transaction.atomic():
            mapping = GroupRoleMapping.objects.create(
                organization_id=provider.organization_id,
                provider=provider,
                group=group,
                role=role,
                channel_group=channel_group,
            )
            audit.record(
                organization=provider.organization,
                actor=actor,
                action="core.identity_provider.mapping_added",
                target=mapping,
                after=_mapping_snapshot(mapping),
            )
    except IntegrityError as exc:
        raise ApplicationError(ErrorCode.CONFLICT, "This mapping exists already.") from exc
    return mapping


def _mapping_snapshot(mapping: GroupRoleMapping) -> dict[str, object]:
    return {
        "group": mapping.group,
        "role": mapping.role,
        "channel_group": str(mapping.channel_group) if mapping.channel_group else "organisation",
    }


def group_mapping_remove(*, actor: Actor, mapping: GroupRoleMapping) -> None:
    """Stop mapping the group. Roles it granted go at each person's next sign-in."""
    require_organization(actor, mapping.provider.organization)
    require(actor, Action.SIGNIN_POLICY_MANAGE)
    with transaction.atomic():
        audit.record(
            organization=mapping.provider.organization,
            actor=actor,
            action="core.identity_provider.mapping_removed",
            target=mapping,
            before=_mapping_snapshot(mapping),
        )
        mapping.delete()


def email_allowed(*, provider: IdentityProvider, email: str) -> bool:
    """Whether a person with this e-mail may be provisioned through the provider.

    The provider's own domain list applies when it has one; the organisation's
    invitation policy applies as well when that module is installed."""
    domain = email.rsplit("@", 1)[-1].lower()
    if provider.allowed_email_domains and domain not in provider.allowed_email_domains:
        return False
    try:
        policy = importlib.import_module("roost.core.invitations.policy")
    except ImportError:
        return True
    check = getattr(policy, "email_domain_allowed", None)
    if check is None:
        return True
    return bool(check(organization=provider.organization, email=email))
