"""Who an incident's team is: the people told when it opens.

The organisation's leads (admins and managers anywhere in it) are always on it: they
decide on crisis mode. An incident of a brand adds everyone who holds a role on one of
that brand's channel groups (they publish and answer for it). The owner is always told.
"""

from __future__ import annotations

from django.db.models import Q

from roost.core.models import Role, User
from roost.core.permissions import in_force_q
from roost.crisis.models import Incident

LEAD_ROLES = (Role.ADMIN, Role.MANAGER)


def organization_leads(organization_id: int) -> list[User]:
    """The organisation's admins and managers (on any part of it)."""
    return list(
        User.objects.filter(
            Q(memberships__role__in=LEAD_ROLES) & in_force_q(through="memberships__"),
            organization_id=organization_id,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def incident_team(incident: Incident) -> list[User]:
    in_force = in_force_q(through="memberships__")
    on_team = Q(memberships__role__in=LEAD_ROLES) & in_force
    if incident.brand_id:
        on_team |= Q(memberships__channel_group__brand_id=incident.brand_id) & in_force
    if incident.owner_id:
        on_team |= Q(pk=incident.owner_id)
    return list(
        User.objects.filter(organization_id=incident.organization_id, is_active=True)
        .filter(on_team)
        .distinct()
        .order_by("pk")
    )
