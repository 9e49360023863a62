"""A leaver with work everywhere: grants on five channel groups, scheduled posts and a
draft, assigned conversations, channels they own and back up, on-call shifts, an API
token; and a successor who may do all of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.conftest import TEST_PASSWORD
from roost.core.api_access.tokens import token_create
from roost.core.models import ChannelGroup, Membership, Organization, Role, User
from roost.inbox.models import Conversation, ConversationStatus
from roost.oncall.models import Override, Schedule
from roost.oncall.schedules import services as schedule_services
from roost.oncall.tests.conftest import layer_input
from roost.publishing import services as publishing_services
from roost.publishing.models import Post, PostState, Variant, VariantState

# Leaver's grants: (role, group). Two groups to publish on, two to answer on, one to read.
GRANTS = [
    (Role.PUBLISHER, "Consumer EMEA"),
    (Role.PUBLISHER, "Consumer Americas"),
    (Role.COMMUNITY_MANAGER, "Support"),
    (Role.COMMUNITY_MANAGER, "Careers"),
    (Role.ANALYST, "Corporate"),
]


@dataclass
class World:
    org: Organization
    admin: User
    leaver: User
    successor: User
    colleague: User
    groups: dict[str, ChannelGroup]
    channels: dict[str, Channel]
    scheduled: list[Post]
    draft: Post
    published: Post
    conversations: list[Conversation]
    closed: Conversation
    schedule: Schedule
    override: Override
    token: str


@pytest.fixture
def world(org: Organization, admin: User, make_user: Any) -> World:
    now = timezone.now()
    leaver = make_user(org, None, email="leaver@acme.example")
    successor = make_user(org, Role.MANAGER, email="successor@acme.example")
    colleague = make_user(org, Role.MANAGER, email="colleague@acme.example")
    groups = {name: ChannelGroup.objects.create(organization=org, name=name) for _, name in GRANTS}
    for role, name in GRANTS:
        Membership.objects.create(
            organization=org, user=leaver, role=role, channel_group=groups[name]
        )
    owners = {
        "Consumer EMEA": (leaver, colleague),  # the leaver owns it
        "Consumer Americas": (colleague, leaver),  # the leaver backs it up
        "Support": (colleague, None),
        "Careers": (colleague, None),
        "Corporate": (colleague, None),
    }
    channels = {
        name: channel_services.channel_create(
            actor=admin,
            organization=org,
            network="x",
            placement="post",
            handle=name.lower().replace(" ", "_"),
            channel_group=groups[name],
            primary_owner=owners[name][0],
            backup_owner=owners[name][1],
        )
        for name in groups
    }

    def post(state: PostState, variant_state: VariantState, at: dt.datetime | None) -> Post:
        made = publishing_services.post_create(
            actor=leaver, organization=org, channels=[channels["Consumer EMEA"]],
            master_text=f"A {state} post", scheduled_at=at,
        )  # fmt: skip
        Post.objects.filter(pk=made.pk).update(state=state, scheduled_at=at)
        Variant.objects.filter(post=made).update(state=variant_state, scheduled_at=at)
        made.refresh_from_db()
        return made

    scheduled = [
        post(PostState.SCHEDULED, VariantState.SCHEDULED, now + dt.timedelta(days=n))
        for n in (1, 2)
    ]
    draft = post(PostState.DRAFT, VariantState.DRAFT, None)
    published = post(PostState.PUBLISHED, VariantState.PUBLISHED, now - dt.timedelta(days=3))

    def conversation(n: int, name: str, status: str = ConversationStatus.OPEN) -> Conversation:
        return Conversation.objects.create(
            organization=org, channel=channels[name], key=f"dm:fan{n}", kind="direct_message",
            author_handle=f"fan{n}", assignee=leaver, status=status,
        )  # fmt: skip

    conversations = [conversation(1, "Support"), conversation(2, "Careers")]
    closed = conversation(3, "Support", ConversationStatus.CLOSED)

    schedule = schedule_services.schedule_create(
        actor=admin, organization=org, name="Social desk", time_zone="Europe/Warsaw", owner=leaver
    )
    schedule_services.layer_create(
        actor=admin,
        schedule=schedule,
        data=layer_input([leaver, colleague], start=now - dt.timedelta(days=3)),
    )
    override = schedule_services.override_create(
        actor=admin,
        schedule=schedule,
        person=leaver,
        start=now + dt.timedelta(days=4),
        end=now + dt.timedelta(days=4, hours=6),
        reason="Cover",
    )
    token = token_create(user=leaver, name="Scripts", scopes=["posts:read", "users:read"]).secret
    return World(
        org=org, admin=admin, leaver=leaver, successor=successor, colleague=colleague,
        groups=groups, channels=channels, scheduled=scheduled, draft=draft, published=published,
        conversations=conversations, closed=closed, schedule=schedule, override=override,
        token=token,
    )  # fmt: skip


def sign_in_with_password(client: Any, user: User) -> Any:
    """Sign in through the sign-in page, as the person would (no second factor here)."""
    response = client.post("/signin/", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client
