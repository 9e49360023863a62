"""Readings become facts that add up: a post's totals and a channel's days are the sums
of its facts, whatever the order and number of readings."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from roost.analytics.models import POST_FIGURES, ChannelDay, PostMetricFact, PostMetricTotal
from roost.analytics.record import (
    PostReading,
    channel_day_from_facts,
    channel_days_rebuild,
    channel_reading_record,
    post_reading_record,
)
from roost.channels.connectors.base import ChannelStats, PostMetrics

START = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_post_read_three_times_stores_its_growth_and_its_totals_match_the_network(
    channel, make_published
):
    variant = make_published(channel, START)
    post_reading_record(
        variant=variant,
        reading=PostReading(impressions=100, likes=5),
        read_at=START + dt.timedelta(hours=1),
    )
    post_reading_record(
        variant=variant,
        reading=PostReading(impressions=250, likes=9),
        read_at=START + dt.timedelta(hours=6),
    )
    post_reading_record(
        variant=variant,
        reading=PostReading(impressions=300, likes=8),
        read_at=START + dt.timedelta(days=1),
    )
    facts = list(PostMetricFact.objects.filter(variant=variant).order_by("read_at"))
    assert [(f.impressions, f.likes) for f in facts] == [(100, 5), (150, 4), (50, -1)]
    total = PostMetricTotal.objects.get(variant=variant)
    assert (total.impressions, total.likes, total.readings) == (300, 8, 3)
    assert total.offered == ["impressions", "likes"]
    first, second = (
        ChannelDay.objects.get(channel=channel, day=START.date() + dt.timedelta(days=n))
        for n in (0, 1)
    )
    assert (first.impressions, first.likes, first.posts_published) == (250, 9, 1)
    assert (second.impressions, second.likes, second.posts_published) == (50, -1, 0)


@pytest.mark.django_db
def test_an_older_or_unchanged_reading_adds_nothing(channel, make_published):
    variant = make_published(channel, START)
    later = START + dt.timedelta(hours=5)
    assert post_reading_record(variant=variant, reading=PostReading(likes=3), read_at=later)
    assert (
        post_reading_record(
            variant=variant, reading=PostReading(likes=1), read_at=START + dt.timedelta(hours=2)
        )
        is None
    )
    assert (
        post_reading_record(
            variant=variant, reading=PostReading(likes=3), read_at=later + dt.timedelta(hours=1)
        )
        is None
    )
    assert PostMetricFact.objects.filter(variant=variant).count() == 1
    assert PostMetricTotal.objects.get(variant=variant).likes == 3


@pytest.mark.django_db
def test_rollups_equal_the_sums_of_facts_over_random_readings(make_channel, make_published):
    chance = random.Random(7)
    channels = [make_channel(handle=f"acme{n}") for n in range(3)]
    for channel in channels:
        for n in range(4):
            variant = make_published(channel, START + dt.timedelta(hours=7 * n))
            totals = dict.fromkeys(POST_FIGURES, 0)
            at = variant.published_at
            for _ in range(chance.randint(1, 9)):
                at += dt.timedelta(hours=chance.randint(1, 30))
                totals = {name: value + chance.randint(-2, 40) for name, value in totals.items()}
                post_reading_record(variant=variant, reading=PostReading(**totals), read_at=at)
            total = PostMetricTotal.objects.get(variant=variant)
            assert {name: getattr(total, name) for name in POST_FIGURES} == totals
    for channel in channels:
        days = ChannelDay.objects.filter(channel=channel)
        assert days.exists()
        for day in days:
            assert {name: getattr(day, name) for name in POST_FIGURES} == channel_day_from_facts(
                channel=channel, day=day.day
            )
        assert sum(day.posts_published for day in days) == 4


@pytest.mark.django_db
def test_a_rebuild_restores_a_damaged_rollup(channel, make_published):
    variant = make_published(channel, START)
    post_reading_record(
        variant=variant,
        reading=PostReading(likes=7, reach=70),
        read_at=START + dt.timedelta(hours=3),
    )
    ChannelDay.objects.filter(channel=channel).update(likes=999)
    assert channel_days_rebuild(channel=channel, start=START.date(), end=START.date()) == 1
    assert ChannelDay.objects.get(channel=channel, day=START.date()).likes == 7


@pytest.mark.django_db
def test_connector_figures_map_replies_to_comments_and_reposts_and_quotes_to_shares():
    reading = PostReading.from_connector(PostMetrics(likes=4, reposts=2, replies=3, quotes=1))
    assert (reading.likes, reading.comments, reading.shares, reading.impressions) == (4, 3, 3, None)
    assert reading.offered() == ["likes", "comments", "shares"]


@pytest.mark.django_db
def test_channel_readings_give_followers_growth_and_profile_views_per_day(channel):
    channel_reading_record(
        channel=channel, stats=ChannelStats(followers=1000, profile_views=50), read_at=START
    )
    channel_reading_record(
        channel=channel,
        stats=ChannelStats(followers=1040, profile_views=80),
        read_at=START + dt.timedelta(hours=10),
    )
    channel_reading_record(
        channel=channel,
        stats=ChannelStats(followers=1030, profile_views=95),
        read_at=START + dt.timedelta(days=1, hours=1),
    )
    first = ChannelDay.objects.get(channel=channel, day=START.date())
    second = ChannelDay.objects.get(channel=channel, day=START.date() + dt.timedelta(days=1))
    assert (first.followers, first.follower_growth, first.profile_views) == (1040, 40, 30)
    assert (second.followers, second.follower_growth, second.profile_views) == (1030, -10, 15)
