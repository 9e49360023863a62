"""Ending a network's push subscription when its channel is archived.

Connecting a channel asks the network to push the account's events to the organisation's
webhook (`Connector.push_subscribe`). Archiving takes that back: once the archive is
committed, the worker asks the network to remove the subscription
(`Connector.push_unsubscribe`). The archive never waits on the network and never fails
because of it: a refusal is kept as the channel's last error and audited.

Several channels can share one subscription: the placements of a Facebook Page, and an
Instagram account linked to that Page, through the same app (`Connector.push_scope`).
The subscription is removed only with the last of them that is not archived.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from roost.channels.connectors.base import ConnectorError, PushTarget
from roost.channels.connectors.registry import connector_class
from roost.channels.health import channel_ref, connector_for
from roost.channels.locks import channel_locked
from roost.channels.models import Channel, ChannelStatus, NetworkApp
from roost.channels.network_apps import push_target
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.actors import SYSTEM

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500


def _scope(channel: Channel) -> str | None:
    try:
        return connector_class(channel.connector).push_scope(channel_ref(channel))
    except LookupError:
        return None


def channels_sharing_push(channel: Channel) -> list[int]:
    """The organisation's other channels, not archived, that the network pushes for
    through the same subscription as `channel` (same scope, same app client id)."""
    apps = dict(
        NetworkApp.objects.filter(organization_id=channel.organization_id).values_list(
            "network", "client_id"
        )
    )
    client_id = apps.get(channel.network)
    scope = _scope(channel)
    if not client_id or scope is None:
        return []
    networks = [network for network, other in apps.items() if other == client_id]
    others = (
        Channel.objects.filter(organization_id=channel.organization_id, network__in=networks)
        .exclude(pk=channel.pk)
        .exclude(status=ChannelStatus.ARCHIVED)
        .order_by("pk")
    )
    return [other.pk for other in others if _scope(other) == scope]


def _target(channel: Channel) -> PushTarget | None:
    return push_target(
        NetworkApp.objects.filter(
            organization_id=channel.organization_id, network=channel.network
        ).first()
    )


def channel_push_unsubscribe(*, channel_id: int) -> str:
    """Ask the network to stop pushing an archived channel's events; returns what
    happened: "unsubscribed", "failed", "shared" (another channel still uses the
    subscription), "nothing" (nothing to ask) or "stale" (the channel is gone or no
    longer archived). Safe to run twice: a subscription already gone counts as removed.

    Precondition: not inside a transaction (it calls the network).
    """
    channel = (
        Channel.objects.filter(pk=channel_id).select_related("channel_group__organization").first()
    )
    if channel is None or channel.status != ChannelStatus.ARCHIVED:
        return "stale"
    target = _target(channel)
    if target is None:
        return "nothing"
    organization = channel.channel_group.organization
    sharing = channels_sharing_push(channel)
    if sharing:
        with transaction.atomic():
            audit.record(
                organization=organization,
                actor=SYSTEM,
                action="channels.push.kept",
                target=channel,
                after={"network": channel.network, "shared_with": sharing},
            )
        return "shared"
    error = ""
    removed = False
    try:
        removed = connector_for(channel, purpose="push unsubscribe").push_unsubscribe(target)
    except ConnectorError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except VaultError as exc:
        error = f"Vault: {exc}"
    if not error and not removed:
        return "nothing"
    with transaction.atomic():
        locked = channel_locked(channel.pk)
        if error:
            message = f"The network's push subscription was not removed: {error}"
            locked.last_error, locked.last_error_at = message[:ERROR_LIMIT], timezone.now()
            locked.save(update_fields=["last_error", "last_error_at"])
        audit.record(
            organization=organization,
            actor=SYSTEM,
            action="channels.push.unsubscribe_failed" if error else "channels.push.unsubscribed",
            target=locked,
            after={"network": channel.network, "error": error[:ERROR_LIMIT]}
            if error
            else {"network": channel.network},
        )
    if error:
        logger.warning("push unsubscribe of channel %s failed: %s", channel.pk, error)
    return "failed" if error else "unsubscribed"
