"""Crisis's card on Today (declared in `apps.py`, see `roost.core.today`): the
organisation's open incidents, worst first, for everyone in it. Two queries."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayItem
from roost.crisis.models import Incident, IncidentStatus, Severity


def today_incidents(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    if not can(viewer, Action.INCIDENT_VIEW):
        return None
    active = Incident.objects.filter(organization_id=viewer.organization_id).exclude(
        status=IncidentStatus.RESOLVED
    )
    total = active.count()
    if not total:
        # An empty card would take room on everyone's page every quiet day.
        return None
    items = [
        TodayItem(
            label=incident.title,
            url=reverse("crisis:incident", args=[incident.pk]),
            detail=(
                f"{incident.get_status_display()}"
                + (f" · {incident.brand.name}" if incident.brand else "")
                + f" · owner {incident.owner.name if incident.owner else 'not set'}"
            ),
            at=incident.opened_at,
            at_label="Opened",
            tone="late" if incident.severity in (Severity.SEV1, Severity.SEV2) else "soon",
            badge=incident.get_severity_display(),
        )
        for incident in active.select_related("brand", "owner").order_by("severity", "-opened_at")[
            :ITEMS_SHOWN
        ]
    ]
    return TodayCard(
        key="incidents",
        title="Open incidents",
        items=items,
        total=total,
        url=reverse("crisis:home"),
        url_label="All incidents",
        empty="No open incident.",
    )
