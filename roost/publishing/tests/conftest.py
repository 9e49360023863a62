"""Publishing fixtures: sandbox channels that really publish, and posts due now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.models import Brand, ChannelGroup, Organization, Role, User
from roost.publishing import services
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.sandbox.channels import sandbox_channel_connect


@pytest.fixture
def brand(org: Organization) -> Brand:
    return Brand.objects.create(organization=org, name="Acme EMEA")


@pytest.fixture
def group(org: Organization, brand: Brand) -> ChannelGroup:
    return ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)


@pytest.fixture
def publisher(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.PUBLISHER, channel_group=group)


@pytest.fixture
def make_channel(
    org: Organization, admin: User, group: ChannelGroup, publisher: User
) -> Callable[..., Channel]:
    def make(network: str = "x", placement: str = "post", handle: str = "acme") -> Channel:
        channel = channel_services.channel_create(
            actor=admin,
            organization=org,
            network=network,
            placement=placement,
            handle=handle,
            channel_group=group,
            primary_owner=publisher,
        )
        sandbox_channel_connect(actor=admin, channel=channel)
        return channel

    return make


@pytest.fixture
def due_post(org: Organization, publisher: User) -> Callable[..., Post]:
    """A post scheduled a moment ago on the channels, approved (approval is tested elsewhere)."""

    def make(channels: list[Channel], text: str = "Hello from Roost") -> Post:
        post = services.post_create(
            actor=publisher,
            organization=org,
            channels=channels,
            master_text=text,
            scheduled_at=timezone.now() - dt.timedelta(seconds=1),
        )
        Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
        Variant.objects.filter(post=post).update(state=VariantState.SCHEDULED)
        return post

    return make


@pytest.fixture
def photo(org: Organization, publisher: User, django_capture_on_commit_callbacks: Any) -> Any:
    """A library photo with its renditions made (they are made after commit)."""
    from roost.media.services import media_upload
    from roost.media.tests.conftest import as_upload, make_image

    with django_capture_on_commit_callbacks(execute=True):
        return media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_image(2000, 1500)),
            alt_text="A blue jacket on a hook",
        )
