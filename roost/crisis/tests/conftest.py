"""Crisis fixtures: publishing's own (sandbox channels that really publish, posts due
now), a community manager on the brand, and a second brand with its own people."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.core.models import Brand, ChannelGroup, Organization, Role, User
from roost.publishing.tests import conftest as publishing_fixtures

# Publishing's own fixtures, shared rather than copied.
brand = publishing_fixtures.brand
group = publishing_fixtures.group
publisher = publishing_fixtures.publisher
make_channel = publishing_fixtures.make_channel
due_post = publishing_fixtures.due_post


@pytest.fixture
def manager(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.MANAGER)


@pytest.fixture
def agent(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)


@pytest.fixture
def viewer(org: Organization, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.VIEWER)


@pytest.fixture
def other_brand_person(org: Organization, make_user: Callable[..., User]) -> User:
    other = Brand.objects.create(organization=org, name="Acme Americas")
    other_group = ChannelGroup.objects.create(organization=org, name="Americas", brand=other)
    return make_user(org, Role.PUBLISHER, channel_group=other_group)
