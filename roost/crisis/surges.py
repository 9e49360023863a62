"""The inbox's surge groups and incidents (declared in `apps.py`, see
`roost.inbox.surge_incidents`): which incident a surge's conversations are linked to,
and the open incidents the viewer may link them to. Two queries."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from roost.core.models import User
from roost.core.permissions import Action, can
from roost.crisis.models import Incident, IncidentConversation, IncidentStatus
from roost.inbox.surge_incidents import SurgeIncident, SurgeIncidents


def _shown(incident: Incident) -> SurgeIncident:
    return SurgeIncident(
        id=incident.pk,
        label=f"{incident.title} ({incident.get_severity_display()})",
        url=reverse("crisis:incident", args=[incident.pk]),
    )


def surge_incidents_of(*, viewer: User, conversation_ids: Sequence[int]) -> SurgeIncidents:
    links = (
        IncidentConversation.objects.filter(
            organization_id=viewer.organization_id, conversation_id__in=list(conversation_ids)
        )
        .select_related("incident")
        .order_by("incident__opened_at", "pk")
    )
    linked = {link.conversation_id: _shown(link.incident) for link in links}
    open_ones: list[SurgeIncident] = []
    if can(viewer, Action.INCIDENT_MANAGE):
        open_ones = [
            _shown(incident)
            for incident in Incident.objects.filter(organization_id=viewer.organization_id)
            .exclude(status=IncidentStatus.RESOLVED)
            .order_by("severity", "-opened_at")[:20]
        ]
    return SurgeIncidents(linked=linked, open=open_ones, link_url=reverse("crisis:surge_link"))
