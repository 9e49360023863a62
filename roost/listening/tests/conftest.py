"""Listening fixtures: brands, a lead who may manage monitors, channels whose inbox the
monitors read, and a way to deliver messages to them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence

import pytest
from django.db import transaction
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.models import Channel
from roost.core.models import Brand, ChannelGroup, Organization, Role, User
from roost.inbox import ingest
from roost.listening import services
from roost.listening.models import Monitor

_ids = itertools.count(1)


@pytest.fixture
def brand(org: Organization) -> Brand:
    return Brand.objects.create(organization=org, name="Acme EMEA")


@pytest.fixture
def other_brand(other_org: Organization) -> Brand:
    return Brand.objects.create(organization=other_org, name="Rival EMEA")


@pytest.fixture
def lead(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.MANAGER)


def _channel(org: Organization, admin: User, handle: str) -> Channel:
    group = ChannelGroup.objects.create(organization=org, name=f"Group {handle}")
    return channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=handle,
        channel_group=group, primary_owner=admin,
    )  # fmt: skip


@pytest.fixture
def channel(org: Organization, admin: User) -> Channel:
    return _channel(org, admin, "acme")


@pytest.fixture
def other_channel(other_org: Organization, make_user: Callable[..., User]) -> Channel:
    return _channel(other_org, make_user(other_org, Role.ADMIN), "rival")


@pytest.fixture
def make_monitor(lead: User) -> Callable[..., Monitor]:
    def make(
        brand: Brand, query: str, *, name: str = "", actor: User | None = None, **kw: object
    ) -> Monitor:
        return services.monitor_create(
            actor=actor or lead, organization=brand.organization, brand=brand,
            name=name or f"Monitor {next(_ids)}", query=query, **kw,  # type: ignore[arg-type]
        )  # fmt: skip

    return make


def deliver(
    channel: Channel, texts: Sequence[str], *, at: dt.datetime | None = None, author: str = ""
) -> int:
    """Store mentions on the channel as the inbox's fetch would."""
    at = at or timezone.now()
    items = [
        Inbound(
            external_id=f"m{next(_ids)}",
            kind=InboundKind.MENTION,
            author_handle=author or f"person{next(_ids)}",
            text=text,
            created_at=at,
        )
        for text in texts
    ]
    with transaction.atomic():
        return ingest.messages_store(channel=channel, items=items)
