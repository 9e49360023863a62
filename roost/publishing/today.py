"""Publishing's cards on Today (declared in `apps.py`, see `roost.core.today`).

- approvals waiting for the viewer, soonest due first;
- posts going out later today on the viewer's channels (owned or backed up) or written
  by the viewer;
- posts a person must settle: a channel copy failed, or its outcome is unknown.

Each is a selector: the viewer's organisation and permissions only, a fixed number of
queries however much work there is.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import Truncator

from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayCount, TodayItem
from roost.publishing.approvals.selectors import approval_queue_rows
from roost.publishing.models import Post, Variant, VariantState

SOON = dt.timedelta(hours=1)
# Still to go out: waiting for its time, for approval, or held by a pause.
GOING_OUT = (
    VariantState.IN_APPROVAL,
    VariantState.APPROVED,
    VariantState.SCHEDULED,
    VariantState.SENDING,
    VariantState.PAUSED,
)
NEEDS_PERSON = (VariantState.UNCONFIRMED, VariantState.FAILED)


def _label(post: Post) -> str:
    return Truncator(str(post)).chars(90)


def _channels_text(handles: Iterable[str]) -> str:
    names = list(dict.fromkeys(handles))
    shown = ", ".join(names[:3])
    return f"{shown} and {len(names) - 3} more" if len(names) > 3 else shown


def _due_tone(due: dt.datetime | None, now: dt.datetime) -> str:
    if due is None:
        return ""
    if due < now:
        return "late"
    return "soon" if due - now <= SOON else ""


def today_approvals(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """Posts whose current approval step the viewer may decide, soonest due first.
    None for whoever may approve nowhere."""
    allowed = channel_group_ids_allowed(viewer, Action.POST_APPROVE)
    if allowed is not None and not allowed:
        return None
    rows = approval_queue_rows(viewer=viewer, now=now)
    items = [
        TodayItem(
            label=_label(row.post),
            url=reverse("approvals:post", args=[row.post.pk]),
            detail=(
                f"{row.step.name} · from {row.post.author.name or row.post.author.email}"
                f" · {_channels_text(c.handle for c in row.channels)}"
            ),
            at=row.due_at,
            at_label="Overdue since" if row.overdue else "Due",
            tone=_due_tone(row.due_at, now),
        )
        for row in rows[:ITEMS_SHOWN]
    ]
    return TodayCard(
        key="approvals",
        title="Waiting for your approval",
        items=items,
        total=len(rows),
        url=reverse("approvals:queue"),
        url_label="All approvals",
        empty="No post is waiting for your approval.",
    )


def _local_day(viewer: User, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of the viewer's day, in their time zone."""
    try:
        zone = zoneinfo.ZoneInfo(viewer.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def _by_post(variants: Iterable[Variant]) -> list[list[Variant]]:
    """Variants grouped by post, in the order of each post's first variant."""
    grouped: dict[int, list[Variant]] = {}
    for variant in variants:
        grouped.setdefault(variant.post_id, []).append(variant)
    return list(grouped.values())


def _visible(viewer: User, action: Action) -> QuerySet[Variant] | None:
    """The organisation's variants on the groups where the viewer may take `action`;
    None when that is nowhere."""
    allowed = channel_group_ids_allowed(viewer, action)
    if allowed is not None and not allowed:
        return None
    variants = Variant.objects.filter(organization_id=viewer.organization_id)
    if allowed is not None:
        variants = variants.filter(channel__channel_group_id__in=allowed)
    return variants


def _post_count(variants: QuerySet[Variant]) -> int:
    return variants.values("post_id").distinct().count()


def today_going_out(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """Posts still to go out today (the viewer's day) on channels the viewer owns or backs
    up, or that the viewer wrote; in the order they go out."""
    start, end = _local_day(viewer, now)
    mine = (
        Q(channel__primary_owner=viewer) | Q(channel__backup_owner=viewer) | Q(post__author=viewer)
    )
    visible = _visible(viewer, Action.POST_VIEW)
    if visible is None:
        return None
    going = visible.filter(mine, state__in=GOING_OUT, scheduled_at__gte=start, scheduled_at__lt=end)
    total = _post_count(going)
    # Enough rows for the first posts even when each has several channels.
    rows = going.select_related("post", "channel").order_by("scheduled_at", "pk")
    posts = _by_post(rows[: ITEMS_SHOWN * 8])[:ITEMS_SHOWN]
    items = []
    for variants in posts:
        first = variants[0]
        states = {v.state for v in variants}
        badge = ""
        if VariantState.PAUSED in states:
            badge = "Paused"
        elif VariantState.IN_APPROVAL in states:
            badge = "Not approved yet"
        items.append(
            TodayItem(
                label=_label(first.post),
                url=reverse("publishing:detail", args=[first.post_id]),
                detail=_channels_text(v.channel.handle for v in variants),
                at=first.scheduled_at,
                at_label="Goes out",
                tone="late" if badge else "",
                badge=badge,
            )
        )
    calendar = reverse("publishing:calendar")
    day = start.date().isoformat()
    return TodayCard(
        key="going_out",
        title="Going out today",
        items=items,
        total=total,
        url=f"{calendar}?{urlencode({'view': 'week', 'date': day})}",
        url_label="This week's calendar",
        empty="Nothing more goes out today on your channels.",
    )


def today_needs_person(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """Posts with a channel copy that failed or whose outcome is unknown, on the groups
    where the viewer may write posts (and so settle them); unknown outcomes first. None
    for whoever may write posts nowhere."""
    editable = _visible(viewer, Action.POST_EDIT)
    if editable is None:
        return None
    stuck = editable.filter(state__in=NEEDS_PERSON)
    tally = stuck.aggregate(
        posts=Count("post_id", distinct=True),
        unconfirmed=Count("post_id", distinct=True, filter=Q(state=VariantState.UNCONFIRMED)),
        failed=Count("post_id", distinct=True, filter=Q(state=VariantState.FAILED)),
    )
    # "unconfirmed" sorts after "failed", so descending puts unknown outcomes first.
    rows = stuck.select_related("post", "channel").order_by("-state", "-scheduled_at", "-pk")
    items = []
    for variants in _by_post(rows[: ITEMS_SHOWN * 8])[:ITEMS_SHOWN]:
        first = variants[0]
        unconfirmed = any(v.state == VariantState.UNCONFIRMED for v in variants)
        error = next((v.last_error for v in variants if v.last_error), "")
        detail = _channels_text(v.channel.handle for v in variants)
        if error:
            detail = f"{detail} · {Truncator(error).chars(80)}"
        items.append(
            TodayItem(
                label=_label(first.post),
                url=reverse("publishing:detail", args=[first.post_id]),
                detail=detail,
                at=first.scheduled_at,
                at_label="Was due",
                tone="late",
                badge="Outcome unknown" if unconfirmed else "Failed",
            )
        )
    index = reverse("publishing:index")
    counts = [
        TodayCount(
            label="Outcome unknown",
            count=tally["unconfirmed"],
            url=f"{index}?variant_state={VariantState.UNCONFIRMED}",
            tone="late",
        ),
        TodayCount(
            label="Failed",
            count=tally["failed"],
            url=f"{index}?variant_state={VariantState.FAILED}",
            tone="late",
        ),
    ]
    return TodayCard(
        key="needs_person",
        title="Posts that need a person",
        items=items,
        total=tally["posts"],
        counts=[count for count in counts if count.count],
        empty="No post has failed or is waiting to be confirmed.",
    )
