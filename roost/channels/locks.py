"""The channel app's row locks, each in primary-key order; no other module of the
app calls `select_for_update`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from roost.channels.models import Channel, Credential, CredentialUse, NetworkApp
from roost.core.locks import locked, locked_batch, locked_one


def channel_locked(channel_id: int) -> Channel:
    """The channel's row, locked."""
    return locked_one(Channel.objects.all(), channel_id)


def channel_and_organization_locked(channel_id: int) -> Channel:
    """The channel's row and its organisation's, locked."""
    return locked_one(Channel.objects.select_related("organization"), channel_id)


def credential_of_channel_locked(channel: Channel) -> Credential | None:
    """The channel's credential, locked (None when it has none). The channel's row is
    locked first: it orders writers, so two first stores cannot both insert."""
    locked(Channel.objects.filter(pk=channel.pk))
    return next(iter(locked(Credential.objects.filter(channel=channel))), None)


def credential_locked(credential_id: int) -> Credential | None:
    """A credential with its organisation and channel, locked (None when it is gone)."""
    found = Credential.objects.select_related("organization", "channel").filter(pk=credential_id)
    return next(iter(locked(found)), None)


def credential_uses_locked(
    *, channel_ids: Iterable[int], secret: str, hour: dt.datetime
) -> list[CredentialUse]:
    """The hour's tallies of these channels' uses of a secret, locked."""
    return locked(
        CredentialUse.objects.filter(channel_id__in=list(channel_ids), secret=secret, hour=hour)
    )


def credential_uses_due_locked(*, before: dt.datetime, size: int) -> list[CredentialUse]:
    """Up to `size` tallies not yet summarised of hours before `before`, locked; tallies
    another worker holds are passed over."""
    due = CredentialUse.objects.filter(summarised_at__isnull=True, hour__lt=before)
    return locked_batch(due.select_related("channel"), size=size)


def network_app_locked(*, organization_id: int, network: str) -> NetworkApp | None:
    """The organisation's app for `network`, locked, or None when there is none."""
    return (
        NetworkApp.objects.select_for_update()
        .filter(organization_id=organization_id, network=network)
        .first()
    )


def network_app_locked_by_id(app_id: int) -> NetworkApp:
    return locked_one(NetworkApp.objects.select_related("organization"), app_id)
