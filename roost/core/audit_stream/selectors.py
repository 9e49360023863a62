from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from roost.core.audit_stream.models import AuditStreamDestination
from roost.core.models import AuditEvent, User
from roost.core.permissions import Action, require
from roost.core.text_input import MAX_ID


def destination_list(*, viewer: User) -> QuerySet[AuditStreamDestination]:
    require(viewer, Action.AUDIT_EXPORT)
    return AuditStreamDestination.objects.filter(organization_id=viewer.organization_id)


def destination_get(*, viewer: User, destination_id: int) -> AuditStreamDestination:
    if not 0 < destination_id <= MAX_ID:
        return get_object_or_404(AuditStreamDestination.objects.none())
    return get_object_or_404(destination_list(viewer=viewer), pk=destination_id)


def audit_head(*, viewer: User) -> int:
    """The sequence number of the organisation's newest event (0: none yet)."""
    require(viewer, Action.AUDIT_EXPORT)
    head = (
        AuditEvent.objects.filter(organization_id=viewer.organization_id)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return head or 0
