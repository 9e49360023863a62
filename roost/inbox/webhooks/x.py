"""X's webhook (the X Activity API, and the older Account Activity API): a reply,
mention, quote or direct message for a connected account, and Roost reads that
account's inbox at once.

X calls the webhook registered for the app (its id and the app's API key secret are
entered under Settings → Channels → Network apps, which shows the address). First, and
then regularly, a challenge-response check: a GET with `crc_token`, answered with JSON
`{"response_token": "sha256=<base64 HMAC-SHA256 of the token>"}` keyed with the API key
secret (consumer secret). Each delivery is a POST whose `x-twitter-webhooks-signature`
is `sha256=` and the base64 HMAC-SHA256 of the raw body, keyed the same way (X's
"Webhooks" quickstart: "The CRC check", "Signature verification").

A delivery names its account as the event's filter (`data.filter.user_id`, X Activity
API) or as `for_user_id` (Account Activity API): the X channels' external id.
"""

from __future__ import annotations

import base64
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

NETWORKS = ("x",)
TOKEN_LIMIT = 200


def _token(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_crc_answer(*, webhook_id: str, params: Mapping[str, str]) -> dict[str, str]:
    """The answer to X's challenge-response check."""
    app = pushing_app(webhook_id=webhook_id, networks=NETWORKS)
    crc_token = params.get("crc_token", "")[:TOKEN_LIMIT]
    return {"response_token": _token(app_secret(app), crc_token.encode())}


def _signatures(secret: str, body: bytes) -> list[str]:
    return [_token(secret, body)]


def _accounts(payload: Any) -> set[str]:
    if not isinstance(payload, dict):
        return set()
    events = payload.get("data")
    events = events if isinstance(events, list) else [events]
    found = {
        user_id
        for event in events
        if isinstance(event, dict)
        and isinstance(event.get("filter"), dict)
        and (user_id := external_id(event["filter"].get("user_id"))) is not None
    }
    if (user_id := external_id(payload.get("for_user_id"))) is not None:
        found.add(user_id)
    return found


def x_activity_receive(*, webhook_id: str, body: bytes, signature: str) -> list[int]:
    """Check a delivery's signature and queue a read of each account it names; returns
    the channels' ids."""
    app = pushing_app(webhook_id=webhook_id, networks=NETWORKS)
    payload = signed_body(app, body=body, signature=signature, expected=_signatures)
    return channels_read_now(app, _accounts(payload))
