"""Access and risks over the API. Handlers convert HTTP to selector and service calls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from roost.core import selectors as core_selectors
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Moment, QueryId
from roost.core.api_access.tokens import Scope
from roost.core.models import Membership, Role
from roost.governance.access import selectors, services
from roost.governance.risk.selectors import risk_sections

router = Router(tags=["access"])


class GrantOut(Schema):
    id: int
    role: str
    channel_group_id: int | None
    scope: str
    granted_at: dt.datetime
    granted_by_id: int | None
    expires_at: dt.datetime | None


class PersonAccessOut(Schema):
    user_id: int
    name: str
    is_active: bool
    grants: list[GrantOut]


class AccessRowOut(Schema):
    user_id: int
    name: str
    roles: list[str]
    allowed: dict[str, list[str]]


class GroupAccessOut(Schema):
    channel_group_id: int
    name: str
    people: list[AccessRowOut]


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    operation: Literal["grant", "revoke"]
    role: Role
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=services.MOST_PEOPLE)]
    channel_group_ids: Annotated[
        list[Id], Field(default_factory=list, max_length=services.MOST_CHANNEL_GROUPS)
    ]
    whole_organization: Flag = False
    expires_at: Moment | None = None


class BulkItemOut(Schema):
    user_id: int
    channel_group_id: int | None
    scope: str
    outcome: str
    reason: str


class BulkOut(Schema):
    operation: str
    role: str
    expires_at: dt.datetime | None
    applied: bool
    counts: dict[str, int]
    items: list[BulkItemOut]


class RiskOut(Schema):
    kind: str
    subject: str
    detail: str
    fix_label: str
    fix_url: str


def _grant_out(grant: Membership) -> GrantOut:
    return GrantOut(
        id=grant.pk,
        role=grant.role,
        channel_group_id=grant.channel_group_id,
        scope=grant.scope_label,
        granted_at=grant.granted_at,
        granted_by_id=grant.granted_by_id,
        expires_at=grant.expires_at,
    )


def _bulk_out(plan: services.BulkPlan) -> BulkOut:
    return BulkOut(
        operation=plan.operation.value,
        role=plan.role.value,
        expires_at=plan.expires_at,
        applied=plan.applied,
        counts=plan.counts,
        items=[
            BulkItemOut(
                user_id=item.person.pk,
                channel_group_id=item.channel_group.pk if item.channel_group else None,
                scope=item.scope_label,
                outcome=item.outcome.value,
                reason=item.reason,
            )
            for item in plan.items
        ],
    )


@router.get("/access/people/{user_id}", response=PersonAccessOut, summary="A person's grants")
def person_access(request: HttpRequest, user_id: QueryId) -> PersonAccessOut:
    viewer = require_scope(request, Scope.ACCESS_READ)
    person = core_selectors.user_get(viewer=viewer, user_id=user_id)
    grants = selectors.person_grants(viewer=viewer, person=person)
    return PersonAccessOut(
        user_id=person.pk,
        name=person.name,
        is_active=person.is_active,
        grants=[_grant_out(g) for g in grants],
    )


@router.get(
    "/access/channel-groups/{channel_group_id}",
    response=GroupAccessOut,
    summary="Who can do what on a channel group",
)
def channel_group_access(request: HttpRequest, channel_group_id: QueryId) -> GroupAccessOut:
    viewer = require_scope(request, Scope.ACCESS_READ)
    group = core_selectors.channel_group_get(viewer=viewer, channel_group_id=channel_group_id)
    access = selectors.group_access(viewer=viewer, channel_group=group)
    return GroupAccessOut(
        channel_group_id=group.pk,
        name=group.name,
        people=[
            AccessRowOut(
                user_id=row.person.pk,
                name=row.person.name,
                roles=sorted({g.role for g in row.grants}),
                allowed={key: [a.value for a in acts] for key, acts in row.allowed.items()},
            )
            for row in access.rows
        ],
    )


def _plan(request: HttpRequest, payload: BulkIn, *, apply: bool) -> services.BulkPlan:
    viewer = require_scope(request, Scope.ACCESS_WRITE)
    people, scopes = services.access_targets(
        actor=viewer,
        user_ids=payload.user_ids,
        channel_group_ids=payload.channel_group_ids,
        whole_organization=payload.whole_organization,
    )
    if not apply:
        return services.access_bulk_preview(
            actor=viewer,
            operation=payload.operation,
            people=people,
            role=payload.role,
            scopes=scopes,
            expires_at=payload.expires_at,
        )
    if payload.operation == services.BulkOperation.GRANT:
        return services.access_bulk_grant(
            actor=viewer,
            people=people,
            role=payload.role,
            scopes=scopes,
            expires_at=payload.expires_at,
        )
    if payload.expires_at is not None:
        # The preview refuses it with the same words; revoking has no expiry.
        services.access_bulk_preview(
            actor=viewer,
            operation=payload.operation,
            people=people,
            role=payload.role,
            scopes=scopes,
            expires_at=payload.expires_at,
        )
    return services.access_bulk_revoke(
        actor=viewer, people=people, role=payload.role, scopes=scopes
    )


@router.post(
    "/access/bulk/preview", response=BulkOut, summary="What a bulk grant or revoke would do"
)
def bulk_preview(request: HttpRequest, payload: BulkIn) -> BulkOut:
    return _bulk_out(_plan(request, payload, apply=False))


@router.post("/access/bulk/apply", response=BulkOut, summary="Grant or revoke in bulk")
def bulk_apply(request: HttpRequest, payload: BulkIn) -> BulkOut:
    return _bulk_out(_plan(request, payload, apply=True))


@router.get("/risks", response=list[RiskOut], summary="The organisation's access risks")
def risks(request: HttpRequest) -> list[RiskOut]:
    viewer = require_scope(request, Scope.RISKS_READ)
    return [
        RiskOut(
            kind=risk.kind.value,
            subject=risk.subject,
            detail=risk.detail,
            fix_label=risk.fix_label,
            fix_url=risk.fix_url,
        )
        for section in risk_sections(viewer=viewer)
        for risk in section.risks
    ]
