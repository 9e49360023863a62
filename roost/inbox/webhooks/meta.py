"""Meta's webhooks (Facebook Pages, Instagram, Threads): the network says something
arrived, and Roost reads those channels' inboxes at once instead of at the next poll.

Meta calls the address the organisation gives its app (Settings → Channels → Network
apps shows it, with the verify token). First a GET checks the subscription
(`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`: the challenge is echoed
when the token matches). Then each batch of changes is a POST signed with the app
secret: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>` (Meta's Webhooks
reference, "Verification Requests" and "Event Notifications").

Roost checks the signature, finds the organisation's channels the changes are about
(each entry's `id` is a Page, an Instagram account or a Threads profile) and asks
the worker to read their inboxes now. The payload's content is not stored: reading
through the connector keeps one path, with its cursor, for every message, so a
repeated or forged-but-signed notification can add nothing that is not on the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from roost.channels.models import Channel, ChannelStatus, NetworkApp
from roost.channels.network_apps import META_WEBHOOK_NETWORKS, network_app_secret
from roost.core.enqueue import enqueue_after_commit
from roost.core.errors import ApplicationError, ErrorCode

MAX_BODY_BYTES = 1_000_000
FETCH_TASK = "roost.inbox.tasks.fetch_channel"


def _app(webhook_id: str) -> NetworkApp:
    app = NetworkApp.objects.filter(
        webhook_id=webhook_id, network__in=META_WEBHOOK_NETWORKS
    ).first()
    if app is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such webhook.")
    return app


def meta_subscription_check(*, webhook_id: str, params: Mapping[str, str]) -> str:
    """The challenge to echo when Meta checks the subscription with the right token."""
    app = _app(webhook_id)
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), app.webhook_verify_token.encode()
    ):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "The verify token does not match.")
    return params.get("hub.challenge", "")[:200]


def meta_changes_receive(*, webhook_id: str, body: bytes, signature: str) -> list[int]:
    """Check a notification's signature and queue a read of each channel it names;
    returns their ids."""
    app = _app(webhook_id)
    if len(body) > MAX_BODY_BYTES:
        raise ApplicationError(ErrorCode.INVALID, "The notification is too large.")
    secret = network_app_secret(app)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "The signature does not match.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApplicationError(ErrorCode.INVALID, "The notification is not JSON.") from error
    entries = payload.get("entry") if isinstance(payload, dict) else None
    ids = {
        str(entry["id"])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("id"), str | int)
    }
    if not ids:
        return []
    channel_ids = sorted(
        Channel.objects.filter(
            organization_id=app.organization_id,
            network=app.network,
            external_id__in=ids,
        )
        .exclude(status=ChannelStatus.ARCHIVED)
        .values_list("pk", flat=True)
    )
    for channel_id in channel_ids:
        enqueue_after_commit(FETCH_TASK, channel_id=channel_id)
    return channel_ids
