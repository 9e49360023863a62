"""The review rows this app locks, through core's one way of locking."""

from __future__ import annotations

from collections.abc import Iterable

from roost.core import locks
from roost.core.models import Membership
from roost.governance.reviews.models import Campaign, ReviewItem


def campaign_locked(campaign_id: int) -> Campaign:
    return locks.locked_one(Campaign.objects.all(), campaign_id)


def items_locked(item_ids: Iterable[int]) -> list[ReviewItem]:
    return locks.locked(
        ReviewItem.objects.filter(pk__in=sorted(set(item_ids))).select_related(
            "campaign", "person", "channel_group", "membership"
        ),
        of=("self",),
    )


def grants_locked(item_ids: Iterable[int]) -> list[Membership]:
    """Lock the grants the items review (those that still exist)."""
    grant_ids = ReviewItem.objects.filter(pk__in=list(item_ids), membership__isnull=False)
    return locks.locked_ids(Membership, grant_ids.values_list("membership_id", flat=True))
