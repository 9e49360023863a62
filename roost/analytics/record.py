"""Writing what the networks report: readings become facts, facts move the rollups.

Every function here is called by the collection job (or by a test, or the demo's seed)
with what a connector read. A reading repeats the network's totals; what is stored is
how much they grew since the previous reading, so that facts add up everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from roost.analytics.models import (
    POST_FIGURES,
    ChannelDay,
    ChannelMetricFact,
    PostMetricFact,
    PostMetricTotal,
)
from roost.channels.connectors.base import ChannelStats, PostMetrics
from roost.channels.models import Channel
from roost.publishing.models import Variant


@dataclass(frozen=True)
class PostReading:
    """A post's totals as one reading gave them; None: the network gives no such figure."""

    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    link_clicks: int | None = None
    video_views: int | None = None

    @classmethod
    def from_connector(cls, metrics: PostMetrics) -> PostReading:
        """Roost's figures from a connector's: replies are comments; reposts and quotes
        are shares."""
        return cls(
            impressions=metrics.impressions,
            reach=metrics.reach,
            likes=metrics.likes,
            comments=metrics.replies,
            shares=metrics.reposts + metrics.quotes,
            saves=metrics.saves,
            link_clicks=metrics.link_clicks,
            video_views=metrics.video_views,
        )

    def offered(self) -> list[str]:
        return [field.name for field in fields(self) if getattr(self, field.name) is not None]


assert tuple(field.name for field in fields(PostReading)) == POST_FIGURES


def post_reading_record(
    *, variant: Variant, reading: PostReading, read_at: dt.datetime
) -> PostMetricFact | None:
    """Store how much the post's figures grew since its previous reading, add that to its
    channel's day, and move its totals. A reading older than the latest one is ignored,
    and so is one that changed nothing (None is returned: no fact)."""
    if variant.published_at is None:
        raise ValueError("Only a published post has figures.")
    with transaction.atomic():
        total = PostMetricTotal.objects.select_for_update().filter(variant=variant).first()
        if total is None:
            total = _total_create(variant=variant, read_at=read_at)
        elif read_at <= total.read_at:
            return None
        growth = {
            name: value - getattr(total, name)
            for name, value in _values(reading).items()
            if value is not None
        }
        offered = sorted(set(total.offered) | set(reading.offered()), key=POST_FIGURES.index)
        PostMetricTotal.objects.filter(pk=total.pk).update(
            read_at=read_at,
            readings=F("readings") + 1,
            offered=offered,
            **{name: F(name) + change for name, change in growth.items() if change},
        )
        if not any(growth.values()):
            return None
        fact = PostMetricFact.objects.create(
            organization_id=variant.organization_id,
            variant=variant,
            channel_id=variant.channel_id,
            read_at=read_at,
            day=read_at.astimezone(dt.UTC).date(),
            **growth,
        )
        _channel_day_add(
            channel_id=variant.channel_id,
            organization_id=variant.organization_id,
            day=fact.day,
            changes={name: F(name) + change for name, change in growth.items() if change},
        )
        return fact


def _values(reading: PostReading) -> dict[str, int | None]:
    return {name: getattr(reading, name) for name in POST_FIGURES}


def _total_create(*, variant: Variant, read_at: dt.datetime) -> PostMetricTotal:
    """The post's totals row, all zero, and one more post on its channel's day of
    publishing."""
    published_at = variant.published_at
    assert published_at is not None
    try:
        with transaction.atomic():
            total = PostMetricTotal.objects.create(
                organization_id=variant.organization_id,
                variant=variant,
                channel_id=variant.channel_id,
                campaign_id=variant.post.campaign_id,
                published_at=published_at,
                first_read_at=read_at,
                read_at=published_at,
            )
    except IntegrityError:
        # Another reader created it first: wait for its transaction and use it.
        return PostMetricTotal.objects.select_for_update().get(variant=variant)
    _channel_day_add(
        channel_id=variant.channel_id,
        organization_id=variant.organization_id,
        day=published_at.astimezone(dt.UTC).date(),
        changes={"posts_published": F("posts_published") + 1},
    )
    return total


def channel_reading_record(
    *, channel: Channel, stats: ChannelStats, read_at: dt.datetime
) -> ChannelMetricFact:
    """Store a reading of the channel's own figures; its day gets the followers at its
    latest reading, the growth since the previous reading, and the profile views since."""
    with transaction.atomic():
        previous = (
            ChannelMetricFact.objects.filter(channel=channel, read_at__lt=read_at)
            .order_by("-read_at")
            .first()
        )
        fact = ChannelMetricFact.objects.create(
            organization_id=channel.organization_id,
            channel=channel,
            read_at=read_at,
            followers=stats.followers,
            profile_views=stats.profile_views or 0,
        )
        day = read_at.astimezone(dt.UTC).date()
        changes: dict[str, object] = {}
        if previous is not None and previous.followers is not None and stats.followers is not None:
            changes["follower_growth"] = F("follower_growth") + (
                stats.followers - previous.followers
            )
        if previous is not None and stats.profile_views is not None:
            changes["profile_views"] = F("profile_views") + max(
                0, stats.profile_views - previous.profile_views
            )
        later = ChannelMetricFact.objects.filter(channel=channel, read_at__gt=read_at).exists()
        if stats.followers is not None and not later:
            changes["followers"] = stats.followers
        _channel_day_add(
            channel_id=channel.pk,
            organization_id=channel.organization_id,
            day=day,
            changes=changes,
        )
        return fact


def _channel_day_add(
    *, channel_id: int, organization_id: int, day: dt.date, changes: Mapping[str, object]
) -> None:
    """Apply the changes (F expressions or values) to the channel's day, creating it."""
    updated = ChannelDay.objects.filter(channel_id=channel_id, day=day).update(**changes)
    if updated:
        return
    network = Channel.objects.filter(pk=channel_id).values_list("network", flat=True).get()
    try:
        with transaction.atomic():
            ChannelDay.objects.create(
                organization_id=organization_id, channel_id=channel_id, day=day, network=network
            )
    except IntegrityError:
        pass  # created meanwhile by another reader
    ChannelDay.objects.filter(channel_id=channel_id, day=day).update(**changes)


def channel_day_from_facts(*, channel: Channel, day: dt.date) -> dict[str, int]:
    """The post figures of a channel's day summed from its facts: what its rollup must
    hold (the tests and `channel_days_rebuild` use it)."""
    sums = PostMetricFact.objects.filter(channel=channel, day=day).aggregate(
        **{name: Sum(name) for name in POST_FIGURES}
    )
    return {name: int(sums[name] or 0) for name in POST_FIGURES}


def channel_days_rebuild(*, channel: Channel, start: dt.date, end: dt.date) -> int:
    """Recompute the post figures of the channel's days from start to end (inclusive)
    from the facts, for a repair after an import; returns the number of days set."""
    changed = 0
    day = start
    while day <= end:
        sums = channel_day_from_facts(channel=channel, day=day)
        if any(sums.values()) or ChannelDay.objects.filter(channel=channel, day=day).exists():
            _channel_day_add(
                channel_id=channel.pk,
                organization_id=channel.organization_id,
                day=day,
                changes=sums,
            )
            changed += 1
        day += dt.timedelta(days=1)
    return changed
