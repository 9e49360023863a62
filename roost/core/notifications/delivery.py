"""`notify` itself (see the package's docstring)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import models, transaction

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import Organization, User

log = logging.getLogger(__name__)

URGENCIES = ("normal", "urgent")


def notify_now(
    *,
    organization: Organization,
    recipients: Sequence[User],
    subject: str,
    body: str,
    url: str = "",
    urgency: str = "normal",
    source: models.Model | None = None,
) -> int:
    """Tell the recipients, in the app and on every delivery channel; answers how many
    people were told. Call inside the transaction of the change being notified about."""
    from roost.core.notifications.channels import Message, channels_declared

    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    people = {
        person.pk: person
        for person in recipients
        if person.organization_id == organization.pk and person.is_active and person.pk
    }
    if not people:
        return 0
    message = Message(
        organization_id=organization.pk,
        recipient_ids=tuple(sorted(people)),
        subject=subject[:300],
        body=body,
        url=url,
        urgency=urgency,
        source_type=source._meta.label_lower if source is not None else "",
        source_id=str(source.pk) if source is not None else "",
    )
    told = [people[pk] for pk in message.recipient_ids]
    with transaction.atomic():
        for channel in channels_declared():
            if channel.in_transaction:
                channel.deliver(message=message, recipients=told)
        audit.record(
            organization=organization,
            actor=SYSTEM,
            action="core.notification.sent",
            target=source,
            after={
                "subject": message.subject,
                "urgency": urgency,
                "recipients": [p.email for p in told],
                "channels": [c.name for c in channels_declared()],
            },
        )

    def deliver_outside() -> None:
        for channel in channels_declared():
            if channel.in_transaction:
                continue
            try:
                channel.deliver(message=message, recipients=told)
            except Exception:
                # One failing channel must not keep the others from reaching people.
                log.exception("notification channel %s failed", channel.name)

    transaction.on_commit(deliver_outside)
    return len(told)
