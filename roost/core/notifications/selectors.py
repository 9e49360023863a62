from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.notifications.models import Notification


def notification_list(*, viewer: User) -> QuerySet[Notification]:
    return Notification.objects.filter(
        organization_id=viewer.organization_id, recipient=viewer
    ).order_by("-created_at", "-pk")


def notification_get(*, viewer: User, notification_id: int) -> Notification:
    return get_object_or_404(notification_list(viewer=viewer), pk=notification_id)


def notification_unread_count(*, viewer: User) -> int:
    return notification_list(viewer=viewer).filter(read_at__isnull=True).count()
