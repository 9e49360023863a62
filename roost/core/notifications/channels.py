"""Delivery channels: the ways a notification reaches a person.

Core holds the registry; an app that adds a way (on-call paging: SMS, a chat webhook)
declares it at start-up with `channel_declare` and `notify` hands it every message.
A channel receives the message after the change that caused it has committed, so a
rolled-back change never pages anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

from roost.core.models import Organization, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One notification, as every channel receives it."""

    organization_id: int
    recipient_ids: tuple[int, ...]
    subject: str
    body: str
    url: str
    urgency: str
    source_type: str
    source_id: str


class Deliver(Protocol):
    def __call__(self, *, message: Message, recipients: Sequence[User]) -> None: ...


@dataclass(frozen=True)
class Channel:
    name: str
    deliver: Deliver
    # In-app delivery writes rows and belongs in the change's own transaction; the
    # others talk to the outside world and run after it commits.
    in_transaction: bool = False


_channels: dict[str, Channel] = {}


def channel_declare(*, name: str, deliver: Deliver, in_transaction: bool = False) -> None:
    """Add a way to reach people (declaring the same name again replaces it)."""
    if name == "in_app":
        in_transaction = True
    _channels[name] = Channel(name=name, deliver=deliver, in_transaction=in_transaction)


def channels_declared() -> list[Channel]:
    return sorted(_channels.values(), key=lambda c: c.name)


def in_app_deliver(*, message: Message, recipients: Sequence[User]) -> None:
    from roost.core.notifications.models import Notification

    Notification.objects.bulk_create(
        Notification(
            organization_id=message.organization_id,
            recipient=person,
            subject=message.subject,
            body=message.body,
            url=message.url,
            urgency=message.urgency,
            source_type=message.source_type,
            source_id=message.source_id,
        )
        for person in recipients
    )


def _absolute(url: str) -> str:
    base = getattr(settings, "ROOST_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{url}" if url.startswith("/") and base else url


def email_deliver(*, message: Message, recipients: Sequence[User]) -> None:
    """One e-mail per person (nobody sees who else was told)."""
    organization = Organization.objects.get(pk=message.organization_id)
    prefix = "[URGENT] " if message.urgency == "urgent" else ""
    body = message.body
    if message.url:
        body = f"{body}\n\n{_absolute(message.url)}"
    for person in recipients:
        if not person.email:
            continue
        send_mail(
            subject=f"{prefix}{message.subject}",
            message=f"{body}\n\n- Roost, {organization.name}",
            from_email=None,
            recipient_list=[person.email],
        )
