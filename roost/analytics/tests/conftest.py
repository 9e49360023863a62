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
