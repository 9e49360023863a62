"""The demo organisation's analytics history: ninety days of readings of its published
posts and of its channels, written as the collection job would have written them
(`post_reading_record`, `channel_reading_record`), so that every dashboard has data.

Analytics does not reach the demo's network itself: whoever seeds the demo hands in a
`NetworkHistory` that answers "what did the network report at that moment" (the
sandbox's, `roost.sandbox.history.SandboxHistory`). Since those answers are the same
curves the network reports live, the collection job carries on where the seed stopped.
Seeded once; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from roost.analytics.collect import DAILY_UNTIL, HOURLY_UNTIL, READ_UNTIL
from roost.analytics.models import ChannelMetricFact, PostMetricTotal
from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
from roost.channels.connectors.base import ChannelStats, PostMetrics
from roost.channels.models import Channel, ChannelStatus
from roost.core.models import Organization
from roost.publishing.models import Variant, VariantState

HISTORY = dt.timedelta(days=90)
# When a post of the history was read, by its age: a thinner version of the job's
# schedule (hourly, then daily, then weekly) that keeps the seed quick (the demo is
# seeded by many tests).
READING_AGES = (
    dt.timedelta(hours=2),
    dt.timedelta(hours=20),
    HOURLY_UNTIL,
    dt.timedelta(days=7),
    DAILY_UNTIL,
    READ_UNTIL - dt.timedelta(hours=1),
)
# The channels' own figures were read at this time (UTC): daily over the last
# `DAILY_CHANNEL_READINGS` days, weekly before.
CHANNEL_READING_HOUR = 6
DAILY_CHANNEL_READINGS = dt.timedelta(days=30)


class NetworkHistory(Protocol):
    """What the network reported at a past moment (None: it has no such post or account)."""

    def post_metrics(
        self, *, channel: Channel, external_id: str, published_at: dt.datetime, at: dt.datetime
    ) -> PostMetrics | None: ...

    def channel_stats(self, *, channel: Channel, at: dt.datetime) -> ChannelStats | None: ...


def seed_demo_analytics(
    org: Organization, *, history: NetworkHistory, now: dt.datetime | None = None
) -> int:
    """Write the readings of the last ninety days unless the organisation has some
    already; return how many readings were written."""
    if (
        PostMetricTotal.objects.filter(organization=org).exists()
        or ChannelMetricFact.objects.filter(organization=org).exists()
    ):
        return 0
    moment = now or timezone.now()
    channels = list(
        Channel.objects.filter(organization=org, status=ChannelStatus.ACTIVE).order_by("pk")
    )
    written = 0
    # One transaction: thousands of readings, each its own commit, would be slow to seed.
    with transaction.atomic():
        for channel in channels:
            written += _seed_channel(channel=channel, history=history, now=moment)
        for variant in _history_posts(org=org, now=moment):
            written += _seed_post(variant=variant, history=history, now=moment)
    return written


def _history_posts(*, org: Organization, now: dt.datetime) -> QuerySet[Variant]:
    return (
        Variant.objects.filter(
            organization=org,
            state=VariantState.PUBLISHED,
            published_at__gt=now - HISTORY,
            published_at__lte=now,
        )
        .exclude(external_id="")
        .select_related("channel", "post")
        .order_by("published_at", "pk")
    )


def _seed_channel(*, channel: Channel, history: NetworkHistory, now: dt.datetime) -> int:
    first = (now - HISTORY).replace(hour=CHANNEL_READING_HOUR, minute=0, second=0, microsecond=0)
    written = 0
    at = first
    while at <= now:
        stats = history.channel_stats(channel=channel, at=at)
        if stats is None:
            return written
        channel_reading_record(channel=channel, stats=stats, read_at=at)
        written += 1
        at += dt.timedelta(days=1 if now - at <= DAILY_CHANNEL_READINGS else 7)
    return written


def _seed_post(*, variant: Variant, history: NetworkHistory, now: dt.datetime) -> int:
    published_at = variant.published_at
    assert published_at is not None
    written = 0
    for age in READING_AGES:
        at = published_at + age
        if at > now:
            break
        metrics = history.post_metrics(
            channel=variant.channel,
            external_id=variant.external_id,
            published_at=published_at,
            at=at,
        )
        if metrics is None:
            return written
        post_reading_record(
            variant=variant, reading=PostReading.from_connector(metrics), read_at=at
        )
        written += 1
    return written
