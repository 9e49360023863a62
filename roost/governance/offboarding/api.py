"""Offboarding over the API: start (or finish) one, and read its report."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Id, QueryId
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.governance.offboarding import selectors, services
from roost.governance.offboarding.models import Offboarding

router = Router(tags=["governance"])


class OffboardingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    leaver_id: Id
    successor_id: Id


class ReportLineOut(Schema):
    step: str
    kind: str
    label: str
    detail: str
    review: str
    url: str


class OffboardingOut(Schema):
    id: int
    leaver_id: int
    successor_id: int
    started_by_id: int | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    steps_done: list[str]
    lines: list[ReportLineOut]


def _out(offboarding: Offboarding) -> OffboardingOut:
    return OffboardingOut(
        id=offboarding.pk,
        leaver_id=offboarding.leaver_id,
        successor_id=offboarding.successor_id,
        started_by_id=offboarding.started_by_id,
        started_at=offboarding.started_at,
        finished_at=offboarding.finished_at,
        steps_done=list(offboarding.steps_done),
        lines=[
            ReportLineOut(
                step=item.step,
                kind=item.kind,
                label=item.label,
                detail=item.detail,
                review=item.review,
                url=item.url,
            )
            for item in selectors.offboarding_items(offboarding=offboarding)
        ],
    )


def _person(viewer: User, person_id: int, *, field: str) -> User:
    person = selectors.offboarding_candidates(viewer=viewer).filter(pk=person_id).first()
    if person is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Person not found.", field=field)
    return person


@router.post(
    "/governance/offboardings",
    response={201: OffboardingOut},
    summary="Offboard a leaver to a successor in one action",
)
def offboarding_create(request: HttpRequest, payload: OffboardingIn) -> Status:
    viewer = require_scope(request, Scope.OFFBOARDING_WRITE)
    leaver = _person(viewer, payload.leaver_id, field="leaver_id")
    successor = _person(viewer, payload.successor_id, field="successor_id")
    offboarding = services.offboarding_run(actor=viewer, leaver=leaver, successor=successor)
    return Status(201, _out(offboarding))


@router.get(
    "/governance/offboardings/{offboarding_id}",
    response=OffboardingOut,
    summary="An offboarding and its report",
)
def offboarding_detail(request: HttpRequest, offboarding_id: QueryId) -> OffboardingOut:
    viewer = require_scope(request, Scope.OFFBOARDING_READ)
    return _out(selectors.offboarding_get(viewer=viewer, offboarding_id=offboarding_id))
