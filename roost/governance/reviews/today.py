"""The Today card of a reviewer with grants awaiting their decision."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from roost.core.models import User
from roost.core.permissions import Action, can_somewhere
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayItem
from roost.governance.reviews.selectors import my_items


def today_access_reviews(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """None unless the viewer has pending items: one query then, two when there are some,
    and none for people who may not attest anywhere."""
    if not can_somewhere(viewer, Action.ACCESS_REVIEW_ATTEST):
        return None  # from the grants already read: no query for everyone else
    pending = my_items(viewer=viewer)
    shown = list(pending[:ITEMS_SHOWN])
    if not shown:
        return None
    total = pending.count()
    url = reverse("access_reviews:mine")
    return TodayCard(
        key="access_reviews",
        title="Access to review",
        items=[
            TodayItem(
                label=f"{item.person.name}: {item.role_label} on {item.scope_label}",
                url=url,
                detail=item.campaign.name,
                at=item.campaign.due_at,
                at_label="due",
                tone="late" if item.campaign.due_at <= now else "",
            )
            for item in shown
        ],
        total=total,
        url=url,
        url_label="Review them",
        empty="No access to review.",
    )
