"""Incidents: open one, run it (severity, owner, status, notes), link conversations.

Every change is checked against the policy here, written to the audit log in the same
transaction and put on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import Brand, Organization, User
from roost.core.notifications import notify
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on, require_organization
from roost.crisis.models import (
    Incident,
    IncidentConversation,
    IncidentSource,
    IncidentStatus,
    Severity,
    TimelineKind,
)
from roost.crisis.team import incident_team
from roost.crisis.timeline import timeline_add
from roost.inbox.models import Conversation

TITLE_MAX = 200


def _actor(actor: User | None) -> Actor:
    return SYSTEM if actor is None else actor


def _name(user: User | None) -> str:
    return (user.name or user.email) if user else "nobody"


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Severity must be one of {', '.join(Severity.values)}.",
            field="severity",
        ) from None


def _owner_checked(organization_id: int, owner: User | None) -> None:
    if owner is not None and (owner.organization_id != organization_id or not owner.is_active):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose an owner from your organisation.", field="owner"
        )


def incident_locked(incident_id: int) -> Incident:
    return locked_one(Incident.objects.all(), incident_id)


def incident_open(
    *,
    organization: Organization,
    title: str,
    severity: str,
    actor: User | None = None,
    owner: User | None = None,
    brand: Brand | None = None,
    summary: str = "",
    source: str = "manual",
) -> Incident:
    """Open an incident and tell its team (`roost.crisis.team`), by e-mail and in the app.
    `actor` None: Roost itself (an alert)."""
    who = _actor(actor)
    require_organization(who, organization)
    require(who, Action.INCIDENT_MANAGE)
    title = title.strip()
    if not title:
        raise ApplicationError(ErrorCode.INVALID, "Give the incident a title.", field="title")
    if len(title) > TITLE_MAX:
        raise ApplicationError(
            ErrorCode.INVALID, f"Keep the title within {TITLE_MAX} characters.", field="title"
        )
    level = _severity(severity)
    try:
        origin = IncidentSource(source)
    except ValueError:
        raise ApplicationError(ErrorCode.INVALID, "Unknown source.", field="source") from None
    if brand is not None and brand.organization_id != organization.pk:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose a brand of your organisation.", field="brand"
        )
    _owner_checked(organization.pk, owner)
    with transaction.atomic():
        incident = Incident.objects.create(
            organization=organization,
            brand=brand,
            title=title,
            summary=summary.strip(),
            severity=level,
            source=origin,
            owner=owner,
            opened_by=actor,
        )
        audit.record(
            organization=organization,
            actor=who,
            action="crisis.incident.opened",
            target=incident,
            after={
                "title": title,
                "severity": level.value,
                "source": origin.value,
                "brand": brand.name if brand else None,
                "owner": owner.email if owner else None,
            },
        )
        timeline_add(
            incident=incident,
            kind=TimelineKind.OPENED,
            text=f"{origin.label} by {_name(actor) if actor else 'Roost'}, {level.label}."
            + (f" Owner: {_name(owner)}." if owner else ""),
            actor=actor,
        )
        notify(
            organization=organization,
            recipients=incident_team(incident),
            subject=f"Incident {level.label}: {title}",
            body=(summary.strip() or title)
            + (f"\nBrand: {brand.name}" if brand else "")
            + f"\nOwner: {_name(owner)}",
            url=reverse("crisis:incident", args=[incident.pk]),
            urgency="urgent" if level in (Severity.SEV1, Severity.SEV2) else "normal",
            source=incident,
        )
    return incident


def _change(
    *,
    actor: User,
    incident: Incident,
    field: str,
    value: object,
    shown: str,
    kind: TimelineKind,
    extra: Sequence[str] = (),
) -> Incident:
    with transaction.atomic():
        incident = incident_locked(incident.pk)
        before = getattr(incident, field)
        if before == value:
            return incident
        setattr(incident, field, value)
        incident.save(update_fields=[field, *extra])
        audit.record(
            organization=incident.organization,
            actor=actor,
            action=f"crisis.incident.{field}_changed",
            target=incident,
            before={field: str(before) if before is not None else None},
            after={field: str(value) if value is not None else None},
        )
        timeline_add(incident=incident, kind=kind, text=shown, actor=actor)
    return incident


def incident_severity_set(*, actor: User, incident: Incident, severity: str) -> Incident:
    require_on(actor, incident, Action.INCIDENT_MANAGE, noun="Incident")
    level = _severity(severity)
    return _change(
        actor=actor,
        incident=incident,
        field="severity",
        value=level.value,
        shown=f"Severity set to {level.label}.",
        kind=TimelineKind.SEVERITY,
    )


def incident_owner_set(*, actor: User, incident: Incident, owner: User | None) -> Incident:
    require_on(actor, incident, Action.INCIDENT_MANAGE, noun="Incident")
    _owner_checked(incident.organization_id, owner)
    with transaction.atomic():
        locked = incident_locked(incident.pk)
        if locked.owner_id == (owner.pk if owner else None):
            return locked
        before = locked.owner
        locked.owner = owner
        locked.save(update_fields=["owner"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="crisis.incident.owner_changed",
            target=locked,
            before={"owner": before.email if before else None},
            after={"owner": owner.email if owner else None},
        )
        timeline_add(
            incident=locked,
            kind=TimelineKind.OWNER,
            text=f"Owner: {_name(owner)} (was {_name(before)}).",
            actor=actor,
        )
        if owner is not None and owner.pk != actor.pk:
            notify(
                organization=locked.organization,
                recipients=[owner],
                subject=f"You own the incident: {locked.title}",
                body=f"{_name(actor)} made you the owner of this incident.",
                url=reverse("crisis:incident", args=[locked.pk]),
                source=locked,
            )
    return locked


def incident_status_set(*, actor: User, incident: Incident, status: str) -> Incident:
    require_on(actor, incident, Action.INCIDENT_MANAGE, noun="Incident")
    try:
        new = IncidentStatus(status)
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Status must be one of {', '.join(IncidentStatus.values)}.",
            field="status",
        ) from None
    with transaction.atomic():
        locked = incident_locked(incident.pk)
        if locked.status == new:
            return locked
        before = locked.status
        now = timezone.now()
        locked.status = new
        fields = ["status"]
        if new == IncidentStatus.MONITORING and locked.monitoring_at is None:
            locked.monitoring_at = now
            fields.append("monitoring_at")
        # Resolved holds the time it was last resolved; reopening clears it.
        locked.resolved_at = now if new == IncidentStatus.RESOLVED else None
        fields.append("resolved_at")
        locked.save(update_fields=fields)
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="crisis.incident.status_changed",
            target=locked,
            before={"status": before},
            after={"status": new.value},
        )
        timeline_add(
            incident=locked,
            kind=TimelineKind.STATUS,
            text=f"Status: {new.label} (was {IncidentStatus(before).label}).",
            actor=actor,
        )
    return locked


def incident_note(*, actor: User, incident: Incident, text: str) -> Incident:
    """A person's note on the timeline."""
    require_on(actor, incident, Action.INCIDENT_MANAGE, noun="Incident")
    text = text.strip()
    if not text:
        raise ApplicationError(ErrorCode.INVALID, "Write the note.", field="text")
    if len(text) > 5000:
        raise ApplicationError(
            ErrorCode.INVALID, "Keep a note within 5000 characters.", field="text"
        )
    timeline_add(incident=incident, kind=TimelineKind.NOTE, text=text, actor=actor)
    return incident


def incident_link_conversations(
    *, incident: Incident, conversations: Sequence[Conversation], actor: User | None = None
) -> int:
    """Link conversations to the incident (those already linked are left as they are);
    answers how many were newly linked. `actor` None: Roost itself (an alert's matches)."""
    who = _actor(actor)
    require_on(who, incident, Action.INCIDENT_MANAGE, noun="Incident")
    if any(c.organization_id != incident.organization_id for c in conversations):
        raise ApplicationError(ErrorCode.NOT_FOUND, "Conversation not found.")
    with transaction.atomic():
        incident = incident_locked(incident.pk)
        have = set(
            IncidentConversation.objects.filter(incident=incident).values_list(
                "conversation_id", flat=True
            )
        )
        new = sorted({c.pk for c in conversations} - have)
        if not new:
            return 0
        IncidentConversation.objects.bulk_create(
            IncidentConversation(
                organization_id=incident.organization_id,
                incident=incident,
                conversation_id=pk,
                linked_by=actor,
            )
            for pk in new
        )
        audit.record(
            organization=incident.organization,
            actor=who,
            action="crisis.incident.conversations_linked",
            target=incident,
            after={"conversation_ids": new},
        )
        timeline_add(
            incident=incident,
            kind=TimelineKind.LINK,
            text=f"{len(new)} conversation{'s' if len(new) != 1 else ''} linked.",
            actor=actor,
        )
    return len(new)
