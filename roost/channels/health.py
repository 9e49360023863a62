"""Channel health: call each connector's cheapest authenticated endpoint and record the result.

Connectors are called outside any database transaction (a network call must
not hold locks); the result is written afterwards. Only changes of state
(healthy to failing and back) are audited, so a steady channel does not fill
the audit log every quarter of an hour.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from roost.channels.connectors.base import (
    ChannelRef,
    Connector,
    ConnectorError,
    CredentialExpired,
    RateLimited,
)
from roost.channels.connectors.registry import connector_class
from roost.channels.models import Channel, ChannelStatus, Credential
from roost.channels.vault import VaultError, credential_reveal, credentials_reveal
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.batches import in_batches

logger = logging.getLogger(__name__)


def channel_ref(channel: Channel) -> ChannelRef:
    return ChannelRef(
        id=channel.pk,
        network=channel.network,
        placement=channel.placement,
        handle=channel.handle,
        organization_id=channel.organization_id,
        external_id=channel.external_id,
        settings=dict(channel.settings or {}),
    )


def connector_for(channel: Channel, *, purpose: str) -> Connector:
    """The channel's connector with its decrypted secret (the use is audited by the vault)."""
    has_credential = Credential.objects.filter(channel=channel).exists()
    secret = credential_reveal(channel=channel, purpose=purpose) if has_credential else None
    return connector_class(channel.connector)(channel=channel_ref(channel), secret=secret)


def connectors_for(channels: list[Channel], *, purpose: str) -> dict[int, Connector | VaultError]:
    """`connector_for` for many channels, revealing their secrets in one go."""
    secrets = credentials_reveal(channels=channels, purpose=purpose)
    opened: dict[int, Connector | VaultError] = {}
    for channel in channels:
        secret = secrets[channel.pk]
        if isinstance(secret, VaultError):
            opened[channel.pk] = secret
        else:
            opened[channel.pk] = connector_class(channel.connector)(
                channel=channel_ref(channel), secret=secret
            )
    return opened


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    error: str = ""


def _failing(channel: Channel) -> bool:
    return bool(channel.last_error_at) and (
        channel.last_success_at is None
        or (channel.last_error_at is not None and channel.last_error_at > channel.last_success_at)
    )


def channel_health_check(*, channel: Channel) -> HealthResult:
    """Verify the channel's credential through its connector and store the outcome.

    Precondition: not inside a transaction, since the connector talks to a network.
    """
    was_failing = _failing(channel)
    now = timezone.now()
    error = ""
    rate_limited_until = None
    try:
        connector_for(channel, purpose="health check").verify()
    except RateLimited as exc:
        error = f"Rate limited: {exc}"
        rate_limited_until = now + dt.timedelta(seconds=exc.retry_after)
    except CredentialExpired as exc:
        error = f"Credential expired: {exc}"
    except ConnectorError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except VaultError as exc:
        error = f"Vault: {exc}"
    with transaction.atomic():
        if error:
            channel.last_error, channel.last_error_at = error[:500], now
            channel.rate_limited_until = rate_limited_until
            fields = ["last_error", "last_error_at", "rate_limited_until"]
        else:
            channel.last_success_at, channel.rate_limited_until = now, None
            fields = ["last_success_at", "rate_limited_until"]
        channel.save(update_fields=fields)
        if bool(error) != was_failing:
            audit.record(
                organization=channel.channel_group.organization,
                actor=SYSTEM,
                action="channels.health.failing" if error else "channels.health.recovered",
                target=channel,
                after={"error": error} if error else {"ok": True},
            )
    return HealthResult(ok=not error, error=error)


def channels_health_check_all() -> int:
    """Check every active channel of every organisation; returns how many were checked."""
    checked = 0
    channels = Channel.objects.filter(status=ChannelStatus.ACTIVE).select_related(
        "channel_group__organization"
    )
    # In batches, with no query left open: each check writes as it goes.
    for channel in in_batches(channels, size=200):
        try:
            channel_health_check(channel=channel)
        except Exception:
            logger.exception("health check of channel %s failed", channel.pk)
        checked += 1
    return checked


def channel_rate_limited(*, channel: Channel, retry_after: float) -> dt.datetime:
    """Note that the channel's network asked to wait `retry_after` seconds, so that every
    caller (publishing, collecting figures) leaves it alone until then; a later wait
    already noted is kept. Returns the moment the channel may be called again."""
    until = timezone.now() + dt.timedelta(seconds=max(0.0, retry_after))
    Channel.objects.filter(pk=channel.pk).filter(
        Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lt=until)
    ).update(rate_limited_until=until)
    channel.rate_limited_until = max(until, channel.rate_limited_until or until)
    return channel.rate_limited_until
