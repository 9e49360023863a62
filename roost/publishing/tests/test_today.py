"""Publishing's cards on Today: approvals waiting for the viewer, posts going out today on
the viewer's channels, posts that need a person. Each by role, within one organisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Organization, Role, User
from roost.core.today import ITEMS_SHOWN
from roost.publishing import services
from roost.publishing.approvals import decisions, workflows
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.publishing.today import today_approvals, today_going_out, today_needs_person
from roost.sandbox.channels import sandbox_channel_connect

# Mid-morning, so "later today" and "tomorrow" are clear in UTC.
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def _submitted(org: Organization, author: User, channel: Channel, text: str) -> Post:
    post = services.post_create(
        actor=author, organization=org, channels=[channel], master_text=text
    )
    return decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=author)


def _world(org: Organization, admin: User, make_user: Callable[..., User], name: str):
    """A group with a one-step workflow for its approvers (one at least), and a publisher's
    channel on it."""
    group = ChannelGroup.objects.create(organization=org, name=f"{name} consumer")
    publisher = make_user(org, Role.PUBLISHER, channel_group=group)
    make_user(org, Role.APPROVER, channel_group=group)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle=f"{name}_x",
        channel_group=group, primary_owner=publisher,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    workflows.workflow_create(
        actor=admin, organization=org, name="Review", channel_group=group,
        steps=[workflows.StepSpec(name="Brand check", approver_role=Role.APPROVER)],
    )  # fmt: skip
    return group, publisher, channel


@pytest.mark.django_db
def test_an_approver_sees_the_post_waiting_for_them_with_its_due_time(
    org, other_org, admin, make_user
):
    group, publisher, channel = _world(org, admin, make_user, "acme")
    approver = make_user(org, Role.APPROVER, channel_group=group)
    post = _submitted(org, publisher, channel, "Winter is coming to the shop")
    # Another organisation's post, waiting for its own approvers, never shows here.
    other_admin = make_user(other_org, Role.ADMIN)
    _, other_publisher, other_channel = _world(other_org, other_admin, make_user, "globex")
    _submitted(other_org, other_publisher, other_channel, "Globex news")

    card = today_approvals(viewer=approver, now=timezone.now())

    assert card is not None
    assert card.total == 1
    [item] = card.items
    assert item.label == "Winter is coming to the shop"
    assert item.url == reverse("approvals:post", args=[post.pk])
    assert "Brand check" in item.detail and channel.handle in item.detail
    assert item.at is not None and item.at > timezone.now()
    assert item.at_label == "Due"


@pytest.mark.django_db
def test_approvals_by_role(org, admin, make_user):
    _group, publisher, channel = _world(org, admin, make_user, "acme")
    _submitted(org, publisher, channel, "Waiting")
    viewer = make_user(org, Role.VIEWER)
    elsewhere = make_user(
        org, Role.APPROVER, channel_group=ChannelGroup.objects.create(organization=org, name="B")
    )

    # Whoever may approve nowhere has no approvals card at all.
    assert today_approvals(viewer=viewer, now=NOW) is None
    assert today_approvals(viewer=publisher, now=NOW) is None
    # An approver of another group has the card, empty, saying so in a line.
    card = today_approvals(viewer=elsewhere, now=NOW)
    assert card is not None and card.is_empty and card.items == []
    assert card.empty == "No post is waiting for your approval."


@pytest.mark.django_db
def test_an_overdue_approval_says_so(org, admin, make_user):
    group, publisher, channel = _world(org, admin, make_user, "acme")
    approver = make_user(org, Role.APPROVER, channel_group=group)
    _submitted(org, publisher, channel, "Late")

    card = today_approvals(viewer=approver, now=timezone.now() + dt.timedelta(days=2))

    assert card is not None
    [item] = card.items
    assert (item.at_label, item.tone) == ("Overdue since", "late")


def _scheduled(org, author, channels, at, state=VariantState.SCHEDULED, text="Going out"):
    post = services.post_create(actor=author, organization=org, channels=channels, master_text=text)
    Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED, scheduled_at=at)
    Variant.objects.filter(post=post).update(state=state, scheduled_at=at)
    return post


@pytest.mark.django_db
def test_going_out_today_lists_the_viewers_channels_in_the_order_they_go(
    org, other_org, admin, make_user
):
    group, publisher, channel = _world(org, admin, make_user, "acme")
    colleague = make_user(org, Role.PUBLISHER, channel_group=group)
    theirs = channel_services.channel_create(
        actor=admin, organization=org, network="bluesky", placement="post", handle="theirs",
        channel_group=group, primary_owner=colleague,
    )  # fmt: skip
    later = _scheduled(org, colleague, [channel], NOW + dt.timedelta(hours=5), text="Later")
    sooner = _scheduled(org, colleague, [channel], NOW + dt.timedelta(hours=1), text="Sooner")
    paused = _scheduled(
        org, colleague, [channel], NOW + dt.timedelta(hours=2), VariantState.PAUSED, "Held"
    )
    _scheduled(org, colleague, [channel], NOW + dt.timedelta(days=1), text="Tomorrow")
    _scheduled(org, colleague, [channel], NOW - dt.timedelta(hours=1), VariantState.PUBLISHED)
    _scheduled(org, colleague, [theirs], NOW + dt.timedelta(hours=3), text="Not mine")
    other_admin = make_user(other_org, Role.ADMIN)
    _, other_publisher, other_channel = _world(other_org, other_admin, make_user, "globex")
    _scheduled(other_org, other_publisher, [other_channel], NOW + dt.timedelta(hours=1))

    card = today_going_out(viewer=publisher, now=NOW)

    assert card is not None
    assert [item.label for item in card.items] == ["Sooner", "Held", "Later"]
    assert card.total == 3
    assert card.items[0].url == reverse("publishing:detail", args=[sooner.pk])
    assert card.items[1].badge == "Paused"
    assert card.items[1].url == reverse("publishing:detail", args=[paused.pk])
    assert card.items[2].at == NOW + dt.timedelta(hours=5)
    assert card.items[2].url == reverse("publishing:detail", args=[later.pk])
    # The colleague wrote them all, and sees them and their own channel's post.
    assert today_going_out(viewer=colleague, now=NOW).total == 4


@pytest.mark.django_db
def test_going_out_today_is_the_viewers_own_day(org, admin, make_user):
    _group, publisher, channel = _world(org, admin, make_user, "acme")
    publisher.time_zone = "Asia/Tokyo"  # 10:00 UTC is 19:00 in Tokyo: the day ends at 15:00
    publisher.save(update_fields=["time_zone"])
    _scheduled(org, publisher, [channel], NOW + dt.timedelta(hours=4), text="Before midnight")
    _scheduled(org, publisher, [channel], NOW + dt.timedelta(hours=6), text="After midnight")

    card = today_going_out(viewer=publisher, now=NOW)

    assert [item.label for item in card.items] == ["Before midnight"]


@pytest.mark.django_db
def test_going_out_today_shows_a_few_and_counts_them_all(org, admin, make_user):
    _group, publisher, channel = _world(org, admin, make_user, "acme")
    for n in range(ITEMS_SHOWN + 3):
        _scheduled(org, publisher, [channel], NOW + dt.timedelta(minutes=n + 1), text=f"P{n}")

    card = today_going_out(viewer=publisher, now=NOW)

    assert len(card.items) == ITEMS_SHOWN
    assert card.total == ITEMS_SHOWN + 3 and card.more == 3


@pytest.mark.django_db
def test_posts_that_need_a_person_by_role_and_organisation(org, other_org, admin, make_user):
    _group, publisher, channel = _world(org, admin, make_user, "acme")
    failed = _scheduled(org, publisher, [channel], NOW - dt.timedelta(hours=2), text="Failed")
    Variant.objects.filter(post=failed).update(
        state=VariantState.FAILED, last_error="The network refused the token"
    )
    unknown = _scheduled(org, publisher, [channel], NOW - dt.timedelta(hours=3), text="Unknown")
    Variant.objects.filter(post=unknown).update(state=VariantState.UNCONFIRMED)
    _scheduled(org, publisher, [channel], NOW - dt.timedelta(hours=1), VariantState.PUBLISHED)
    other_admin = make_user(other_org, Role.ADMIN)
    _, other_publisher, other_channel = _world(other_org, other_admin, make_user, "globex")
    theirs = _scheduled(other_org, other_publisher, [other_channel], NOW, text="Theirs")
    Variant.objects.filter(post=theirs).update(state=VariantState.FAILED)

    card = today_needs_person(viewer=publisher, now=NOW)

    assert card is not None
    # The unknown outcome first: it may have gone out, so it is the riskier one.
    assert [(i.label, i.badge) for i in card.items] == [
        ("Unknown", "Outcome unknown"),
        ("Failed", "Failed"),
    ]
    assert "The network refused the token" in card.items[1].detail
    assert card.items[0].url == reverse("publishing:detail", args=[unknown.pk])
    assert {(c.label, c.count) for c in card.counts} == {("Outcome unknown", 1), ("Failed", 1)}
    assert card.total == 2
    # A viewer cannot settle anything: no card. A publisher of another group: an empty one.
    assert today_needs_person(viewer=make_user(org, Role.VIEWER), now=NOW) is None
    other_group = ChannelGroup.objects.create(organization=org, name="Other")
    elsewhere = today_needs_person(
        viewer=make_user(org, Role.PUBLISHER, channel_group=other_group), now=NOW
    )
    assert elsewhere is not None and elsewhere.is_empty
