"""Channels' card on Today (declared in `apps.py`, see `roost.core.today`): the channels
the viewer owns or backs up that have a health problem. A selector: the viewer's
organisation and channel groups only, two queries however many channels there are."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse

from roost.channels.selectors import (
    HEALTH_LABELS,
    Health,
    channel_list,
    channel_problems,
    troubled_q,
)
from roost.core.models import User
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayItem

# A call that fails, or a credential about to lapse, stops publishing; the rest can wait.
SERIOUS = (Health.ERROR, Health.EXPIRING)


def today_channel_health(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """None for whoever owns and backs up no channel."""
    mine = channel_list(viewer=viewer).filter(Q(primary_owner=viewer) | Q(backup_owner=viewer))
    troubled = troubled_q()
    tally = mine.order_by().aggregate(owned=Count("pk"), troubled=Count("pk", filter=troubled))
    if not tally["owned"]:
        return None
    items = []
    for channel in mine.filter(troubled)[:ITEMS_SHOWN]:
        problems = [p for p in channel_problems(channel) if p is not Health.OK]
        role = "You own it" if channel.primary_owner_id == viewer.pk else "You back it up"
        name = channel.display_name or channel.handle
        items.append(
            TodayItem(
                label=f"{name} ({channel.network} {channel.placement})",
                url=reverse("channels:detail", args=[channel.pk]),
                detail=f"{'; '.join(HEALTH_LABELS[p] for p in problems)} · {role}",
                tone="late" if any(p in SERIOUS for p in problems) else "",
            )
        )
    return TodayCard(
        key="channel_health",
        title="Your channels' health",
        items=items,
        total=tally["troubled"],
        url=reverse("channels:list"),
        url_label="All channels",
        empty="Every channel you own or back up is healthy.",
    )
