"""The sandbox network pushing its inbound messages to a webhook, as a pushing network does.

It builds and signs deliveries from the published format (docs/webhooks.md) on
its own, without Roost's inbox code, so a round trip through it checks both
sides against the document:

    Roost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from roost.sandbox.links import sandbox_inbound_link
from roost.sandbox.models import SandboxInbound
from roost.sandbox.profiles import author_profile

SIGNATURE_HEADER = "Roost-Signature"


@dataclass(frozen=True)
class SignedDelivery:
    body: bytes
    headers: dict[str, str] = field(repr=False)


def sandbox_message(item: SandboxInbound, *, site: str = "") -> dict[str, Any]:
    """One inbound item as a delivery carries it, with its author's profile, and its
    address when `site` (the receiving Roost's origin) says where its pages are."""
    author = author_profile(item.author_handle)
    message: dict[str, Any] = {
        "external_id": item.external_id,
        "kind": item.kind,
        "author": {
            "handle": item.author_handle,
            "name": author.name,
            "followers": author.followers,
            "verified": author.verified,
        },
        "text": item.text,
        "created_at": item.created_at.isoformat(),
    }
    if item.parent_external_id:
        message["parent_external_id"] = item.parent_external_id
    link = sandbox_inbound_link(item)
    if site and link:
        message["url"] = site.rstrip("/") + link
    return message


def sandbox_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The header value that signs `body` at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def sandbox_delivery(
    *, messages: Sequence[dict[str, Any]], secret: str, timestamp: int | None = None
) -> SignedDelivery:
    """A signed delivery of `messages` (signed now unless `timestamp` says otherwise)."""
    body = json.dumps({"messages": list(messages)}, ensure_ascii=False).encode()
    moment = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sandbox_signature(secret=secret, body=body, timestamp=moment),
    }
    return SignedDelivery(body=body, headers=headers)


def sandbox_webhook_push(
    *, url: str, secret: str, items: Sequence[SandboxInbound], timeout: float = 10.0
) -> httpx.Response:
    """POST the items to a webhook address, signed with its secret; the answer as received."""
    target = urlsplit(url)
    site = f"{target.scheme}://{target.netloc}"  # the pages are on the Roost that receives
    messages = [sandbox_message(item, site=site) for item in items]
    delivery = sandbox_delivery(messages=messages, secret=secret)
    return httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=timeout)
