"""Inbox fixtures: a connected sandbox channel and a way to receive messages on it."""

from __future__ import annotations

import pytest

from roost.channels import services as channel_services
from roost.core.models import ChannelGroup, Role
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount


@pytest.fixture
def channel(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    owner = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme",
        channel_group=group, primary_owner=owner,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    return channel


def account() -> SandboxAccount:
    """The sandbox account behind the `channel` fixture."""
    return SandboxAccount.objects.get(network="x", handle="acme")
