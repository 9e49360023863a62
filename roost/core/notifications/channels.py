"""Delivery channels: the ways a notification reaches a person.

Core holds the registry; an app that adds a way declares it at start-up with
`channel_declare` and `notify` hands it every message. Reaching a person outside the app
(e-mail, Slack, a signed webhook, an SMS or push provider) goes through the person's own
contact methods (`contact.person_notify`); new kinds of those are providers
(`providers.provider_declare`), not channels.
A channel receives the message after the change that caused it has committed, so a
rolled-back change never pages anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
    # In-app delivery and the contact methods write rows and belong in the change's own
    # transaction (contact methods send after it commits); a channel that talks to the
    # outside world itself runs after the commit.
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
    in_app_deliver_many(items=[(message, person) for person in recipients])


def in_app_deliver_many(*, items: Sequence[tuple[Message, User]]) -> None:
    """Many messages, each to one person, written in one query."""
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
        for message, person in items
    )


def contact_methods_deliver(*, message: Message, recipients: Sequence[User]) -> None:
    """Each person on their own contact methods that take the message's urgency (by
    e-mail to their address when they have none). Runs in the change's transaction:
    the deliveries are written with it and sent once it commits."""
    from roost.core.notifications.contact import PersonMessage, people_notify

    organization = Organization.objects.get(pk=message.organization_id)
    source = (message.source_type, message.source_id) if message.source_type else None
    people_notify(
        organization=organization,
        messages=[
            PersonMessage(
                person, message.subject, message.body, message.url, message.urgency, source
            )
            for person in recipients
        ],
    )
