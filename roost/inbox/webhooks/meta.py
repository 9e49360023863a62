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
the worker to read their inboxes now (`network_push`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from roost.channels.network_apps import META_WEBHOOK_NETWORKS
from roost.core.errors import ApplicationError, ErrorCode
from roost.inbox.webhooks.network_push import (
    MAX_BODY_BYTES,
    channels_read_now,
    external_id,
    pushing_app,
    signed_body,
)

__all__ = ["MAX_BODY_BYTES", "meta_changes_receive", "meta_subscription_check"]


def meta_subscription_check(*, webhook_id: str, params: Mapping[str, str]) -> str:
    """The challenge to echo when Meta checks the subscription with the right token."""
    app = pushing_app(webhook_id=webhook_id, networks=META_WEBHOOK_NETWORKS)
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), app.webhook_verify_token.encode()
    ):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "The verify token does not match.")
    return params.get("hub.challenge", "")[:200]


def _signatures(secret: str, body: bytes) -> list[str]:
    return ["sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()]


def meta_changes_receive(*, webhook_id: str, body: bytes, signature: str) -> list[int]:
    """Check a notification's signature and queue a read of each channel it names;
    returns their ids."""
    app = pushing_app(webhook_id=webhook_id, networks=META_WEBHOOK_NETWORKS)
    payload = signed_body(app, body=body, signature=signature, expected=_signatures)
    entries = payload.get("entry") if isinstance(payload, dict) else None
    ids = {
        found
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and (found := external_id(entry.get("id"))) is not None
    }
    return channels_read_now(app, ids)
