"""Reads of access reviews, with the organisation and the viewer's rights applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.governance.reviews.models import Campaign, CampaignStatus, Decision, ReviewItem


def campaign_list(*, viewer: User) -> QuerySet[Campaign]:
    require(viewer, Action.ACCESS_REVIEW_RUN)
    return Campaign.objects.filter(organization_id=viewer.organization_id).select_related("owner")


def campaign_get(*, viewer: User, campaign_id: int) -> Campaign:
    require(viewer, Action.ACCESS_REVIEW_RUN)
    campaign = (
        Campaign.objects.filter(organization_id=viewer.organization_id, pk=campaign_id)
        .select_related("owner", "closed_by", "organization")
        .first()
    )
    if campaign is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Campaign not found.")
    return campaign


@dataclass(frozen=True)
class Progress:
    total: int
    kept: int
    revoked: int
    gone: int
    pending: int

    @property
    def decided(self) -> int:
        return self.total - self.pending

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def progress_of(campaign: Campaign) -> Progress:
    counts = dict(campaign.items.values_list("decision").annotate(n=Count("pk")).order_by())
    return Progress(
        total=sum(counts.values()),
        kept=counts.get(Decision.KEEP, 0),
        revoked=counts.get(Decision.REVOKE, 0),
        gone=counts.get(Decision.GONE, 0),
        pending=counts.get(Decision.PENDING, 0),
    )


def campaign_items(campaign: Campaign) -> QuerySet[ReviewItem]:
    return campaign.items.select_related("person", "decided_by").prefetch_related(
        Prefetch("reviewers", queryset=User.objects.order_by("name"))
    )


def my_items(*, viewer: User, pending_only: bool = True) -> QuerySet[ReviewItem]:
    """The items assigned to the viewer in open campaigns of their organisation."""
    items = ReviewItem.objects.filter(
        organization_id=viewer.organization_id,
        reviewers=viewer,
        campaign__status=CampaignStatus.OPEN,
    ).select_related("campaign", "person", "membership")
    if pending_only:
        items = items.filter(decision=Decision.PENDING)
    return items.order_by("campaign__due_at", "scope_label", "person__name", "role", "pk")


def my_item_get(*, viewer: User, item_id: int) -> ReviewItem:
    """An item of the viewer's organisation (whose it is, the service decides)."""
    item = (
        ReviewItem.objects.filter(organization_id=viewer.organization_id, pk=item_id)
        .select_related("campaign", "person")
        .first()
    )
    if item is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Review item not found.")
    return item


@dataclass
class GroupOfItems:
    campaign: Campaign
    scope_label: str
    items: list[ReviewItem] = field(default_factory=list)


def my_items_grouped(*, viewer: User) -> list[GroupOfItems]:
    """The viewer's pending items per campaign and channel group, soonest due first."""
    groups = []
    for (campaign, scope), rows in groupby(
        my_items(viewer=viewer), key=lambda item: (item.campaign, item.scope_label)
    ):
        groups.append(GroupOfItems(campaign=campaign, scope_label=scope, items=list(rows)))
    return groups


def is_overdue(campaign: Campaign, *, now: dt.datetime | None = None) -> bool:
    return campaign.is_open and campaign.due_at <= (now or timezone.now())
