"""Reads of incidents, crisis mode and playbooks: the viewer's organisation only."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from roost.core.models import User
from roost.core.permissions import Action, require
from roost.crisis.models import CrisisMode, Incident, IncidentStatus, Playbook


def incident_list(*, viewer: User, status: str = "") -> QuerySet[Incident]:
    require(viewer, Action.INCIDENT_VIEW)
    incidents = Incident.objects.filter(organization_id=viewer.organization_id)
    if status == "active":
        incidents = incidents.exclude(status=IncidentStatus.RESOLVED)
    elif status:
        incidents = incidents.filter(status=status)
    return incidents.select_related("owner", "brand").annotate(
        linked_count=Count("links", distinct=True)
    )


def incident_get(*, viewer: User, incident_id: int) -> Incident:
    return get_object_or_404(incident_list(viewer=viewer), pk=incident_id)


def incidents_active(*, viewer: User) -> QuerySet[Incident]:
    return incident_list(viewer=viewer, status="active").order_by("severity", "-opened_at")


def crisis_mode_on(*, organization_id: int) -> CrisisMode | None:
    """The organisation's crisis mode, when it is on (one query)."""
    return (
        CrisisMode.objects.filter(organization_id=organization_id, ended_at__isnull=True)
        .select_related("brand", "incident", "playbook")
        .first()
    )


def crisis_mode_list(*, viewer: User) -> QuerySet[CrisisMode]:
    require(viewer, Action.INCIDENT_VIEW)
    return CrisisMode.objects.filter(organization_id=viewer.organization_id).select_related(
        "brand", "incident", "playbook", "started_by"
    )


def crisis_mode_get(*, viewer: User, crisis_id: int) -> CrisisMode:
    return get_object_or_404(crisis_mode_list(viewer=viewer), pk=crisis_id)


def playbook_list(*, viewer: User) -> QuerySet[Playbook]:
    require(viewer, Action.INCIDENT_VIEW)
    return Playbook.objects.filter(organization_id=viewer.organization_id).select_related("brand")


def playbook_get(*, viewer: User, playbook_id: int) -> Playbook:
    return get_object_or_404(playbook_list(viewer=viewer), pk=playbook_id)
