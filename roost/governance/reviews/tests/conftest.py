"""An organisation with two channel groups, a manager on one of them, an organisation-wide
manager, two admins, and people holding roles on the groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from roost.core.models import ChannelGroup, Membership, Organization, Role, User
from roost.governance.reviews.models import Campaign, ReviewItem
from roost.governance.reviews.services import campaign_start

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday morning, UTC


@dataclass
class World:
    org: Organization
    emea: ChannelGroup
    careers: ChannelGroup
    admin: User
    second_admin: User
    org_manager: User
    emea_manager: User
    publisher: User
    agent: User

    def grant(self, user: User, role: Role, group: ChannelGroup | None) -> Membership:
        return Membership.objects.get(user=user, role=role, channel_group=group)

    def start(self, **kwargs: object) -> Campaign:
        values: dict[str, object] = {
            "actor": self.admin,
            "organization": self.org,
            "name": "Q1 review",
            "due_at": NOW + dt.timedelta(days=7),
            "channel_groups": None,
            "now": NOW,
        }
        values.update(kwargs)
        return campaign_start(**values)  # type: ignore[arg-type]

    def item(self, campaign: Campaign, user: User, group: ChannelGroup | None) -> ReviewItem:
        return campaign.items.get(person=user, channel_group=group)


@pytest.fixture
def world(org: Organization, make_user: Callable[..., User]) -> World:
    emea = ChannelGroup.objects.create(organization=org, name="Consumer EMEA")
    careers = ChannelGroup.objects.create(organization=org, name="Careers")
    admin = make_user(org, Role.ADMIN, email="ada@acme.example")
    second_admin = make_user(org, Role.ADMIN, email="bea@acme.example")
    org_manager = make_user(org, Role.MANAGER, email="marco@acme.example")
    emea_manager = make_user(org, Role.MANAGER, channel_group=emea, email="emma@acme.example")
    publisher = make_user(org, Role.PUBLISHER, channel_group=emea, email="priya@acme.example")
    Membership.objects.create(
        organization=org, user=publisher, role=Role.PUBLISHER, channel_group=careers
    )
    agent = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=careers, email="chloe@acme.example"
    )
    for user, name in (
        (admin, "Ada Admin"),
        (second_admin, "Bea Admin"),
        (org_manager, "Marco Manager"),
        (emea_manager, "Emma Manager"),
        (publisher, "Priya Publisher"),
        (agent, "Chloé Community"),
    ):
        user.name = name
        user.save(update_fields=["name"])
    return World(
        org, emea, careers, admin, second_admin, org_manager, emea_manager, publisher, agent
    )
