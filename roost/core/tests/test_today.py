"""Today: the cards the apps declare, shown by role and within one organisation; cards with
nothing to do shrink to one line; the cards refresh with a conditional answer; and the
page costs the same number of queries however much work there is."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core import today
from roost.core.models import ChannelGroup, Organization, Role, User
from roost.core.services import membership_grant
from roost.core.today import TodayCard, today_card_declare, today_card_keys
from roost.governance.reviews.services import campaign_start
from roost.inbox.models import Conversation, Direction, Message
from roost.publishing import services as publishing_services
from roost.publishing.approvals import decisions, workflows
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.sandbox.channels import sandbox_channel_connect

Capture = Callable[..., Any]
# What Today and its polled cards cost, for an admin with work on every card and for an
# approver. A change here should be a decision, not an accident. (Open incidents lead
# everyone's Today: one count while there are none. Who is on call, and the viewer's own
# shifts: the schedules, the default escalation policy and the viewer's rotations, three
# reads while there are none. Credentials to rotate after someone left: one read. Grants
# awaiting the viewer's review: the items and their count for those who may attest,
# nothing for the rest.)
TODAY_QUERIES = {Role.ADMIN: 30, Role.APPROVER: 21}
TODAY_CARDS_QUERIES = {Role.ADMIN: 29, Role.APPROVER: 20}

_numbers = itertools.count(1)


def test_the_apps_declare_their_cards_in_order():
    assert today_card_keys() == [
        "incidents",
        "on_call",
        "own_shifts",
        "approvals",
        "access_reviews",
        "conversations",
        "going_out",
        "needs_person",
        "channel_health",
        "credential_rotations",
    ]


class World:
    """An organisation where an admin has work on every card, grown on demand."""

    def __init__(self, org: Organization, admin: User, make_user: Callable[..., User]) -> None:
        self.org, self.admin = org, admin
        self.group = ChannelGroup.objects.create(organization=org, name="Consumer")
        self.publisher = make_user(org, Role.PUBLISHER, channel_group=self.group)
        self.approver = make_user(org, Role.APPROVER, channel_group=self.group)
        workflows.workflow_create(
            actor=admin, organization=org, name="Review", channel_group=self.group,
            steps=[workflows.StepSpec(name="Brand check", approver_role=Role.APPROVER)],
        )  # fmt: skip

    def channel(self, *, troubled: bool = False) -> Channel:
        n = next(_numbers)
        channel = channel_services.channel_create(
            actor=self.admin, organization=self.org, network="x", placement="post",
            handle=f"acme{n}", channel_group=self.group, primary_owner=self.admin,
            backup_owner=self.publisher,
        )  # fmt: skip
        sandbox_channel_connect(actor=self.admin, channel=channel)
        if troubled:
            Channel.objects.filter(pk=channel.pk).update(
                last_error="refused", last_error_at=timezone.now()
            )
        return channel

    def grow(self, n: int) -> None:
        now = timezone.now()
        for _ in range(n):
            channel = self.channel(troubled=True)
            waiting = publishing_services.post_create(
                actor=self.publisher, organization=self.org, channels=[channel],
                master_text=f"Waiting {next(_numbers)}",
            )  # fmt: skip
            decisions.post_submit(post=Post.objects.get(pk=waiting.pk), actor=self.publisher)
            for state, at in (
                (VariantState.SCHEDULED, now + dt.timedelta(seconds=5)),
                (VariantState.FAILED, now - dt.timedelta(hours=1)),
                (VariantState.UNCONFIRMED, now - dt.timedelta(hours=2)),
            ):
                post = publishing_services.post_create(
                    actor=self.publisher, organization=self.org, channels=[channel],
                    master_text=f"{state} {next(_numbers)}",
                )  # fmt: skip
                Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED, scheduled_at=at)
                Variant.objects.filter(post=post).update(state=state, scheduled_at=at)
            k = next(_numbers)
            conversation = Conversation.objects.create(
                organization=self.org, channel=channel, key=f"dm:fan{k}",
                kind="direct_message", author_handle=f"fan{k}", assignee=self.admin,
                sla_state="warning", sla_due_at=now + dt.timedelta(minutes=20),
            )  # fmt: skip
            Message.objects.create(
                organization=self.org, conversation=conversation,
                identity=conversation.identity, channel=channel, external_id=f"m{k}",
                direction=Direction.INBOUND, author_handle=f"fan{k}", text="Hello?",
                created_at=now,
            )  # fmt: skip
        # An access review of the group's grants; with no manager, the admin reviews them.
        newcomer = User.objects.create_user(
            email=f"newcomer{next(_numbers)}@acme.example", organization=self.org, name="New"
        )
        membership_grant(
            actor=self.admin, user=newcomer, role=Role.VIEWER, channel_group=self.group
        )
        campaign_start(
            actor=self.admin, organization=self.org, name=f"Review {next(_numbers)}",
            due_at=now + dt.timedelta(days=7), channel_groups=[self.group],
        )  # fmt: skip


@pytest.mark.django_db
def test_today_costs_the_same_queries_however_much_work(
    org, admin, make_user, signed_in, django_assert_num_queries: Capture
):
    world = World(org, admin, make_user)
    for role, viewer in ((Role.ADMIN, admin), (Role.APPROVER, world.approver)):
        client = signed_in(viewer)
        world.grow(1)
        client.get(reverse("core:today"))  # warm: the session, the content types
        with django_assert_num_queries(TODAY_QUERIES[role]):
            small = client.get(reverse("core:today"))
        with django_assert_num_queries(TODAY_CARDS_QUERIES[role]):
            client.get(reverse("core:today_cards"))
        world.grow(8)
        with django_assert_num_queries(TODAY_QUERIES[role]):
            large = client.get(reverse("core:today"))
        with django_assert_num_queries(TODAY_CARDS_QUERIES[role]):
            client.get(reverse("core:today_cards"))
        assert small.status_code == large.status_code == 200
        # The larger world shows as many items, and says how many more there are.
        assert b'class="today-item' in small.content
        assert b" more: " in large.content


@pytest.mark.django_db
def test_an_approver_sees_the_post_waiting_and_another_organisation_sees_nothing(
    org, other_org, admin, make_user, signed_in
):
    world = World(org, admin, make_user)
    world.grow(1)
    post = Post.objects.filter(state=PostState.IN_APPROVAL).get()
    review = reverse("approvals:post", args=[post.pk])

    page = signed_in(world.approver).get(reverse("core:today")).content.decode()
    assert review in page and post.master_text in page
    assert 'data-testid="today-approvals"' in page

    stranger = make_user(other_org, Role.ADMIN)
    other = signed_in(stranger).get(reverse("core:today")).content.decode()
    assert review not in other and post.master_text not in other
    # Every card of theirs is clear, each a line in the list of what needs nothing.
    assert 'data-testid="today-clear"' in other
    assert "No post is waiting for your approval." in other


@pytest.mark.django_db
def test_a_viewer_sees_only_the_cards_that_are_theirs(org, admin, make_user, signed_in):
    World(org, admin, make_user).grow(1)
    viewer = make_user(org, Role.VIEWER)

    page = signed_in(viewer).get(reverse("core:today")).content.decode()

    assert 'data-testid="today-going_out"' in page
    for key in ("approvals", "conversations", "needs_person", "channel_health"):
        assert f'data-testid="today-{key}"' not in page, key


@pytest.mark.django_db
def test_unchanged_cards_answer_304_and_changed_cards_a_new_tag(org, admin, make_user, signed_in):
    world = World(org, admin, make_user)
    world.grow(1)
    client = signed_in(world.approver)
    url = reverse("core:today_cards")

    first = client.get(url)
    tag = first["ETag"]
    assert first.status_code == 200 and tag
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    # The page carries the same tag for its first poll.
    assert f'data-etag="{escape(tag)}"' in client.get(reverse("core:today")).content.decode()

    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag

    world.grow(1)  # another post now waits for the approver
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed["ETag"] != tag
    waiting = Post.objects.filter(state=PostState.IN_APPROVAL)
    assert waiting.count() == 2
    for post in waiting:
        assert reverse("approvals:post", args=[post.pk]) in changed.content.decode()


@pytest.mark.django_db
def test_a_declared_card_appears_and_a_card_for_someone_else_does_not(
    org, admin, signed_in, monkeypatch
):
    # The registry as the apps declared it comes back afterwards, whatever the keys.
    monkeypatch.setattr(today, "_declared", dict(today._declared))

    def shown(*, viewer: User, now: dt.datetime) -> TodayCard | None:
        return TodayCard(key="example_shown", title="Example", empty="Nothing for you here.")

    def hidden(*, viewer: User, now: dt.datetime) -> TodayCard | None:
        return None

    today_card_declare(key="example_shown", order=5, provider=shown)
    today_card_declare(key="example_hidden", order=6, provider=hidden)
    page = signed_in(admin).get(reverse("core:today")).content.decode()
    assert "Nothing for you here." in page and "today-example_shown" in page
    assert "today-example_hidden" not in page


@pytest.mark.django_db
def test_the_demo_gives_each_person_work_on_today():
    from roost.demo import seed_demo_organization
    from roost.publishing.demo import seed_demo_today

    org = seed_demo_organization()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    now = timezone.now()

    def card(name: str, key: str) -> TodayCard:
        found = {c.key: c for c in today.today_cards(viewer=people[name], now=now)}
        return found[key]

    assert card("aaron", "approvals").total >= 3  # the campaign's two and one due today
    hike = Post.objects.get(organization=org, title="Tatra hiking weekend")
    assert reverse("approvals:post", args=[hike.pk]) in [
        item.url for item in card("aaron", "approvals").items
    ]
    assert card("chloe", "conversations").total == 1
    assert card("sam", "conversations").total == 1
    assert {i.badge for i in card("priya", "needs_person").items} == {"Failed"}
    assert {i.badge for i in card("marco", "needs_person").items} == {
        "Failed",
        "Outcome unknown",
    }
    assert card("priya", "channel_health").total >= 1  # her TikTok has no backup owner
    assert seed_demo_today(org) == 0  # a second run adds nothing
