"""What the tests of the networks' own webhooks share: a sandbox channel playing the
network's account (so the read a notification triggers goes through a connector), and
posting a signed notification the way the network does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Organization, User
from roost.sandbox.channels import sandbox_channel_connect


def sandbox_account_channel(
    org: Organization, actor: User, *, network: str, placement: str, handle: str, external_id: str
) -> Channel:
    """A channel on `network` connected to the sandbox network; its external id as
    connecting recorded it."""
    group = ChannelGroup.objects.create(organization=org, name=f"Social {handle}")
    channel = channel_services.channel_create(
        actor=actor, organization=org, network=network, placement=placement, handle=handle,
        channel_group=group, primary_owner=actor, external_id=external_id,
    )  # fmt: skip
    sandbox_channel_connect(actor=actor, channel=channel)
    channel.refresh_from_db()
    return channel


def post_signed(client: Client, url: str, body: bytes, *, header: str, signature: str) -> Any:
    """POST a notification as JSON with its signature header."""
    return client.post(url, body, content_type="application/json", headers={header: signature})
