"""People, roles and structure over the API. Handlers convert HTTP to service calls."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from roost.api.schemas import (
    BrandOut,
    ChannelGroupOut,
    MembershipIn,
    MembershipOut,
    MeOut,
    OrganizationOut,
    TeamOut,
    UserOut,
)
from roost.core import selectors, services
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import QueryId
from roost.core.api_access.tokens import Scope
from roost.core.models import Membership, Team
from roost.core.permissions import primary_role

router = Router(tags=["people"])


def _membership_out(membership: Membership) -> MembershipOut:
    return MembershipOut(
        id=membership.pk,
        user_id=membership.user_id,
        role=membership.role,
        channel_group_id=membership.channel_group_id,
        scope=membership.scope_label,
        granted_at=membership.granted_at,
    )


def _team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.pk,
        name=team.name,
        region=team.region,
        member_ids=[m.pk for m in team.members.all()],
    )


@router.get("/me", response=MeOut, summary="The token's owner, organisation and roles")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    roles = sorted({m.role for m in selectors.membership_list(viewer=user, user=user)})
    role = primary_role(user)
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.name,
        time_zone=user.time_zone,
        region=user.region,
        language=user.language,
        is_active=user.is_active,
        organization=OrganizationOut(
            id=user.organization.pk, name=user.organization.name, slug=user.organization.slug
        ),
        roles=[role.value] + [r for r in roles if r != role.value] if role else [],
        token_scopes=request.api_token.scopes,  # type: ignore[attr-defined]
    )


@router.get("/users", response=list[UserOut], summary="People in the organisation")
def users(request: HttpRequest) -> list[UserOut]:
    viewer = require_scope(request, Scope.USERS_READ)
    return [UserOut.from_orm(u) for u in selectors.user_list(viewer=viewer)]


@router.get("/users/{user_id}", response=UserOut)
def user_detail(request: HttpRequest, user_id: int) -> UserOut:
    viewer = require_scope(request, Scope.USERS_READ)
    return UserOut.from_orm(selectors.user_get(viewer=viewer, user_id=user_id))


@router.get("/memberships", response=list[MembershipOut], summary="Role grants")
def memberships(request: HttpRequest, user_id: QueryId | None = None) -> list[MembershipOut]:
    viewer = require_scope(request, Scope.MEMBERSHIPS_READ)
    person = selectors.user_get(viewer=viewer, user_id=user_id) if user_id else None
    return [_membership_out(m) for m in selectors.membership_list(viewer=viewer, user=person)]


@router.get("/memberships/{membership_id}", response=MembershipOut)
def membership_detail(request: HttpRequest, membership_id: int) -> MembershipOut:
    viewer = require_scope(request, Scope.MEMBERSHIPS_READ)
    return _membership_out(selectors.membership_get(viewer=viewer, membership_id=membership_id))


@router.post("/memberships", response={201: MembershipOut}, summary="Grant a role")
def membership_create(request: HttpRequest, payload: MembershipIn) -> Status:
    viewer = require_scope(request, Scope.MEMBERSHIPS_WRITE)
    person = selectors.user_get(viewer=viewer, user_id=payload.user_id)
    group = (
        selectors.channel_group_get(viewer=viewer, channel_group_id=payload.channel_group_id)
        if payload.channel_group_id
        else None
    )
    membership = services.membership_grant(
        actor=viewer, user=person, role=payload.role, channel_group=group
    )
    return Status(201, _membership_out(membership))


@router.delete("/memberships/{membership_id}", response={204: None}, summary="Revoke a role")
def membership_delete(request: HttpRequest, membership_id: int) -> Status:
    viewer = require_scope(request, Scope.MEMBERSHIPS_WRITE)
    membership = selectors.membership_get(viewer=viewer, membership_id=membership_id)
    services.membership_revoke(actor=viewer, membership=membership)
    return Status(204, None)


@router.get("/teams", response=list[TeamOut])
def teams(request: HttpRequest) -> list[TeamOut]:
    viewer = require_scope(request, Scope.USERS_READ)
    return [_team_out(t) for t in selectors.team_list(viewer=viewer)]


@router.get("/teams/{team_id}", response=TeamOut)
def team_detail(request: HttpRequest, team_id: int) -> TeamOut:
    viewer = require_scope(request, Scope.USERS_READ)
    return _team_out(selectors.team_get(viewer=viewer, team_id=team_id))


@router.get("/brands", response=list[BrandOut])
def brands(request: HttpRequest) -> list[BrandOut]:
    viewer = require_scope(request, Scope.USERS_READ)
    return [BrandOut.from_orm(b) for b in selectors.brand_list(viewer=viewer)]


@router.get("/brands/{brand_id}", response=BrandOut)
def brand_detail(request: HttpRequest, brand_id: int) -> BrandOut:
    viewer = require_scope(request, Scope.USERS_READ)
    return BrandOut.from_orm(selectors.brand_get(viewer=viewer, brand_id=brand_id))


@router.get("/channel-groups", response=list[ChannelGroupOut])
def channel_groups(request: HttpRequest) -> list[ChannelGroupOut]:
    viewer = require_scope(request, Scope.USERS_READ)
    return [ChannelGroupOut.from_orm(g) for g in selectors.channel_group_list(viewer=viewer)]


@router.get("/channel-groups/{channel_group_id}", response=ChannelGroupOut)
def channel_group_detail(request: HttpRequest, channel_group_id: int) -> ChannelGroupOut:
    viewer = require_scope(request, Scope.USERS_READ)
    return ChannelGroupOut.from_orm(
        selectors.channel_group_get(viewer=viewer, channel_group_id=channel_group_id)
    )
