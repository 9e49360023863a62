"""What the networks' own webhooks share (Meta, LinkedIn, X): finding the organisation's
app from the address, checking a signature made with the app's secret, and asking the
worker to read the channels a notification names.

A notification's content is never stored: reading through the connector keeps one path,
with its cursor, for every message, so a repeated or forged-but-signed notification can
add nothing that is not on the network.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from roost.channels.models import Channel, ChannelStatus, NetworkApp
from roost.channels.network_apps import network_app_secret
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode

MAX_BODY_BYTES = 1_000_000
FETCH_TASK = "roost.inbox.tasks.fetch_channel"
ID_LIMIT = 200


def pushing_app(*, webhook_id: str, networks: Collection[str]) -> NetworkApp:
    """The app whose address this is, for one of `networks`; not found otherwise."""
    app = NetworkApp.objects.filter(webhook_id=webhook_id, network__in=list(networks)).first()
    if app is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such webhook.")
    return app


def app_secret(app: NetworkApp) -> str:
    """The secret the network signs with; refused when the app has none kept."""
    secret = network_app_secret(app)
    if not secret:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "The app has no secret to check with.")
    return secret


def signed_body(
    app: NetworkApp, *, body: bytes, signature: str, expected: Callable[[str, bytes], Iterable[str]]
) -> Any:
    """The notification's JSON once its signature is one of `expected(secret, body)`."""
    if len(body) > MAX_BODY_BYTES:
        raise ApplicationError(ErrorCode.INVALID, "The notification is too large.")
    secret = app_secret(app)
    given = signature.strip().encode()
    if not given or not any(
        hmac.compare_digest(given, candidate.encode()) for candidate in expected(secret, body)
    ):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "The signature does not match.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApplicationError(ErrorCode.INVALID, "The notification is not JSON.") from error


def external_id(value: Any) -> str | None:
    """A network's account id from a notification: a string or a number, bounded."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if 0 < len(text) <= ID_LIMIT else None


def channels_read_now(app: NetworkApp, external_ids: Iterable[str]) -> list[int]:
    """Queue a read of each of the app's organisation's channels on its network whose
    account is among `external_ids`; returns their ids."""
    ids = set(external_ids)
    if not ids:
        return []
    channel_ids = sorted(
        Channel.objects.filter(
            organization_id=app.organization_id, network=app.network, external_id__in=ids
        )
        .exclude(status=ChannelStatus.ARCHIVED)
        .values_list("pk", flat=True)
    )
    for channel_id in channel_ids:
        enqueue_after_commit(FETCH_TASK, channel_id=channel_id)
    return channel_ids
