"""Incidents and crisis mode over the API: the same selectors and services as the pages.

Ids in a request body that the viewer cannot use answer 422 naming the field; ids in the
path answer 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.channels.models import Channel
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Id
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, User
from roost.core.permissions import Action, require
from roost.crisis import mode, selectors, services
from roost.crisis.models import CrisisMode, Incident
from roost.crisis.timeline import timeline_of

router = Router(tags=["crisis"])

Title = Annotated[str, Strict(), Field(min_length=1, max_length=200)]
Text = Annotated[str, Strict(), Field(max_length=5000)]
Choice = Annotated[str, Strict(), Field(max_length=20)]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class IncidentOut(Schema):
    id: int
    title: str
    summary: str
    severity: str
    status: str
    source: str
    brand_id: int | None
    owner_id: int | None
    opened_at: dt.datetime
    monitoring_at: dt.datetime | None
    resolved_at: dt.datetime | None


class TimelineOut(Schema):
    at: dt.datetime
    kind: str
    text: str
    who: str
    url: str


class IncidentDetailOut(IncidentOut):
    timeline: list[TimelineOut]
    conversation_ids: list[int]


class IncidentIn(Input):
    title: Title
    severity: Choice = "sev3"
    summary: Text = ""
    brand_id: Id | None = None
    owner_id: Id | None = None


class IncidentPatchIn(Input):
    status: Choice | None = None
    severity: Choice | None = None
    owner_id: Id | None = None
    clear_owner: Annotated[bool, Strict()] = False


class NoteIn(Input):
    text: Text


class CrisisOnIn(Input):
    scope: Choice
    reason: Annotated[str, Strict(), Field(max_length=500)]
    brand_id: Id | None = None
    channel_ids: Annotated[list[Id], Field(max_length=200)] = []
    incident_id: Id | None = None
    playbook_id: Id | None = None


class CrisisOut(Schema):
    on: bool
    id: int | None = None
    scope: str | None = None
    brand_id: int | None = None
    reason: str | None = None
    incident_id: int | None = None
    playbook_id: int | None = None
    started_at: dt.datetime | None = None
    paused_variants: int = 0


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.pk,
        title=incident.title,
        summary=incident.summary,
        severity=incident.severity,
        status=incident.status,
        source=incident.source,
        brand_id=incident.brand_id,
        owner_id=incident.owner_id,
        opened_at=incident.opened_at,
        monitoring_at=incident.monitoring_at,
        resolved_at=incident.resolved_at,
    )


def _detail(incident: Incident) -> IncidentDetailOut:
    return IncidentDetailOut(
        **_out(incident).dict(),
        timeline=[
            TimelineOut(at=line.at, kind=line.kind, text=line.text, who=line.who, url=line.url)
            for line in timeline_of(incident)
        ],
        conversation_ids=list(
            incident.links.order_by("pk").values_list("conversation_id", flat=True)
        ),
    )


def _crisis_out(crisis: CrisisMode | None) -> CrisisOut:
    if crisis is None:
        return CrisisOut(on=False)
    return CrisisOut(
        on=crisis.is_on,
        id=crisis.pk,
        scope=crisis.scope,
        brand_id=crisis.brand_id,
        reason=crisis.reason,
        incident_id=crisis.incident_id,
        playbook_id=crisis.playbook_id,
        started_at=crisis.started_at,
        paused_variants=len(mode.variants_paused_now(crisis)) if crisis.is_on else 0,
    )


def _brand(viewer: User, brand_id: int | None) -> Brand | None:
    if brand_id is None:
        return None
    brand = Brand.objects.filter(organization_id=viewer.organization_id, pk=brand_id).first()
    if brand is None:
        raise ApplicationError(ErrorCode.INVALID, "No such brand.", field="brand_id")
    return brand


def _person(viewer: User, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    person = User.objects.filter(organization_id=viewer.organization_id, pk=user_id).first()
    if person is None:
        raise ApplicationError(ErrorCode.INVALID, "No such person.", field="owner_id")
    return person


@router.get("/incidents", response=list[IncidentOut], summary="Incidents, newest first")
def incident_list(request: HttpRequest, status: str = "") -> list[IncidentOut]:
    """`status`: open, monitoring, resolved, or active (all but resolved)."""
    viewer = require_scope(request, Scope.INCIDENTS_READ)
    if status not in ("", "active", "open", "monitoring", "resolved"):
        raise ApplicationError(ErrorCode.INVALID, "Unknown status.", field="status")
    return [_out(i) for i in selectors.incident_list(viewer=viewer, status=status)[:200]]


@router.post("/incidents", response={201: IncidentDetailOut}, summary="Open an incident")
def incident_open(request: HttpRequest, payload: IncidentIn) -> Status:
    viewer = require_scope(request, Scope.INCIDENTS_WRITE)
    incident = services.incident_open(
        organization=viewer.organization,
        actor=viewer,
        title=payload.title,
        severity=payload.severity,
        summary=payload.summary,
        brand=_brand(viewer, payload.brand_id),
        owner=_person(viewer, payload.owner_id),
    )
    return Status(201, _detail(incident))


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, summary="An incident")
def incident_get(request: HttpRequest, incident_id: int) -> IncidentDetailOut:
    viewer = require_scope(request, Scope.INCIDENTS_READ)
    return _detail(selectors.incident_get(viewer=viewer, incident_id=incident_id))


@router.patch(
    "/incidents/{incident_id}", response=IncidentDetailOut, summary="Status, severity, owner"
)
def incident_update(
    request: HttpRequest, incident_id: int, payload: IncidentPatchIn
) -> IncidentDetailOut:
    viewer = require_scope(request, Scope.INCIDENTS_WRITE)
    incident = selectors.incident_get(viewer=viewer, incident_id=incident_id)
    # An update that changes nothing is refused as any other would be, not answered 200.
    require(viewer, Action.INCIDENT_MANAGE)
    if payload.clear_owner and payload.owner_id is not None:
        raise ApplicationError(
            ErrorCode.INVALID, "Set an owner or clear it, not both.", field="owner_id"
        )
    owner = _person(viewer, payload.owner_id)
    if payload.severity is not None:
        services.incident_severity_set(actor=viewer, incident=incident, severity=payload.severity)
    if owner is not None or payload.clear_owner:
        services.incident_owner_set(actor=viewer, incident=incident, owner=owner)
    if payload.status is not None:
        services.incident_status_set(actor=viewer, incident=incident, status=payload.status)
    return _detail(selectors.incident_get(viewer=viewer, incident_id=incident_id))


@router.post(
    "/incidents/{incident_id}/notes", response={201: IncidentDetailOut}, summary="Add a note"
)
def incident_note(request: HttpRequest, incident_id: int, payload: NoteIn) -> Status:
    viewer = require_scope(request, Scope.INCIDENTS_WRITE)
    incident = selectors.incident_get(viewer=viewer, incident_id=incident_id)
    services.incident_note(actor=viewer, incident=incident, text=payload.text)
    return Status(201, _detail(incident))


@router.get("/crisis-mode", response=CrisisOut, summary="Whether crisis mode is on")
def crisis_state(request: HttpRequest) -> CrisisOut:
    viewer = require_scope(request, Scope.INCIDENTS_READ)
    return _crisis_out(selectors.crisis_mode_on(organization_id=viewer.organization_id))


@router.post("/crisis-mode", response={201: CrisisOut}, summary="Turn crisis mode on")
def crisis_on(request: HttpRequest, payload: CrisisOnIn) -> Status:
    """Pauses scheduled publishing for the scope at once; 409 when it is already on."""
    viewer = require_scope(request, Scope.CRISIS_WRITE)
    channels = list(
        Channel.objects.filter(organization_id=viewer.organization_id, pk__in=payload.channel_ids)
    )
    if len(channels) != len(set(payload.channel_ids)):
        raise ApplicationError(ErrorCode.INVALID, "No such channel.", field="channel_ids")
    incident = None
    if payload.incident_id is not None:
        incident = selectors.incident_list(viewer=viewer).filter(pk=payload.incident_id).first()
        if incident is None:
            raise ApplicationError(ErrorCode.INVALID, "No such incident.", field="incident_id")
    playbook = None
    if payload.playbook_id is not None:
        playbook = selectors.playbook_list(viewer=viewer).filter(pk=payload.playbook_id).first()
        if playbook is None:
            raise ApplicationError(ErrorCode.INVALID, "No such playbook.", field="playbook_id")
    crisis = mode.crisis_mode_start(
        actor=viewer,
        scope=payload.scope,
        reason=payload.reason,
        brand=_brand(viewer, payload.brand_id),
        channels=channels,
        incident=incident,
        playbook=playbook,
    )
    return Status(201, _crisis_out(crisis))


@router.delete("/crisis-mode", response=CrisisOut, summary="Turn crisis mode off")
def crisis_off(request: HttpRequest) -> CrisisOut:
    """Ends crisis mode: the banner goes and the held posts wait for a decision on the
    review page; publishing stays paused until they are decided."""
    viewer = require_scope(request, Scope.CRISIS_WRITE)
    require(viewer, Action.CRISIS_MODE)  # the right first, then whether it is on
    crisis = selectors.crisis_mode_on(organization_id=viewer.organization_id)
    if crisis is None:
        raise ApplicationError(ErrorCode.CONFLICT, "Crisis mode is not on.")
    return _crisis_out(mode.crisis_mode_end(actor=viewer, crisis=crisis))
