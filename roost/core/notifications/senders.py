"""Roost's own kinds of contact method: e-mail, a Slack incoming webhook, a signed webhook.

The signed webhook (see docs/notifications.md for the receiver's side) is signed the
way Roost's own inbound webhooks are (docs/webhooks.md), so one piece of code checks
both. Roost POSTs JSON with the headers

    X-Roost-Signature: t=<seconds since 1970, UTC>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
    X-Roost-Delivery: <delivery id, the same on every retry of one message>

keyed with the contact method's secret. A receiver recomputes the HMAC over `t`, a dot
and the raw body as received, compares in constant time, and refuses a `t` more than
a few minutes from its own clock.

HTTP answers decide retries: 2xx is sent; 408, 429 and 5xx, a timeout or a failed
connection are tried again later; any other answer (4xx, a redirect) is final. Error
messages name the host at most: a Slack webhook's path is its secret.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import smtplib
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from roost.core.notifications.outbound import outbound
from roost.core.notifications.providers import Outgoing, SendFailed, TargetInvalid

SIGNATURE_HEADER = "X-Roost-Signature"
DELIVERY_HEADER = "X-Roost-Delivery"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def timeout_seconds() -> float:
    return float(getattr(settings, "ROOST_NOTIFICATION_TIMEOUT_SECONDS", 10))


# E-mail.


def email_validate(target: str) -> str:
    address = target.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise TargetInvalid(f"{address or 'An empty value'} is not an e-mail address.") from None
    return address


def email_send(message: Outgoing) -> None:
    prefix = "[URGENT] " if message.urgency == "urgent" else ""
    body = message.body
    if message.url:
        body = f"{body}\n\n{message.url}"
    mail = EmailMessage(
        subject=f"{prefix}{message.subject}",
        body=f"{body}\n\n- Roost, {message.organization_name}",
        to=[message.target],
    )
    try:
        mail.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        raise SendFailed(
            f"the mail server refused the address ({', '.join(map(str, codes))})",
            retryable=not permanent,
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(
            f"the mail server answered {exc.smtp_code}", retryable=exc.smtp_code < 500
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        # Disconnected, refused, timed out: the server may be back later.
        raise SendFailed(
            f"the mail server could not be reached ({type(exc).__name__})", retryable=True
        ) from None


# HTTP.


def url_validate(target: str) -> str:
    """An https URL Roost may call (plain http only for an allowed private host)."""
    url = target.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetInvalid("Enter a full URL starting with https://.")
    try:
        outbound().url_check(url)
    except OSError:
        raise TargetInvalid(
            f"Roost sends only to https URLs on the public internet; {parts.hostname} over "
            f"{parts.scheme} is not allowed."
        ) from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None  # a name: its addresses are checked on every connection
    if literal is not None and not outbound().address_allowed(literal, host=parts.hostname):
        raise TargetInvalid(
            "Roost sends only to addresses on the public internet; "
            f"{parts.hostname} is not allowed."
        )
    if parts.username or parts.password:
        raise TargetInvalid("Leave user names and passwords out of the URL.")
    return url


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the server"


def http_post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST through the guarded session; answers the status or raises `SendFailed`."""
    import requests

    host = _host(url)
    try:
        outbound().url_check(url)
    except OSError:
        raise SendFailed(f"{host} is not an address Roost may send to", retryable=False) from None
    session = outbound().session()
    try:
        answer = session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": "Roost", **headers},
            timeout=timeout_seconds(),
            allow_redirects=False,
        )
    except requests.Timeout:
        raise SendFailed(
            f"{host} did not answer within {timeout_seconds():g} s", retryable=True
        ) from None
    except (OSError, requests.ConnectionError):
        raise SendFailed(f"could not connect to {host}", retryable=True) from None
    except requests.RequestException as exc:
        raise SendFailed(
            f"the request to {host} failed ({type(exc).__name__})", retryable=True
        ) from None
    finally:
        session.close()
    status = answer.status_code
    if 200 <= status < 300:
        return status
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    raise SendFailed(f"{host} answered {status}", retryable=retryable, status_code=status)


# Slack (and chat tools that accept its incoming-webhook format).


def slack_payload(message: Outgoing) -> dict[str, Any]:
    """An incoming-webhook message: `text` for notifications and old clients, `blocks`
    for the layout."""
    marker = ":rotating_light: *URGENT* " if message.urgency == "urgent" else ""
    title = f"{marker}*{_slack_escape(message.subject)}*"
    text = f"{message.subject}\n{message.body}".strip()
    if message.url:
        text = f"{text}\n{message.url}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
    ]
    if message.body:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _slack_escape(message.body)[:2900]},
            }
        )
    if message.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Roost"},
                        "url": message.url,
                    }
                ],
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": _slack_escape(f"Roost, {message.organization_name}")}
            ],
        }
    )
    return {"text": text[:3000], "blocks": blocks}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_display(url: str) -> str:
    """The host only: the rest of a Slack webhook's URL is its secret."""
    return f"{_host(url)}/…"


def slack_send(message: Outgoing) -> None:
    # The whole URL is the secret: it is kept in the vault, never in `target`.
    url = message.secret
    body = json.dumps(slack_payload(message)).encode()
    http_post(url, body=body, headers={})


# Signed JSON webhook.


def webhook_secret_make() -> str:
    return secrets.token_urlsafe(32)


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The value of `X-Roost-Signature` for this moment and raw body."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_signature_verify(
    *, secret: str, body: bytes, header: str, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (for Python receivers, and the tests): a `v1` entry of the
    header matches, and its `t` is within `tolerance` seconds of the clock."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value for key, value in parts if key.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(
        key.strip() == "v1" and hmac.compare_digest(expected, value.strip()) for key, value in parts
    )


def webhook_payload(message: Outgoing) -> dict[str, Any]:
    return {
        "type": "roost.test" if message.is_test else "roost.notification",
        "delivery_id": message.delivery_id,
        "subject": message.subject,
        "body": message.body,
        "url": message.url,
        "urgency": message.urgency,
        "organization": message.organization_name,
        "person": message.person_name,
    }


def webhook_send(message: Outgoing) -> None:
    body = json.dumps(webhook_payload(message), separators=(",", ":")).encode()
    headers = {
        SIGNATURE_HEADER: webhook_signature(
            secret=message.secret, timestamp=int(time.time()), body=body
        ),
        DELIVERY_HEADER: str(message.delivery_id),
    }
    http_post(message.target, body=body, headers=headers)


def built_in_providers_declare() -> None:
    from roost.core.notifications.providers import provider_declare

    provider_declare(
        kind="email",
        label="E-mail",
        send=email_send,
        validate=email_validate,
        target_label="E-mail address",
    )
    provider_declare(
        kind="slack",
        label="Slack (incoming webhook)",
        send=slack_send,
        validate=url_validate,
        target_label="Incoming webhook URL",
        target_help="The https URL Slack (or a chat tool that takes Slack's format) gave "
        "for an incoming webhook. It is kept sealed and never shown again.",
        takes_secret=True,
        display=slack_display,
    )
    provider_declare(
        kind="webhook",
        label="Signed webhook (JSON)",
        send=webhook_send,
        validate=url_validate,
        target_label="Endpoint URL",
        target_help="Roost POSTs JSON signed with HMAC-SHA256; the signing secret is "
        "shown once, when the method is added.",
        takes_secret=True,
        make_secret=webhook_secret_make,
    )
