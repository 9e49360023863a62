"""LinkedIn's webhook (Organization Social Action Notifications): a comment, mention or
share on a connected page, and Roost reads that page's inbox at once.

LinkedIn calls the address entered in the app's Webhooks tab (Settings → Channels →
Network apps shows it). First it validates the address, and again every few hours: a
GET with `challengeCode`, answered with JSON holding the code and `challengeResponse`,
the hex HMAC-SHA256 of the code keyed with the app's client secret. Then each
notification is a POST whose `X-LI-Signature` header is the hex HMAC-SHA256 of the body
keyed the same way (LinkedIn's "Webhooks" guide, "Webhook Validation" and "Signature
Verification"). The guide describes the signed message as the body prefixed with
`hmacsha256=`; both that and the bare body are accepted, as each needs the secret.

Each notification names its page (`organizationalEntity`, `urn:li:organization:<id>`,
the LinkedIn channels' external id); Roost reads those pages' inboxes now.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from roost.inbox.webhooks.network_push import (
    app_secret,
    channels_read_now,
    external_id,
    pushing_app,
    signed_body,
)

NETWORKS = ("linkedin",)
SIGNED_PREFIX = b"hmacsha256="
CODE_LIMIT = 200


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def linkedin_challenge_answer(*, webhook_id: str, params: Mapping[str, str]) -> dict[str, str]:
    """The answer to LinkedIn's validation of the address."""
    app = pushing_app(webhook_id=webhook_id, networks=NETWORKS)
    code = params.get("challengeCode", "")[:CODE_LIMIT]
    return {"challengeCode": code, "challengeResponse": _hex(app_secret(app), code.encode())}


def _signatures(secret: str, body: bytes) -> list[str]:
    return [_hex(secret, SIGNED_PREFIX + body), _hex(secret, body)]


def _pages(payload: Any) -> set[str]:
    notifications = payload.get("notifications") if isinstance(payload, dict) else None
    if not isinstance(notifications, list):
        notifications = [payload] if isinstance(payload, dict) else []
    return {
        found
        for notification in notifications
        if isinstance(notification, dict)
        and (found := external_id(notification.get("organizationalEntity"))) is not None
    }


def linkedin_notification_receive(*, webhook_id: str, body: bytes, signature: str) -> list[int]:
    """Check a notification's signature and queue a read of each page it names; returns
    the channels' ids."""
    app = pushing_app(webhook_id=webhook_id, networks=NETWORKS)
    payload = signed_body(app, body=body, signature=signature, expected=_signatures)
    return channels_read_now(app, _pages(payload))
