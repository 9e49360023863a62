"""The demo's analytics history: ninety days of readings on every demo channel, rollups
that add up, and live collection that carries on where the seed stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Min, Sum
from django.utils import timezone

from roost.analytics.collect import metrics_collect
from roost.analytics.demo import seed_demo_analytics
from roost.analytics.models import (
    POST_FIGURES,
    ChannelDay,
    PostMetricFact,
    PostMetricTotal,
)
from roost.analytics.record import channel_day_from_facts
from roost.channels.models import Channel
from roost.core.demo import seed_demo
from roost.publishing.demo import seed_demo_publishing
from roost.publishing.models import Variant, VariantState
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.history import SandboxHistory

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_demo_history_fills_ninety_days_and_live_readings_continue_it():
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_publishing(org)
    now = timezone.now()

    written = seed_demo_analytics(org, history=SandboxHistory(), now=now)

    assert written > 0
    channels = list(Channel.objects.filter(organization=org))
    for channel in channels:
        days = ChannelDay.objects.filter(channel=channel)
        # Weekly readings, then daily over the last thirty days.
        assert days.filter(followers__isnull=False).count() >= 30 + 6, channel
        first = days.aggregate(first=Min("day"))["first"]
        assert first <= (now - dt.timedelta(days=89)).date()
    published = Variant.objects.filter(
        organization=org,
        state=VariantState.PUBLISHED,
        published_at__gt=now - dt.timedelta(days=90),  # older ones are no longer read
    )
    assert PostMetricTotal.objects.filter(organization=org).count() == published.count() > 30
    # Totals are the sums of the facts, and every day's rollup is the sum of its facts.
    for total in PostMetricTotal.objects.filter(organization=org)[:20]:
        sums = PostMetricFact.objects.filter(variant_id=total.variant_id).aggregate(
            **{name: Sum(name) for name in POST_FIGURES}
        )
        assert {name: getattr(total, name) for name in POST_FIGURES} == {
            name: sums[name] or 0 for name in POST_FIGURES
        }
    busy = ChannelDay.objects.filter(organization=org, impressions__gt=0)
    assert busy.count() > 60
    for day in busy.order_by("?")[:15]:
        expected = channel_day_from_facts(channel=day.channel, day=day.day)
        assert {name: getattr(day, name) for name in POST_FIGURES} == expected
    assert ChannelDay.objects.filter(organization=org, follower_growth__gt=0).exists()

    # Seeded once.
    assert seed_demo_analytics(org, history=SandboxHistory(), now=now) == 0

    # The job reads the same curves live: no figure jumps back.
    later = timezone.now()
    result = metrics_collect(clock=timezone.now)
    assert result.posts_read > 0 and result.skipped_channels == {}
    live = PostMetricFact.objects.filter(organization=org, read_at__gte=later)
    assert live.exists()
    assert not live.filter(impressions__lt=0).exists()
    assert not live.filter(likes__lt=0).exists()
