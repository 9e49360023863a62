"""Inbound webhook deliveries: check the signature, keep a receipt, store the messages.

A network that pushes signs each delivery with the channel's webhook secret
(`roost.channels.inbound_webhook`), in one header:

    Roost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

Every delivery to a known address leaves a `WebhookReceipt` (with the body, cut
to 64 KiB), refused or not, so nothing sent is lost without a trace. An accepted
delivery's messages are stored by the same code as polled ones
(`roost.inbox.ingest.messages_store`): classified, deduplicated by (channel,
external id), threaded and routed. When storing fails after the delivery was
accepted, the receipt is marked failed and the network is still told it arrived
(a network retrying forever helps nobody); `webhook_receipt_reprocess` stores it
later. docs/webhooks.md is the guide for the people on the network's side.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from roost.channels.inbound_webhook import channel_by_webhook_id, channel_webhook_secret
from roost.channels.models import Channel
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.actors import Actor, person
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization
from roost.inbox import ingest
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import WebhookReceipt
from roost.inbox.webhooks.payload import (
    MAX_TEXT_CHARS,
    ParsedDelivery,
    PayloadError,
    parse_delivery,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Roost-Signature"
TOLERANCE = dt.timedelta(minutes=5)
MAX_BODY_BYTES = 1024 * 1024
RECEIPT_BODY_BYTES = 64 * 1024
REASON_LENGTH = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")

Outcome = WebhookReceipt.Outcome


class WebhookProblem(enum.StrEnum):
    """Why a delivery was not stored; the code in the problem+json answer."""

    UNKNOWN_WEBHOOK = "unknown_webhook"
    BODY_TOO_LARGE = "body_too_large"
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_MALFORMED = "signature_malformed"
    SIGNATURE_STALE = "signature_stale"
    SIGNATURE_INVALID = "signature_invalid"
    SECRET_UNAVAILABLE = "secret_unavailable"
    MALFORMED_JSON = "malformed_json"
    SCHEMA_VIOLATION = "schema_violation"
    PROCESSING_FAILED = "processing_failed"


SIGNATURE_PROBLEMS = {
    WebhookProblem.SIGNATURE_MISSING: f"The {SIGNATURE_HEADER} header is missing.",
    WebhookProblem.SIGNATURE_MALFORMED: (
        f"The {SIGNATURE_HEADER} header is not 't=<unix seconds>,v1=<64 hex digits>'."
    ),
    WebhookProblem.SIGNATURE_STALE: (
        "The signature's timestamp is more than 5 minutes away from Roost's clock."
    ),
    WebhookProblem.SIGNATURE_INVALID: "The signature does not match the body.",
}


@dataclass(frozen=True)
class DeliveryResult:
    """What to answer the network: `code` is "stored", "accepted" or a `WebhookProblem`."""

    status: int
    code: str
    detail: str
    receipt_id: int | None = None
    stored: int = 0
    errors: list[str] = field(default_factory=list)


def signature_for(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under the secret."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_check(
    *, header: str | None, body: bytes, secret: str, now: dt.datetime
) -> WebhookProblem | None:
    """None when the header signs `body` with `secret` within TOLERANCE of `now`.

    Several `v1=` entries may be given (each is tried); unknown entries are ignored.
    """
    if not header or not header.strip():
        return WebhookProblem.SIGNATURE_MISSING
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, equals, value = (piece.strip() for piece in part.partition("="))
        if not equals:
            return WebhookProblem.SIGNATURE_MALFORMED
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value.lower())
    if (
        len(timestamps) != 1
        or not _TIMESTAMP.fullmatch(timestamps[0])
        or not signatures
        or not all(_HEX_DIGEST.fullmatch(s) for s in signatures)
    ):
        return WebhookProblem.SIGNATURE_MALFORMED
    timestamp = int(timestamps[0])
    expected = signature_for(secret=secret, timestamp=timestamp, body=body)
    # Every candidate is compared, in constant time, whichever matches.
    matches = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    if not any(matches):
        return WebhookProblem.SIGNATURE_INVALID
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return WebhookProblem.SIGNATURE_STALE
    return None


def _kept(body: bytes) -> str:
    """The body as the receipt keeps it: at most 64 KiB, as text."""
    return body[:RECEIPT_BODY_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _receipt(
    *, channel: Channel, outcome: str, reason: str, remote_addr: str, body: bytes
) -> WebhookReceipt:
    if len(body) > RECEIPT_BODY_BYTES:
        reason = f"{reason} (body of {len(body):,} bytes kept cut to 64 KiB)"
    return WebhookReceipt.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        outcome=outcome,
        reason=reason[:REASON_LENGTH],
        remote_addr=remote_addr[:64],
        body=_kept(body),
    )


def _rejected(
    *,
    channel: Channel,
    status: int,
    problem: WebhookProblem,
    detail: str,
    remote_addr: str,
    body: bytes,
    errors: list[str] | None = None,
) -> DeliveryResult:
    receipt = _receipt(
        channel=channel,
        outcome=Outcome.REJECTED,
        reason=detail,
        remote_addr=remote_addr,
        body=body,
    )
    logger.warning(
        "Webhook delivery to channel %s refused (%s), receipt %s, from %s, %d bytes",
        channel.pk,
        problem.value,
        receipt.pk,
        remote_addr or "unknown address",
        len(body),
    )
    return DeliveryResult(
        status=status,
        code=problem.value,
        detail=detail,
        receipt_id=receipt.pk,
        errors=errors or [],
    )


def _accepted_reason(parsed: ParsedDelivery, stored: int) -> str:
    received = len(parsed.items)
    reason = f"{received} message{'' if received == 1 else 's'}: {stored} new"
    if received > stored:
        reason += f", {received - stored} already stored"
    if parsed.truncated:
        reason += (
            f"; text cut to {MAX_TEXT_CHARS:,} characters in "
            f"{len(parsed.truncated)}: {', '.join(parsed.truncated)}"
        )
    return reason[:REASON_LENGTH]


def _store(*, receipt: WebhookReceipt, channel: Channel, parsed: ParsedDelivery) -> int:
    """Store the messages and mark the receipt accepted, in one transaction."""
    with transaction.atomic():
        stored = ingest.messages_store(channel=channel, items=parsed.items)
        receipt.outcome = Outcome.ACCEPTED
        receipt.messages_stored = stored
        receipt.reason = _accepted_reason(parsed, stored)
        receipt.save(update_fields=["outcome", "messages_stored", "reason"])
    return stored


def _failed(receipt: WebhookReceipt, error: Exception) -> None:
    logger.exception(
        "Storing webhook delivery %s for channel %s failed", receipt.pk, receipt.channel_id
    )
    receipt.outcome = Outcome.FAILED
    receipt.reason = (
        f"Accepted, but storing its messages failed ({type(error).__name__}); "
        "process it again from the channel's webhook page."
    )[:REASON_LENGTH]
    receipt.save(update_fields=["outcome", "reason"])


def webhook_receive(
    *,
    webhook_id: str,
    body: bytes,
    body_size: int,
    signature: str | None,
    remote_addr: str = "",
    now: dt.datetime | None = None,
) -> DeliveryResult:
    """Check and store one delivery; the answer says what to tell the network.

    `body` is the raw body, or its first bytes when `body_size` (the full length)
    is over MAX_BODY_BYTES. Never raises for anything the sender controls.
    Precondition: not inside a transaction (the receipt must outlive a failure).
    """
    channel = channel_by_webhook_id(webhook_id)
    if channel is None:
        logger.warning(
            "Webhook delivery to an unknown address from %s", remote_addr or "unknown address"
        )
        return DeliveryResult(
            status=404, code=WebhookProblem.UNKNOWN_WEBHOOK.value, detail="No such webhook."
        )

    def reject(
        status: int, problem: WebhookProblem, detail: str, errors: list[str] | None = None
    ) -> DeliveryResult:
        return _rejected(
            channel=channel,
            status=status,
            problem=problem,
            detail=detail,
            remote_addr=remote_addr,
            body=body,
            errors=errors,
        )

    if body_size > MAX_BODY_BYTES:
        detail = f"The body is {body_size:,} bytes; at most {MAX_BODY_BYTES:,} are accepted."
        return reject(413, WebhookProblem.BODY_TOO_LARGE, detail)
    try:
        secret = channel_webhook_secret(channel=channel)
    except VaultError as error:
        logger.error("Webhook secret of channel %s cannot be read: %s", channel.pk, error.code)
        detail = "Roost cannot check signatures for this webhook now; send it again later."
        return reject(503, WebhookProblem.SECRET_UNAVAILABLE, detail)
    problem = signature_check(header=signature, body=body, secret=secret, now=now or timezone.now())
    if problem is not None:
        return reject(401, problem, SIGNATURE_PROBLEMS[problem])
    try:
        parsed = parse_delivery(body)
    except PayloadError as error:
        return reject(400, WebhookProblem(error.problem.value), error.message, error.errors)
    # Kept as failed until its messages are stored: if this process dies in between,
    # the receipt is there to be processed again.
    receipt = _receipt(
        channel=channel,
        outcome=Outcome.FAILED,
        reason="Received; its messages are not stored yet.",
        remote_addr=remote_addr,
        body=body,
    )
    try:
        stored = _store(receipt=receipt, channel=channel, parsed=parsed)
    except Exception as error:  # any failure here is ours, not the sender's
        _failed(receipt, error)
        return DeliveryResult(
            status=202,
            code="accepted",
            detail="Received and kept; its messages will be stored later.",
            receipt_id=receipt.pk,
        )
    return DeliveryResult(
        status=200,
        code="stored",
        detail=receipt.reason,
        receipt_id=receipt.pk,
        stored=stored,
    )


def webhook_receipt_reprocess(*, actor: Actor, receipt: WebhookReceipt) -> WebhookReceipt:
    """Store the messages of a delivery whose storing failed; safe to run twice.

    Only failed receipts qualify: their signature was checked when they arrived.
    Raises `ApplicationError(CONFLICT)` when the receipt cannot be processed again.
    """
    channel = receipt.channel
    require_same_organization(actor, receipt, noun="Webhook receipt")
    if channel is None:
        if person(actor) is not None:  # a person sees no receipt of a channel gone
            raise InboxError(InboxProblem.RECEIPT_NOT_FOUND)
        raise InboxError(InboxProblem.RECEIPT_CHANNEL_GONE)
    require(actor, Action.CHANNEL_MANAGE, channel_group=channel.channel_group)
    current = WebhookReceipt.objects.get(pk=receipt.pk)
    if current.outcome != Outcome.FAILED:
        raise InboxError(InboxProblem.RECEIPT_NOT_FAILED)
    try:
        parsed = parse_delivery(current.body.encode("utf-8"))
    except PayloadError:
        raise InboxError(InboxProblem.RECEIPT_BODY_CUT) from None
    try:
        # Two runs at once are harmless: storing skips messages already stored.
        with transaction.atomic():
            stored = _store(receipt=current, channel=channel, parsed=parsed)
            audit.record(
                organization=channel.organization,
                actor=actor,
                action="inbox.webhook_receipt.reprocessed",
                target=current,
                before={"outcome": Outcome.FAILED.value},
                after={"outcome": current.outcome, "messages_stored": stored},
            )
    except Exception as error:
        current.refresh_from_db()
        _failed(current, error)
        raise InboxError(InboxProblem.RECEIPT_FAILED_AGAIN, error=type(error).__name__) from error
    receipt.refresh_from_db()
    return receipt
