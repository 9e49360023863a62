"""Invitations over the API: the same services as the Team pages, for admins' tokens.

Accepting an invitation is not here: it needs the person, their link and a browser."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core import selectors as core_selectors
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Id, QueryId
from roost.core.api_access.tokens import Scope
from roost.core.invitations import selectors, services
from roost.core.invitations.models import Invitation

router = Router(tags=["invitations"])

Address = Annotated[str, Strict(), Field(min_length=1, max_length=services.MAX_ADDRESS_LENGTH)]
RoleName = Annotated[str, Strict(), Field(min_length=1, max_length=32)]
DomainName = Annotated[str, Strict(), Field(min_length=1, max_length=253)]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class InvitationGrantOut(Schema):
    role: str
    channel_group_id: int | None
    scope: str


class InvitationOut(Schema):
    id: int
    email: str
    status: str
    grants: list[InvitationGrantOut]
    invited_by_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    sent_at: dt.datetime | None
    send_error: str
    accepted_at: dt.datetime | None
    accepted_user_id: int | None
    revoked_at: dt.datetime | None


class InvitationsIn(Input):
    emails: list[Address] = Field(
        min_length=1,
        max_length=services.MAX_ADDRESSES,
        description=f"One to {services.MAX_ADDRESSES} addresses",
    )
    roles: list[RoleName] = Field(min_length=1, max_length=10)
    channel_group_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="Grant the roles on these channel groups; empty: the whole organisation",
    )
    valid_days: Annotated[int, Strict(), Field(ge=1, le=services.MAX_VALID_DAYS)] = (
        services.DEFAULT_VALID_DAYS
    )


class InvitationPolicyOut(Schema):
    allowed_email_domains: list[str] = Field(description="Empty: any domain may be invited")


class InvitationPolicyIn(Input):
    allowed_email_domains: list[DomainName] = Field(max_length=50)


def _out(invitation: Invitation) -> dict[str, object]:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "status": invitation.status.value,
        "grants": [
            {"role": g.role, "channel_group_id": g.channel_group_id, "scope": g.scope_label}
            for g in invitation.grants.all()
        ],
        "invited_by_id": invitation.invited_by_id,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "sent_at": invitation.sent_at,
        "send_error": invitation.send_error,
        "accepted_at": invitation.accepted_at,
        "accepted_user_id": invitation.accepted_user_id,
        "revoked_at": invitation.revoked_at,
    }


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@router.get("/invitations", response=list[InvitationOut], summary="Invitations, newest first")
def invitation_list(request: HttpRequest) -> list[dict[str, object]]:
    viewer = require_scope(request, Scope.INVITATIONS_READ)
    return [_out(i) for i in selectors.invitation_list(viewer=viewer)[:500]]


@router.get("/invitations/{invitation_id}", response=InvitationOut)
def invitation_detail(request: HttpRequest, invitation_id: QueryId) -> dict[str, object]:
    viewer = require_scope(request, Scope.INVITATIONS_READ)
    return _out(selectors.invitation_get(viewer=viewer, invitation_id=invitation_id))


@router.post(
    "/invitations",
    response={201: list[InvitationOut]},
    summary="Invite people by e-mail (all or none)",
)
def invitation_create(request: HttpRequest, payload: InvitationsIn) -> Status:
    viewer = require_scope(request, Scope.INVITATIONS_WRITE)
    groups = [
        core_selectors.channel_group_get(viewer=viewer, channel_group_id=group_id)
        for group_id in dict.fromkeys(payload.channel_group_ids)
    ]
    made = services.invitations_create(
        organization=viewer.organization,
        actor=viewer,
        emails=payload.emails,
        roles=payload.roles,
        channel_groups=groups,
        valid_days=payload.valid_days,
        site_url=_site_url(request),
    )
    return Status(201, [_out(i) for i in made])


@router.post(
    "/invitations/{invitation_id}/resend",
    response=InvitationOut,
    summary="Send an invitation again with a new link",
)
def invitation_resend(request: HttpRequest, invitation_id: QueryId) -> dict[str, object]:
    viewer = require_scope(request, Scope.INVITATIONS_WRITE)
    invitation = selectors.invitation_get(viewer=viewer, invitation_id=invitation_id)
    return _out(
        services.invitation_resend(actor=viewer, invitation=invitation, site_url=_site_url(request))
    )


@router.post(
    "/invitations/{invitation_id}/revoke", response=InvitationOut, summary="Revoke an invitation"
)
def invitation_revoke(request: HttpRequest, invitation_id: QueryId) -> dict[str, object]:
    viewer = require_scope(request, Scope.INVITATIONS_WRITE)
    invitation = selectors.invitation_get(viewer=viewer, invitation_id=invitation_id)
    return _out(services.invitation_revoke(actor=viewer, invitation=invitation))


@router.get(
    "/invitation-policy", response=InvitationPolicyOut, summary="The allowed e-mail domains"
)
def invitation_policy(request: HttpRequest) -> dict[str, object]:
    viewer = require_scope(request, Scope.INVITATIONS_READ)
    policy = selectors.invitation_policy_get(viewer=viewer)
    return {"allowed_email_domains": policy.allowed_email_domains if policy else []}


@router.put(
    "/invitation-policy", response=InvitationPolicyOut, summary="Set the allowed e-mail domains"
)
def invitation_policy_set(request: HttpRequest, payload: InvitationPolicyIn) -> dict[str, object]:
    viewer = require_scope(request, Scope.INVITATIONS_WRITE)
    policy = services.invitation_policy_set(
        organization=viewer.organization,
        actor=viewer,
        allowed_email_domains=payload.allowed_email_domains,
    )
    return {"allowed_email_domains": policy.allowed_email_domains}
