"""Analytics fixtures: channels and published posts to read figures of."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

import pytest

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Role
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState


@pytest.fixture
def make_channel(org, admin, make_user) -> Callable[..., Channel]:
    def make(network: str = "linkedin", handle: str = "acme", group: str = "Consumer") -> Channel:
        channel_group, _ = ChannelGroup.objects.get_or_create(organization=org, name=group)
        owner = make_user(org, Role.PUBLISHER, channel_group=channel_group)
        return channel_services.channel_create(
            actor=admin, organization=org, network=network, placement="post", handle=handle,
            channel_group=channel_group, primary_owner=owner,
        )  # fmt: skip

    return make


@pytest.fixture
def channel(make_channel) -> Channel:
    return make_channel()


@pytest.fixture
def make_published() -> Callable[..., Variant]:
    """A post published on the channel at that moment (nothing is sent anywhere)."""

    def make(
        channel: Channel,
        published_at: dt.datetime,
        *,
        text: str = "Our new jacket is here.",
        campaign: Campaign | None = None,
    ) -> Variant:
        post = Post.objects.create(
            organization_id=channel.organization_id,
            author=channel.primary_owner,
            master_text=text,
            campaign=campaign,
            state=PostState.PUBLISHED,
        )
        return Variant.objects.create(
            organization_id=channel.organization_id,
            post=post,
            channel=channel,
            text=text,
            state=VariantState.PUBLISHED,
            external_id=secrets.token_hex(6),
            idempotency_key=secrets.token_hex(8),
            published_at=published_at,
        )

    return make


# Dashboards: a few weeks of history written the way the collection job writes it.

HISTORY_END = dt.date(2026, 3, 28)


@pytest.fixture
def write_history(make_published) -> Callable[..., list[Variant]]:
    """Posts on the channel, one every `every` days over `days` days up to HISTORY_END,
    each read three times through `post_reading_record` (its figures scaled by `scale`,
    so a test can make a channel rise or fall), and a daily follower reading."""
    from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
    from roost.channels.connectors.base import ChannelStats

    def write(
        channel: Channel,
        *,
        days: int = 56,
        every: int = 2,
        scale: Callable[[int], float] = lambda day: 1.0,
        followers: int = 1000,
        campaign: Campaign | None = None,
    ) -> list[Variant]:
        start = HISTORY_END - dt.timedelta(days=days - 1)
        variants = []
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
            channel_reading_record(
                channel=channel,
                stats=ChannelStats(followers=followers + 3 * offset),
                read_at=noon + dt.timedelta(hours=10),
            )
            if offset % every:
                continue
            factor = scale(offset)
            variant = make_published(
                channel, noon - dt.timedelta(hours=3), text=f"Post {offset} on {channel.handle}",
                campaign=campaign,
            )  # fmt: skip
            for hours, share in ((1, 0.5), (5, 0.8), (9, 1.0)):
                post_reading_record(
                    variant=variant,
                    reading=PostReading(
                        impressions=round(1000 * factor * share),
                        reach=round(800 * factor * share),
                        likes=round(40 * factor * share),
                        comments=round(10 * factor * share),
                        shares=round(5 * factor * share),
                        saves=round(3 * factor * share),
                        link_clicks=round(2 * factor * share),
                        video_views=round(100 * factor * share),
                    ),
                    read_at=noon - dt.timedelta(hours=3) + dt.timedelta(hours=hours),
                )
            variants.append(variant)
        return variants

    return write
