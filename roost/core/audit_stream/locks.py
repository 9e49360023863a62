"""The audit stream's row locks, on top of `roost.core.locks`."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from roost.core.audit_stream.models import AuditStreamDestination
from roost.core.locks import locked_one


def destination_locked(destination_id: int) -> AuditStreamDestination:
    return locked_one(AuditStreamDestination.objects.all(), destination_id, of=("self",))


def due_destination_claimed(
    destination_id: int, *, now: dt.datetime
) -> AuditStreamDestination | None:
    """The destination, locked, when it is enabled and due and no other worker holds it
    (SKIP LOCKED); None otherwise. Only its own row is locked: locking the joined
    organisation would hold up that organisation's audit chain (`roost.core.locks`)
    for as long as the receiver takes to answer."""
    queryset = AuditStreamDestination.objects.select_related("organization").filter(
        pk=destination_id, enabled=True, next_attempt_at__lte=now
    )
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.first()
