"""The best time to post: engagement by hour of week in the channel's own zone, with how
sure each hour is, checked against hand-computed figures."""

from __future__ import annotations

import datetime as dt
import math
import statistics
import zoneinfo

import pytest

from roost.analytics.best_time import (
    MIN_POSTS,
    NOT_ENOUGH,
    PRIOR_POSTS,
    Z_90,
    Slot,
    Sureness,
    best_times,
    next_start,
)
from roost.analytics.models import AnalyticsSettings, EngagementBasis
from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
from roost.channels.connectors.base import ChannelStats
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, ChannelGroup, Role

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
# A Sunday, 48 hours and more after every post below.
NOW = dt.datetime(2026, 6, 28, 12, tzinfo=dt.UTC)


def _local(weeks_ago: int, weekday: int, hour: int, minute: int = 10) -> dt.datetime:
    """That weekday and wall-clock time in Oslo, `weeks_ago` weeks before NOW's week."""
    monday = dt.date(2026, 6, 22) - dt.timedelta(weeks=weeks_ago)
    day = monday + dt.timedelta(days=weekday)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=OSLO)


@pytest.fixture
def oslo_channel(org, make_channel):
    channel = make_channel(network="linkedin", handle="acme-no")
    channel.brand = Brand.objects.create(
        organization=org, name="Acme Norge", time_zone="Europe/Oslo"
    )
    channel.save(update_fields=["brand"])
    return channel


@pytest.fixture
def post_with(make_published):
    def make(channel, published_at, *, impressions, engagements, reach=None):
        variant = make_published(channel, published_at.astimezone(dt.UTC))
        # Engagements spread over the kinds that count: likes, comments, shares.
        likes = engagements - engagements // 3
        comments = engagements // 3
        post_reading_record(
            variant=variant,
            reading=PostReading(
                impressions=impressions, reach=reach, likes=likes, comments=comments, shares=0
            ),
            read_at=published_at.astimezone(dt.UTC) + dt.timedelta(days=1),
        )
        return variant

    return make


@pytest.mark.django_db
def test_hours_are_ranked_by_shrunk_rate_with_hand_computed_figures(admin, oslo_channel, post_with):
    # Tuesday 09:00 Oslo: five posts at 5%; Thursday 15:00: five at 2%;
    # Monday 12:00: two at 10% (too few to trust).
    for week in range(5):
        post_with(oslo_channel, _local(week, 1, 9), impressions=1000, engagements=50)
        post_with(oslo_channel, _local(week, 3, 15), impressions=1000, engagements=20)
    for week in range(2):
        post_with(oslo_channel, _local(week, 0, 12), impressions=1000, engagements=100)

    times = best_times(viewer=admin, channel=oslo_channel, now=NOW)

    rates = [0.05] * 5 + [0.02] * 5 + [0.10] * 2
    mean = sum(rates) / 12  # 0.0458...
    spread = statistics.pstdev(rates)
    assert times.time_zone == "Europe/Oslo"
    assert times.basis == EngagementBasis.IMPRESSIONS
    assert times.posts == 12
    assert times.mean == pytest.approx(mean)
    by_hour = {(slot.weekday, slot.hour): slot for slot in times.slots}
    assert set(by_hour) == {(0, 12), (1, 9), (3, 15)}
    tuesday = by_hour[(1, 9)]
    assert tuesday.posts == 5
    assert tuesday.mean == pytest.approx(0.05)
    assert tuesday.estimate == pytest.approx((5 * 0.05 + PRIOR_POSTS * mean) / (5 + PRIOR_POSTS))
    assert tuesday.low == pytest.approx(0.05 - Z_90 * spread / math.sqrt(5))
    assert tuesday.high == pytest.approx(0.05 + Z_90 * spread / math.sqrt(5))
    # Its interval reaches below the channel's mean: better, but not surely so.
    assert tuesday.sureness == Sureness.POSSIBLY
    monday = by_hour[(0, 12)]
    assert (monday.posts, monday.sureness) == (2, NOT_ENOUGH)
    assert [(slot.weekday, slot.hour) for slot in times.best] == [(1, 9)]
    assert times.note == ""


@pytest.mark.django_db
def test_a_clearly_better_hour_is_likely_better(admin, oslo_channel, post_with):
    for week in range(8):
        post_with(oslo_channel, _local(week, 2, 18), impressions=1000, engagements=80)
        post_with(oslo_channel, _local(week, 4, 8), impressions=1000, engagements=20 + week % 2)

    times = best_times(viewer=admin, channel=oslo_channel, now=NOW)

    (best,) = times.best
    assert (best.weekday, best.hour, best.posts) == (2, 18, 8)
    assert best.low > times.mean
    assert best.sureness == Sureness.LIKELY


@pytest.mark.django_db
def test_the_same_wall_clock_hour_in_summer_and_winter_is_one_slot(admin, oslo_channel, post_with):
    summer = dt.datetime(2026, 6, 2, 9, 10, tzinfo=OSLO)  # 07:10 UTC
    winter = dt.datetime(2026, 1, 13, 9, 10, tzinfo=OSLO)  # 08:10 UTC
    post_with(oslo_channel, summer, impressions=100, engagements=5)
    post_with(oslo_channel, winter, impressions=100, engagements=5)

    times = best_times(viewer=admin, channel=oslo_channel, now=NOW)

    assert [(slot.weekday, slot.hour, slot.posts) for slot in times.slots] == [(1, 9, 2)]


@pytest.mark.django_db
def test_too_few_posts_give_no_advice_and_say_so(admin, oslo_channel, post_with):
    for week in range(MIN_POSTS - 1):
        post_with(oslo_channel, _local(week % 8, 1, 9), impressions=1000, engagements=90)
    post_with(oslo_channel, _local(0, 3, 15), impressions=1000, engagements=10)
    # Published a day before NOW: still growing, not counted.
    post_with(oslo_channel, NOW - dt.timedelta(days=1), impressions=10, engagements=1)
    # Without impressions the rate has no base: not counted either.
    post_with(oslo_channel, _local(1, 3, 15), impressions=0, engagements=4)

    times = best_times(viewer=admin, channel=oslo_channel, now=NOW)

    assert times.posts == MIN_POSTS  # nine plus one; the young and the baseless are left out
    assert times.enough
    fewer = best_times(viewer=admin, channel=oslo_channel, now=NOW - dt.timedelta(weeks=1))
    assert not fewer.enough
    assert fewer.best == ()
    assert NOT_ENOUGH.capitalize() in fewer.note
    assert f"advice starts at {MIN_POSTS}" in fewer.note


@pytest.mark.django_db
def test_reach_and_follower_bases(org, admin, oslo_channel, post_with):
    AnalyticsSettings.objects.create(organization=org, engagement_basis=EngagementBasis.REACH)
    post_with(oslo_channel, _local(1, 1, 9), impressions=1000, reach=400, engagements=20)
    post_with(oslo_channel, _local(2, 1, 9), impressions=1000, engagements=20)  # no reach

    by_reach = best_times(viewer=admin, channel=oslo_channel, now=NOW)
    assert (by_reach.posts, by_reach.mean) == (1, pytest.approx(20 / 400))

    AnalyticsSettings.objects.filter(organization=org).update(
        engagement_basis=EngagementBasis.FOLLOWERS
    )
    first_reading = _local(3, 0, 8).astimezone(dt.UTC)
    channel_reading_record(
        channel=oslo_channel, stats=ChannelStats(followers=500), read_at=first_reading
    )
    channel_reading_record(
        channel=oslo_channel,
        stats=ChannelStats(followers=1000),
        read_at=_local(1, 0, 8).astimezone(dt.UTC),
    )

    by_followers = best_times(viewer=admin, channel=oslo_channel, now=NOW)
    # Each post is counted against the followers it had on the day it went out.
    assert by_followers.posts == 2
    assert by_followers.mean == pytest.approx((20 / 1000 + 20 / 500) / 2)


@pytest.mark.django_db
def test_the_zone_falls_back_to_the_group_brand_then_the_organisation(org, admin, make_channel):
    channel = make_channel(handle="acme-jp", group="Japan")
    group = ChannelGroup.objects.get(organization=org, name="Japan")
    assert best_times(viewer=admin, channel=channel, now=NOW).time_zone == "UTC"
    AnalyticsSettings.objects.create(organization=org, time_zone="America/New_York")
    assert best_times(viewer=admin, channel=channel, now=NOW).time_zone == "America/New_York"
    group.brand = Brand.objects.create(organization=org, name="Acme Japan", time_zone="Asia/Tokyo")
    group.save(update_fields=["brand"])
    channel = Channel.objects.get(pk=channel.pk)
    assert best_times(viewer=admin, channel=channel, now=NOW).time_zone == "Asia/Tokyo"


@pytest.mark.django_db
def test_only_people_who_see_the_channels_figures_get_them(org, other_org, make_user, make_channel):
    channel = make_channel(group="Consumer")
    elsewhere = ChannelGroup.objects.create(organization=org, name="Corporate")
    outsider = make_user(org, Role.PUBLISHER, channel_group=elsewhere)
    stranger = make_user(other_org, Role.ADMIN)
    insider = make_user(org, Role.VIEWER, channel_group=channel.channel_group)

    assert best_times(viewer=insider, channel=channel, now=NOW).posts == 0
    for viewer in (outsider, stranger):
        with pytest.raises(ApplicationError) as refused:
            best_times(viewer=viewer, channel=channel, now=NOW)
        assert refused.value.code is ErrorCode.NOT_FOUND


def _slot(weekday: int, hour: int) -> Slot:
    return Slot(weekday, hour, 5, 0.1, 0.1, 0.05, 0.15, Sureness.LIKELY)


def test_next_start_is_the_coming_hour_in_the_channels_zone() -> None:
    after = dt.datetime(2026, 6, 24, 12, tzinfo=dt.UTC)  # a Wednesday
    start = next_start(_slot(1, 9), time_zone="Europe/Oslo", after=after)
    assert start == dt.datetime(2026, 6, 30, 9, tzinfo=OSLO)
    # Later the same day, and the same hour already begun: next week.
    assert next_start(_slot(2, 15), time_zone="Europe/Oslo", after=after) == dt.datetime(
        2026, 6, 24, 15, tzinfo=OSLO
    )
    assert next_start(_slot(2, 14), time_zone="Europe/Oslo", after=after) == dt.datetime(
        2026, 7, 1, 14, tzinfo=OSLO
    )


def test_next_start_skips_an_hour_that_summer_time_removes() -> None:
    # Clocks in Oslo go from 02:00 to 03:00 on Sunday 29 March 2026.
    after = dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC)
    start = next_start(_slot(6, 2), time_zone="Europe/Oslo", after=after)
    assert start == dt.datetime(2026, 4, 5, 2, tzinfo=OSLO)
    assert start.astimezone(OSLO).hour == 2


@pytest.mark.django_db
def test_the_composer_offers_the_best_hours_beside_the_date_field(
    oslo_channel, make_channel, post_with, signed_in, monkeypatch
):
    from django.urls import reverse
    from django.utils import timezone

    for week in range(8):
        post_with(oslo_channel, _local(week, 2, 18), impressions=1000, engagements=80)
        post_with(oslo_channel, _local(week, 4, 8), impressions=1000, engagements=20)
    quiet = make_channel(network="linkedin", handle="acme-quiet")
    publisher = oslo_channel.primary_owner
    publisher.time_zone = "America/New_York"
    publisher.save(update_fields=["time_zone"])
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = signed_in(publisher)

    page = client.get(reverse("publishing:compose"))
    assert page.status_code == 200
    assert b'id="schedule-hints"' in page.content
    assert b"data-fill-schedule" not in page.content  # nothing chosen yet

    answer = client.post(
        reverse("publishing:checks"), {"master_text": "Hello", "channels": [oslo_channel.pk]}
    )

    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'id="schedule-hints" class="schedule-hints stack" data-schedule-hints' in html
    assert 'hx-swap-oob="true"' in html
    # Wednesday 18:00 in Oslo is 12:00 in New York, the publisher's zone (the field's).
    assert 'data-fill-schedule="2026-07-01T12:00"' in html
    assert "Wednesdays 18:00" in html and "Europe/Oslo" in html
    assert "Likely better" in html

    other = signed_in(quiet.primary_owner).post(
        reverse("publishing:checks"), {"master_text": "Hello", "channels": [quiet.pk]}
    )
    assert "Not enough posts yet: 0 posts with figures" in other.content.decode()
