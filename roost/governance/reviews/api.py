"""Access reviews over the API: the same selectors and services as the pages.

Ids in a request body that the viewer cannot use answer 422 naming the field; ids in the
path answer 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Moment
from roost.core.api_access.tokens import Scope
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, User
from roost.governance.reviews import report, selectors, services
from roost.governance.reviews.models import Campaign, ReviewItem

router = Router(tags=["access reviews"])


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class CampaignIn(Input):
    name: Annotated[str, Strict(), Field(min_length=1, max_length=200)]
    due_at: Moment
    # Omitted or null: every channel group.
    channel_group_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    include_organization_wide: Flag = False


class ProgressOut(Schema):
    total: int
    decided: int
    kept: int
    revoked: int
    gone: int
    pending: int
    percent: int


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    owner_id: int
    due_at: dt.datetime
    started_at: dt.datetime
    closed_at: dt.datetime | None
    escalated_at: dt.datetime | None
    all_channel_groups: bool
    channel_group_ids: list[int]
    include_organization_wide: bool
    overdue: bool
    progress: ProgressOut


class ItemOut(Schema):
    id: int
    campaign_id: int
    campaign_name: str
    due_at: dt.datetime
    person_id: int
    person_email: str
    role: str
    channel_group_id: int | None
    scope: str
    granted_at: dt.datetime
    grant_exists: bool
    decision: str
    comment: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    revoked_at: dt.datetime | None


class AttestIn(Input):
    decision: Annotated[str, Strict(), Field(max_length=20)]
    comment: Annotated[str, Strict(), Field(max_length=1000)] = ""


class ReportRowOut(Schema):
    person: str
    email: str
    role: str
    scope: str
    granted_at: dt.datetime
    reviewers: str
    decision: str
    decided_by: str
    decided_at: dt.datetime | None
    comment: str
    revoked_at: dt.datetime | None


class ReportOut(Schema):
    campaign: CampaignOut
    scope: str
    rows: list[ReportRowOut]


def _campaign_out(campaign: Campaign) -> CampaignOut:
    progress = selectors.progress_of(campaign)
    return CampaignOut(
        id=campaign.pk,
        name=campaign.name,
        status=campaign.status,
        owner_id=campaign.owner_id,
        due_at=campaign.due_at,
        started_at=campaign.started_at,
        closed_at=campaign.closed_at,
        escalated_at=campaign.escalated_at,
        all_channel_groups=campaign.all_channel_groups,
        channel_group_ids=sorted(campaign.channel_groups.values_list("pk", flat=True)),
        include_organization_wide=campaign.include_organization_wide,
        overdue=selectors.is_overdue(campaign),
        progress=ProgressOut(
            total=progress.total,
            decided=progress.decided,
            kept=progress.kept,
            revoked=progress.revoked,
            gone=progress.gone,
            pending=progress.pending,
            percent=progress.percent,
        ),
    )


def _item_out(item: ReviewItem) -> ItemOut:
    return ItemOut(
        id=item.pk,
        campaign_id=item.campaign_id,
        campaign_name=item.campaign.name,
        due_at=item.campaign.due_at,
        person_id=item.person_id,
        person_email=item.person.email,
        role=item.role,
        channel_group_id=item.channel_group_id,
        scope=item.scope_label,
        granted_at=item.granted_at,
        grant_exists=item.membership_id is not None,
        decision=item.decision,
        comment=item.comment,
        decided_by_id=item.decided_by_id,
        decided_at=item.decided_at,
        revoked_at=item.revoked_at,
    )


def _groups(viewer: User, ids: list[int] | None) -> list[ChannelGroup] | None:
    if ids is None:
        return None
    found = list(
        ChannelGroup.objects.filter(organization_id=viewer.organization_id, pk__in=set(ids))
    )
    if len(found) != len(set(ids)):
        raise ApplicationError(
            ErrorCode.INVALID, "No such channel group.", field="channel_group_ids"
        )
    return found


@router.get(
    "/access-reviews/campaigns", response=list[CampaignOut], summary="Access reviews, newest first"
)
def campaign_list(request: HttpRequest) -> list[CampaignOut]:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_READ)
    return [_campaign_out(c) for c in selectors.campaign_list(viewer=viewer)[:200]]


@router.post(
    "/access-reviews/campaigns", response={201: CampaignOut}, summary="Start an access review"
)
def campaign_start(request: HttpRequest, payload: CampaignIn) -> Status:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_WRITE)
    campaign = services.campaign_start(
        actor=viewer,
        organization=viewer.organization,
        name=payload.name,
        due_at=payload.due_at,
        channel_groups=_groups(viewer, payload.channel_group_ids),
        include_organization_wide=payload.include_organization_wide,
    )
    return Status(201, _campaign_out(campaign))


@router.get(
    "/access-reviews/campaigns/{campaign_id}", response=CampaignOut, summary="An access review"
)
def campaign_get(request: HttpRequest, campaign_id: int) -> CampaignOut:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_READ)
    return _campaign_out(selectors.campaign_get(viewer=viewer, campaign_id=campaign_id))


@router.post(
    "/access-reviews/campaigns/{campaign_id}/close",
    response=CampaignOut,
    summary="Close an access review",
)
def campaign_close(request: HttpRequest, campaign_id: int) -> CampaignOut:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_WRITE)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    return _campaign_out(services.campaign_close(actor=viewer, campaign=campaign))


@router.get(
    "/access-reviews/campaigns/{campaign_id}/report",
    response=ReportOut,
    summary="An access review's report: every item, who decided what and when",
)
def campaign_report(request: HttpRequest, campaign_id: int) -> ReportOut:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_READ)
    campaign = selectors.campaign_get(viewer=viewer, campaign_id=campaign_id)
    made = report.report_of(campaign)
    return ReportOut(
        campaign=_campaign_out(campaign),
        scope=made.scope,
        rows=[ReportRowOut(**vars(row)) for row in made.rows],
    )


@router.get(
    "/access-reviews/items",
    response=list[ItemOut],
    summary="The grants awaiting your decision in open access reviews",
)
def my_items(request: HttpRequest) -> list[ItemOut]:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_READ)
    return [_item_out(item) for item in selectors.my_items(viewer=viewer)[:1000]]


@router.post(
    "/access-reviews/items/{item_id}/attest",
    response=ItemOut,
    summary="Keep or revoke a grant you review",
)
def item_attest(request: HttpRequest, item_id: int, payload: AttestIn) -> ItemOut:
    viewer = require_scope(request, Scope.ACCESS_REVIEWS_WRITE)
    item = selectors.my_item_get(viewer=viewer, item_id=item_id)
    decided = services.item_attest(
        actor=viewer, item=item, decision=payload.decision, comment=payload.comment
    )
    return _item_out(decided)
