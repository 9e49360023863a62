"""Settings → Channels → Network apps: each organisation's own developer app per network.

Facebook, Instagram, LinkedIn, X and the others let an application publish for an
account only after the account's owner signs in through it, and each organisation
registers its own application with the network (its review, its rate limits, its
data). Here an admin enters the application's client id and secret; the secret is
sealed by the vault (`client_secret_sealed`), never shown again and never logged.
The connect flow (`roost.channels.network_connect`) opens it for the token calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.channels import vault
from roost.channels.connectors.base import AppCredentials, Connector
from roost.channels.connectors.registry import available
from roost.channels.locks import network_app_locked, network_app_locked_by_id
from roost.channels.models import NetworkApp
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.core.text_input import text_problem

SECRET_NAME = "network_app"
# Networks that push what arrives through Meta's webhooks, to the app's address.
META_WEBHOOK_NETWORKS = frozenset({"facebook", "instagram", "threads"})
FIELD_LIMIT = 300


@dataclass(frozen=True)
class OAuthNetwork:
    """A network whose accounts connect through OAuth, and the organisation's app for it."""

    key: str
    name: str
    connector: type[Connector]
    app: NetworkApp | None


def oauth_connectors() -> dict[str, type[Connector]]:
    """The installed connectors that connect accounts through an OAuth flow."""
    return {name: cls for name, cls in sorted(available().items()) if cls.oauth is not None}


def network_name(key: str) -> str:
    from roost.catalogue.specs import catalogue

    try:
        return catalogue().network(key).name
    except KeyError:
        return key.title()


def oauth_networks(*, organization: Organization) -> list[OAuthNetwork]:
    apps = {app.network: app for app in NetworkApp.objects.filter(organization=organization)}
    return [
        OAuthNetwork(key, network_name(key), connector, apps.get(key))
        for key, connector in oauth_connectors().items()
    ]


def meta_webhook_address(app: NetworkApp) -> str:
    """Where Meta sends the app's notifications; "" for a network that does not push."""
    if app.network not in META_WEBHOOK_NETWORKS:
        return ""
    path = reverse("inbox_webhooks:meta_receive", kwargs={"webhook_id": app.webhook_id})
    return f"{settings.ROOST_BASE_URL.rstrip('/')}{path}"


def redirect_uri(network: str) -> str:
    """The address the network sends people back to; given to the network when the app
    is registered, and sent in every authorize request."""
    path = reverse("channels:network_callback", kwargs={"network": network})
    return f"{settings.ROOST_BASE_URL.rstrip('/')}{path}"


def _checked(value: str, *, field: str, label: str) -> str:
    value = value.strip()
    if text_problem(value) is not None or any(ch.isspace() for ch in value):
        raise ApplicationError(
            ErrorCode.INVALID, f"The {label} has characters it cannot have.", field=field
        )
    if len(value) > FIELD_LIMIT:
        raise ApplicationError(
            ErrorCode.INVALID, f"The {label} is at most {FIELD_LIMIT} characters.", field=field
        )
    return value


def network_app_set(
    *, actor: User, organization: Organization, network: str, client_id: str, client_secret: str
) -> NetworkApp:
    """Record the organisation's app for `network`. An empty `client_secret` keeps the one
    already kept (the form never shows it), and is refused when there is none."""
    require(actor, Action.ORG_UPDATE)
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    if network not in oauth_connectors():
        raise ApplicationError(
            ErrorCode.INVALID, f"No network {network!r} connects through OAuth.", field="network"
        )
    client_id = _checked(client_id, field="client_id", label="client id")
    client_secret = _checked(client_secret, field="client_secret", label="client secret")
    if not client_id:
        raise ApplicationError(ErrorCode.INVALID, "Enter the client id.", field="client_id")
    with transaction.atomic():
        app = network_app_locked(organization_id=organization.pk, network=network) or NetworkApp(
            organization=organization, network=network
        )
        if not client_secret and not app.client_secret_sealed:
            raise ApplicationError(
                ErrorCode.INVALID, "Enter the client secret.", field="client_secret"
            )
        before = {"client_id": app.client_id} if app.pk else None
        app.client_id = client_id
        if client_secret:
            app.client_secret_sealed = vault.organization_secret_seal(
                organization_id=organization.pk, name=SECRET_NAME, secret=client_secret
            )
        app.updated_at, app.updated_by = timezone.now(), actor
        app.save()
        audit.record(
            organization=organization,
            actor=actor,
            action="channels.network_app.set",
            target=app,
            target_label=f"{network_name(network)} app",
            before=before,
            after={
                "network": network,
                "client_id": client_id,
                "secret_changed": bool(client_secret),
            },
        )
    return app


def network_app_remove(*, actor: User, organization: Organization, network: str) -> bool:
    """Forget the organisation's app for `network`; channels already connected keep their
    tokens (each holds what it needs to renew them). False when there was none."""
    require(actor, Action.ORG_UPDATE)
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    with transaction.atomic():
        app = NetworkApp.objects.filter(organization=organization, network=network).first()
        if app is None:
            return False
        audit.record(
            organization=organization,
            actor=actor,
            action="channels.network_app.removed",
            target=app,
            target_label=f"{network_name(network)} app",
            before={"network": network, "client_id": app.client_id},
        )
        app.delete()
    return True


def network_app_secret(app: NetworkApp) -> str:
    """The app's client secret, opened for a signature check ("" when none is kept)."""
    if not app.client_secret_sealed:
        return ""
    return vault.organization_secret_open(
        organization_id=app.organization_id, name=SECRET_NAME, sealed=app.client_secret_sealed
    )


def network_app_credentials(*, organization: Organization, network: str) -> AppCredentials:
    """The app's client id and opened secret, for the token calls about to be made."""
    app = NetworkApp.objects.filter(organization=organization, network=network).first()
    if app is None or not app.client_secret_sealed:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Enter your organisation's {network_name(network)} app first "
            "(Settings → Channels → Network apps).",
        )
    secret = vault.organization_secret_open(
        organization_id=organization.pk, name=SECRET_NAME, sealed=app.client_secret_sealed
    )
    return AppCredentials(
        client_id=app.client_id, client_secret=secret, redirect_uri=redirect_uri(network)
    )


def network_app_secrets_rewrap() -> int:
    """Re-wrap every app secret with the current master key (part of `roost vault
    rotate-key`); returns how many moved."""
    moved = 0
    pending = NetworkApp.objects.exclude(client_secret_sealed="").order_by("pk")
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            app = network_app_locked_by_id(pk)
            rewrapped = vault.organization_secret_rewrap(
                organization_id=app.organization_id,
                name=SECRET_NAME,
                sealed=app.client_secret_sealed,
            )
            if rewrapped is None:
                continue
            before, app.client_secret_sealed = app.client_secret_sealed.split(":")[1], rewrapped
            app.save(update_fields=["client_secret_sealed"])
            audit.record(
                organization=app.organization,
                actor=SYSTEM,
                action="channels.network_app.rekeyed",
                target=app,
                before={"key_id": before},
                after={"key_id": rewrapped.split(":")[1]},
            )
            moved += 1
    return moved
