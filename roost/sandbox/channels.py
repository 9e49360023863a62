"""Connecting Roost channels to accounts on the sandbox network, and the demo's channels."""

from __future__ import annotations

from django.db import transaction

from roost.channels import services as channel_services
from roost.channels.models import Channel, CredentialKind
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization, User
from roost.core.permissions import Action, require
from roost.sandbox.services import sandbox_account_open


def sandbox_channel_connect(*, actor: Actor, channel: Channel) -> Channel:
    """Open (or find) the channel's sandbox account, in the channel's own organisation,
    and keep its token in the vault."""
    require(actor, Action.CHANNEL_MANAGE, channel_group=channel.channel_group)
    if channel.connector != "sandbox":
        raise ApplicationError(ErrorCode.INVALID, "Only sandbox channels connect here.")
    account, secret = sandbox_account_open(
        organization_id=channel.organization_id,
        network=channel.network,
        handle=channel.handle,
        display_name=channel.display_name,
    )
    with transaction.atomic():
        channel_services.channel_credential_set(
            actor=actor, channel=channel, kind=CredentialKind.ACCESS_TOKEN, secret=secret
        )
        if channel.external_id != account.external_id:
            channel_services.channel_update(
                actor=SYSTEM, channel=channel, external_id=account.external_id
            )
    return channel


# network, placement, handle, display name, channel group, owner, backup owner (e-mail local parts)
DEMO_CHANNELS = [
    (
        "instagram",
        "portrait",
        "northwind.eu",
        "Northwind Europe",
        "Consumer EMEA",
        "priya",
        "chloe",
    ),
    (
        "instagram",
        "reels",
        "northwind.eu",
        "Northwind Europe Reels",
        "Consumer EMEA",
        "priya",
        "chloe",
    ),
    ("facebook", "feed", "NorthwindEurope", "Northwind Europe", "Consumer EMEA", "chloe", "priya"),
    ("tiktok", "video", "northwind_eu", "Northwind EU", "Consumer EMEA", "priya", None),
    ("x", "post", "northwind_us", "Northwind US", "Consumer Americas", "sam", "marco"),
    ("instagram", "square", "northwind.us", "Northwind US", "Consumer Americas", "sam", "marco"),
    ("youtube", "shorts", "NorthwindUS", "Northwind US Shorts", "Consumer Americas", "sam", None),
    ("linkedin", "post", "northwind", "Northwind", "Corporate", "marco", "ada"),
    ("x", "post", "northwind", "Northwind", "Corporate", "marco", "ada"),
    ("bluesky", "post", "northwind.bsky.social", "Northwind", "Corporate", "marco", "ada"),
    ("mastodon", "post", "@northwind@mastodon.social", "Northwind", "Corporate", "ada", "marco"),
    ("threads", "post", "northwind", "Northwind", "Corporate", "ada", None),
    ("linkedin", "post", "northwind-careers", "Northwind Careers", "Careers", "ada", "marco"),
    ("pinterest", "pin", "northwindstyle", "Northwind Style", "Consumer Americas", "sam", "marco"),
]


def seed_demo_channels(organization: Organization) -> int:
    """Add and connect the demo's sandbox channels that are missing; return how many."""
    groups = {g.name: g for g in ChannelGroup.objects.filter(organization=organization)}
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=organization)}
    existing = set(
        Channel.objects.filter(organization=organization).values_list(
            "network", "placement", "handle"
        )
    )
    added = 0
    for network, placement, handle, name, group, owner, backup in DEMO_CHANNELS:
        if (network, placement, handle) in existing:
            continue
        channel = channel_services.channel_create(
            actor=SYSTEM,
            organization=organization,
            network=network,
            placement=placement,
            handle=handle,
            display_name=name,
            channel_group=groups[group],
            primary_owner=people[owner],
            backup_owner=people[backup] if backup else None,
            connector="sandbox",
        )
        sandbox_channel_connect(actor=SYSTEM, channel=channel)
        added += 1
    return added
