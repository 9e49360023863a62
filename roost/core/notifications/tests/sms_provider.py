"""A notification provider declared only by the tests, through the entry-point group,
standing in for an SMS gateway: it keeps what it was asked to send."""

from __future__ import annotations

import re

from roost.core.notifications.providers import Outgoing, Provider, SendFailed, TargetInvalid

SENT: list[Outgoing] = []
# Numbers the pretend gateway answers for: "busy" now and then, or "no such number".
BUSY: set[str] = set()
UNKNOWN: set[str] = set()


def _validate(target: str) -> str:
    number = re.sub(r"[\s()-]", "", target)
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", number):
        raise TargetInvalid(f"{target!r} is not a phone number in international form (+48...).")
    return number


def _send(message: Outgoing) -> None:
    if message.target in UNKNOWN:
        raise SendFailed("the gateway does not know this number", retryable=False)
    if message.target in BUSY:
        raise SendFailed("the gateway is busy", retryable=True, status_code=503)
    SENT.append(message)


def provider() -> Provider:
    return Provider(
        kind="test_sms",
        label="Text message (test gateway)",
        send=_send,
        validate=_validate,
        target_label="Phone number",
    )
