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
from roost.channels.connectors.base import AppCredentials, Connector, PushTarget
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
PUSH_SECRET_NAME = "network_app_push"
# Networks that push what arrives through Meta's webhooks, to the app's address.
META_WEBHOOK_NETWORKS = frozenset({"facebook", "instagram", "threads"})
# Each pushing network's receiving view (`roost.inbox.webhooks`).
WEBHOOK_VIEWS = {
    **{network: "inbox_webhooks:meta_receive" for network in META_WEBHOOK_NETWORKS},
    "linkedin": "inbox_webhooks:linkedin_receive",
    "x": "inbox_webhooks:x_receive",
}
# What each network calls the id Roost needs to subscribe an account to the webhook.
PUSH_ID_LABELS = {"linkedin": "developer application id", "x": "webhook id"}
# Networks that sign their notifications with another secret than the client secret.
PUSH_SECRET_LABELS = {"x": "API key secret (consumer secret)"}
FIELD_LIMIT = 300
PUSH_ID_LIMIT = 19  # both are 64-bit numbers


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


def webhook_address(app: NetworkApp) -> str:
    """Where the network sends the app's notifications; "" for a network that does not
    push."""
    view = WEBHOOK_VIEWS.get(app.network)
    if view is None:
        return ""
    path = reverse(view, kwargs={"webhook_id": app.webhook_id})
    return f"{settings.ROOST_BASE_URL.rstrip('/')}{path}"


def push_target(app: NetworkApp | None) -> PushTarget | None:
    """What a connector needs to subscribe an account to the app's webhook; None when the
    organisation has no app for the network or the network does not push."""
    if app is None or app.network not in WEBHOOK_VIEWS:
        return None
    return PushTarget(address=webhook_address(app), network_id=app.push_id)


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


def _push_id_checked(network: str, value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    label = PUSH_ID_LABELS.get(network)
    if label is None:
        raise ApplicationError(
            ErrorCode.INVALID, f"{network_name(network)} takes no push id.", field="push_id"
        )
    if not (value.isascii() and value.isdigit() and len(value) <= PUSH_ID_LIMIT):
        raise ApplicationError(
            ErrorCode.INVALID,
            f"The {network_name(network)} {label} is a number of up to {PUSH_ID_LIMIT} digits.",
            field="push_id",
        )
    return value


def network_app_set(
    *,
    actor: User,
    organization: Organization,
    network: str,
    client_id: str,
    client_secret: str,
    push_id: str = "",
    push_secret: str = "",
) -> NetworkApp:
    """Record the organisation's app for `network`. An empty `client_secret` keeps the one
    already kept (the form never shows it), and is refused when there is none; so does
    an empty `push_secret`. `push_id` and `push_secret` are for the networks that take
    them (`PUSH_ID_LABELS`, `PUSH_SECRET_LABELS`)."""
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
    push_id = _push_id_checked(network, push_id)
    push_secret = _checked(push_secret, field="push_secret", label="push secret")
    if push_secret and network not in PUSH_SECRET_LABELS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"{network_name(network)} signs with the client secret; leave this empty.",
            field="push_secret",
        )
    with transaction.atomic():
        app = network_app_locked(organization_id=organization.pk, network=network) or NetworkApp(
            organization=organization, network=network
        )
        if not client_secret and not app.client_secret_sealed:
            raise ApplicationError(
                ErrorCode.INVALID, "Enter the client secret.", field="client_secret"
            )
        before = {"client_id": app.client_id, "push_id": app.push_id} if app.pk else None
        app.client_id, app.push_id = client_id, push_id
        if client_secret:
            app.client_secret_sealed = vault.organization_secret_seal(
                organization_id=organization.pk, name=SECRET_NAME, secret=client_secret
            )
        if push_secret:
            app.push_secret_sealed = vault.organization_secret_seal(
                organization_id=organization.pk, name=PUSH_SECRET_NAME, secret=push_secret
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
                "push_id": push_id,
                "secret_changed": bool(client_secret),
                "push_secret_changed": bool(push_secret),
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
    """The secret the network signs the app's notifications with, opened for a signature
    check: the push secret where the network uses one (X), else the client secret; ""
    when none is kept."""
    if app.network in PUSH_SECRET_LABELS:
        name, sealed = PUSH_SECRET_NAME, app.push_secret_sealed
    else:
        name, sealed = SECRET_NAME, app.client_secret_sealed
    if not sealed:
        return ""
    return vault.organization_secret_open(
        organization_id=app.organization_id, name=name, sealed=sealed
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
    """Re-wrap every app secret (client and push) with the current master key (part of
    `roost vault rotate-key`); returns how many moved."""
    moved = 0
    for field, name in (
        ("client_secret_sealed", SECRET_NAME),
        ("push_secret_sealed", PUSH_SECRET_NAME),
    ):
        pending = NetworkApp.objects.exclude(**{field: ""}).order_by("pk")
        for pk in list(pending.values_list("pk", flat=True)):
            with transaction.atomic():
                app = network_app_locked_by_id(pk)
                sealed = getattr(app, field)
                rewrapped = vault.organization_secret_rewrap(
                    organization_id=app.organization_id, name=name, sealed=sealed
                )
                if rewrapped is None:
                    continue
                setattr(app, field, rewrapped)
                app.save(update_fields=[field])
                audit.record(
                    organization=app.organization,
                    actor=SYSTEM,
                    action="channels.network_app.rekeyed",
                    target=app,
                    before={"key_id": sealed.split(":")[1], "secret": name},
                    after={"key_id": rewrapped.split(":")[1], "secret": name},
                )
                moved += 1
    return moved
