"""Channels' card on Today: health problems of the channels the viewer owns or backs up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.channels.today import today_channel_health
from roost.core.models import ChannelGroup, Role


def _channel(org, admin, group, handle, owner, backup=None, **health) -> Channel:
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=handle,
        channel_group=group, primary_owner=owner, backup_owner=backup,
    )  # fmt: skip
    if health:
        Channel.objects.filter(pk=channel.pk).update(**health)
    return channel


@pytest.mark.django_db
def test_channels_i_own_or_back_up_with_problems(org, other_org, admin, make_user):
    now = timezone.now()
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    me = make_user(org, Role.PUBLISHER, channel_group=group)
    colleague = make_user(org, Role.PUBLISHER, channel_group=group)
    failing = _channel(
        org, admin, group, "failing", me, colleague,
        last_error="401 Unauthorized", last_error_at=now,
    )  # fmt: skip
    expiring = _channel(
        org, admin, group, "expiring", colleague, me,
        credential_expires_at=now + dt.timedelta(days=2),
    )  # fmt: skip
    _channel(org, admin, group, "healthy", me, colleague)
    _channel(org, admin, group, "not_mine", colleague, None, last_error_at=now)
    other_group = ChannelGroup.objects.create(organization=other_org, name="Consumer")
    other_owner = make_user(other_org, Role.PUBLISHER, channel_group=other_group)
    _channel(other_org, make_user(other_org, Role.ADMIN), other_group, "globex", other_owner)

    card = today_channel_health(viewer=me, now=now)

    assert card is not None
    assert card.total == 2
    by_url = {item.url: item for item in card.items}
    first = by_url[reverse("channels:detail", args=[failing.pk])]
    assert first.detail == "Last call failed · You own it" and first.tone == "late"
    second = by_url[reverse("channels:detail", args=[expiring.pk])]
    assert second.detail == "Credential expires within 7 days · You back it up"


@pytest.mark.django_db
def test_the_health_card_by_role(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    owner = make_user(org, Role.PUBLISHER, channel_group=group)
    backup = make_user(org, Role.PUBLISHER, channel_group=group)
    _channel(org, admin, group, "fine", owner, backup)

    # Owning and backing up nothing: no card.
    assert today_channel_health(viewer=make_user(org, Role.VIEWER), now=timezone.now()) is None
    # Every channel healthy: the card says so in a line.
    card = today_channel_health(viewer=owner, now=timezone.now())
    assert card is not None and card.is_empty
    assert card.empty == "Every channel you own or back up is healthy."
