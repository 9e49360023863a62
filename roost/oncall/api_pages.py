"""Pages and escalation policies over the API: the same selectors and services as the app.

Ids in a request body that the viewer cannot use answer 422 naming the field; ids in the
path answer 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Id
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.oncall.models import EscalationPolicy, Page
from roost.oncall.paging import selectors, services

router = Router(tags=["pages"])

Title = Annotated[str, Strict(), Field(min_length=1, max_length=200)]
Text = Annotated[str, Strict(), Field(max_length=10000)]
Choice = Annotated[str, Strict(), Field(max_length=20)]
Minutes = Annotated[int, Strict(), Field(ge=0, le=services.MAX_WAIT_MINUTES)]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class NotificationOut(Schema):
    person_id: int
    cycle: int
    step: int
    at: dt.datetime


class PageOut(Schema):
    id: int
    number: int
    title: str
    details: str
    urgency: str
    status: str
    policy_id: int
    source_type: str
    source_id: str
    incident_id: int | None
    raised_by_id: int | None
    raised_at: dt.datetime
    acknowledged_by_id: int | None
    acknowledged_at: dt.datetime | None
    resolved_by_id: int | None
    resolved_at: dt.datetime | None
    cycle: int
    step: int
    next_step_at: dt.datetime | None


class PageDetailOut(PageOut):
    notifications: list[NotificationOut]


class PageIn(Input):
    title: Title
    details: Text = ""
    urgency: Choice = "urgent"
    policy_id: Id | None = None


class StepIO(Input):
    target: Choice
    wait_minutes: Minutes
    schedule_id: Id | None = None
    person_id: Id | None = None
    team_id: Id | None = None


class PolicyIn(Input):
    name: Annotated[str, Strict(), Field(min_length=1, max_length=120)]
    description: Text = ""
    repeat_times: Annotated[int, Strict(), Field(ge=0, le=services.MAX_REPEAT)] = 0
    is_default: Annotated[bool, Strict()] = False
    steps: Annotated[list[StepIO], Field(min_length=1, max_length=services.MAX_STEPS)]


class PolicyOut(Schema):
    id: int
    name: str
    description: str
    repeat_times: int
    is_default: bool
    steps: list[StepIO]


def _out(page: Page) -> PageOut:
    return PageOut(
        id=page.pk,
        number=page.number,
        title=page.title,
        details=page.details,
        urgency=page.urgency,
        status=page.status,
        policy_id=page.policy_id,
        source_type=page.source_type,
        source_id=page.source_id,
        incident_id=page.incident_id,
        raised_by_id=page.raised_by_id,
        raised_at=page.raised_at,
        acknowledged_by_id=page.acknowledged_by_id,
        acknowledged_at=page.acknowledged_at,
        resolved_by_id=page.resolved_by_id,
        resolved_at=page.resolved_at,
        cycle=page.cycle,
        step=page.step_position + 1,
        next_step_at=page.next_step_at,
    )


def _detail(page: Page) -> PageDetailOut:
    return PageDetailOut(
        **_out(page).dict(),
        notifications=[
            NotificationOut(
                person_id=n.person_id, cycle=n.cycle, step=n.step_position + 1, at=n.created_at
            )
            for n in selectors.page_notifications(page)
        ],
    )


def _policy_out(policy: EscalationPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.pk,
        name=policy.name,
        description=policy.description,
        repeat_times=policy.repeat_times,
        is_default=policy.is_default,
        steps=[
            StepIO(
                target=s.target,
                wait_minutes=s.wait_minutes,
                schedule_id=s.schedule_id,
                person_id=s.person_id,
                team_id=s.team_id,
            )
            for s in policy.steps.all()
        ],
    )


def _policy(viewer: User, policy_id: int | None) -> EscalationPolicy | None:
    if policy_id is None:
        return None
    policy = EscalationPolicy.objects.filter(
        organization_id=viewer.organization_id, pk=policy_id
    ).first()
    if policy is None:
        raise ApplicationError(ErrorCode.INVALID, "No such policy.", field="policy_id")
    return policy


def _specs(steps: list[StepIO]) -> list[services.StepSpec]:
    return [
        services.StepSpec(
            target=s.target,
            wait_minutes=s.wait_minutes,
            schedule_id=s.schedule_id,
            person_id=s.person_id,
            team_id=s.team_id,
        )
        for s in steps
    ]


@router.get("/pages", response=list[PageOut], summary="Pages, newest first")
def page_list(request: HttpRequest, status: str = "") -> list[PageOut]:
    """`status`: triggered, acknowledged, resolved, or open (all but resolved)."""
    viewer = require_scope(request, Scope.PAGES_READ)
    return [_out(p) for p in selectors.page_list(viewer=viewer, status=status)[:200]]


@router.post("/pages", response={201: PageDetailOut}, summary="Raise a page")
def page_raise(request: HttpRequest, payload: PageIn) -> Status:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    page = services.page_raise(
        actor=viewer,
        organization=viewer.organization,
        title=payload.title,
        details=payload.details,
        urgency=payload.urgency,
        policy=_policy(viewer, payload.policy_id),
    )
    return Status(201, _detail(page))


@router.get("/pages/{page_id}", response=PageDetailOut, summary="A page and who was told")
def page_get(request: HttpRequest, page_id: int) -> PageDetailOut:
    viewer = require_scope(request, Scope.PAGES_READ)
    return _detail(selectors.page_get(viewer=viewer, page_id=page_id))


@router.post("/pages/{page_id}/acknowledge", response=PageDetailOut, summary="Acknowledge")
def page_acknowledge(request: HttpRequest, page_id: int) -> PageDetailOut:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    page = selectors.page_get(viewer=viewer, page_id=page_id)
    return _detail(services.page_acknowledge(actor=viewer, page=page))


@router.post("/pages/{page_id}/resolve", response=PageDetailOut, summary="Resolve")
def page_resolve(request: HttpRequest, page_id: int) -> PageDetailOut:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    page = selectors.page_get(viewer=viewer, page_id=page_id)
    return _detail(services.page_resolve(actor=viewer, page=page))


@router.get("/escalation-policies", response=list[PolicyOut], summary="Escalation policies")
def policy_list(request: HttpRequest) -> list[PolicyOut]:
    viewer = require_scope(request, Scope.PAGES_READ)
    return [_policy_out(p) for p in selectors.policy_list(viewer=viewer)]


@router.post("/escalation-policies", response={201: PolicyOut}, summary="New policy")
def policy_create(request: HttpRequest, payload: PolicyIn) -> Status:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    policy = services.escalation_policy_create(
        actor=viewer, name=payload.name, steps=_specs(payload.steps),
        repeat_times=payload.repeat_times, is_default=payload.is_default,
        description=payload.description,
    )  # fmt: skip
    return Status(201, _policy_out(selectors.policy_get(viewer=viewer, policy_id=policy.pk)))


@router.get("/escalation-policies/{policy_id}", response=PolicyOut, summary="A policy")
def policy_get(request: HttpRequest, policy_id: int) -> PolicyOut:
    viewer = require_scope(request, Scope.PAGES_READ)
    return _policy_out(selectors.policy_get(viewer=viewer, policy_id=policy_id))


@router.put("/escalation-policies/{policy_id}", response=PolicyOut, summary="Replace a policy")
def policy_update(request: HttpRequest, policy_id: int, payload: PolicyIn) -> PolicyOut:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    policy = selectors.policy_get(viewer=viewer, policy_id=policy_id)
    services.escalation_policy_update(
        actor=viewer, policy=policy, name=payload.name, steps=_specs(payload.steps),
        repeat_times=payload.repeat_times, is_default=payload.is_default,
        description=payload.description,
    )  # fmt: skip
    return _policy_out(selectors.policy_get(viewer=viewer, policy_id=policy_id))


@router.delete("/escalation-policies/{policy_id}", response={204: None}, summary="Delete")
def policy_delete(request: HttpRequest, policy_id: int) -> Status:
    viewer = require_scope(request, Scope.PAGES_WRITE)
    policy = selectors.policy_get(viewer=viewer, policy_id=policy_id)
    services.escalation_policy_delete(actor=viewer, policy=policy)
    return Status(204, None)
