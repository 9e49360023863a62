"""Reading one's notifications: the only changes a person makes to them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.notifications.models import Notification


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Notification not found.")
    if notification.read_at is not None:
        return notification
    with transaction.atomic():
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="core.notification.read",
            target=notification,
        )
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    with transaction.atomic():
        count = Notification.objects.filter(
            organization_id=actor.organization_id, recipient=actor, read_at__isnull=True
        ).update(read_at=timezone.now())
        if count:
            audit.record(
                organization=actor.organization,
                actor=actor,
                action="core.notification.all_read",
                after={"count": count},
            )
    return count
