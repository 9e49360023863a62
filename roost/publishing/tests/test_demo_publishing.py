"""The demo's publishing: a campaign waiting for approval, two weeks of scheduled posts on
several networks, 90 days of published history on the sandbox channels; seeding twice adds
nothing, and the calendar and the approval queue show it to the demo's people."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.demo import seed_demo
from roost.core.models import Organization, User
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.demo import HISTORY_DAYS, seed_demo_publishing
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.models import SandboxPost


@pytest.fixture
def demo(db: None) -> Organization:
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_publishing(org)
    return org


def person(org: Organization, name: str) -> User:
    return User.objects.get(organization=org, email=f"{name}@northwind.example")


def counts(org: Organization) -> tuple[int, ...]:
    return (
        Post.objects.filter(organization=org).count(),
        Variant.objects.filter(organization=org).count(),
        Campaign.objects.filter(organization=org).count(),
        ApprovalRequest.objects.filter(organization=org).count(),
        SandboxPost.objects.count(),
    )


def scheduled_ahead(org: Organization) -> list[Variant]:
    now = timezone.now()
    return list(
        Variant.objects.filter(
            organization=org,
            state=VariantState.SCHEDULED,
            scheduled_at__gt=now,
            scheduled_at__lte=now + dt.timedelta(days=15),
        ).select_related("channel", "post")
    )


def published_history(org: Organization) -> list[Variant]:
    return list(
        Variant.objects.filter(organization=org, state=VariantState.PUBLISHED).select_related(
            "channel"
        )
    )


@pytest.mark.django_db
def test_seeding_twice_adds_nothing(demo):
    before = counts(demo)
    assert before[0] > 0
    assert seed_demo_publishing(demo) == 0
    assert counts(demo) == before


@pytest.mark.django_db
def test_a_campaign_waits_for_approval(demo):
    campaign = Campaign.objects.get(organization=demo, name="Winter launch")
    posts = list(campaign.posts.all())
    assert len(posts) == 2
    assert {p.state for p in posts} == {PostState.IN_APPROVAL}
    pending = ApprovalRequest.objects.filter(post__in=posts, status=ApprovalRequest.Status.PENDING)
    assert pending.count() == 2
    assert campaign.release_at is not None and campaign.release_at > timezone.now()


@pytest.mark.django_db
def test_posts_are_scheduled_over_the_next_two_weeks_on_several_networks(demo):
    ahead = scheduled_ahead(demo)
    days = {timezone.localdate(v.scheduled_at) for v in ahead}
    assert len(days) >= 12  # about one post a day for two weeks
    assert len({v.channel.network for v in ahead}) >= 3
    assert {v.post.state for v in ahead} == {PostState.SCHEDULED}
    assert all(v.channel.connector == "sandbox" for v in ahead)


@pytest.mark.django_db
def test_ninety_days_of_history_is_published_on_the_sandbox_channels(demo):
    history = published_history(demo)
    now = timezone.now()
    assert history
    assert all(v.channel.connector == "sandbox" for v in history)
    assert all(v.published_at is not None and v.published_at < now for v in history)
    oldest = min(v.published_at for v in history if v.published_at)
    assert now - oldest >= dt.timedelta(days=HISTORY_DAYS - 1)
    assert now - oldest <= dt.timedelta(days=HISTORY_DAYS + 1)
    # Spread out: every thirty-day stretch of the ninety has published posts.
    ages = {(now - v.published_at).days // 30 for v in history if v.published_at}
    assert ages >= {0, 1, 2}
    assert len({timezone.localdate(v.published_at) for v in history if v.published_at}) >= 80
    assert len({v.channel.network for v in history}) >= 3
    # Really published through the sandbox network: each has its post there.
    assert all(v.external_id and v.url for v in history)
    assert SandboxPost.objects.filter(
        external_id__in=[v.external_id for v in history]
    ).count() == len(history)


@pytest.mark.django_db
def test_the_calendar_shows_the_scheduled_posts_to_a_demo_manager(demo, signed_in):
    marco = person(demo, "marco")
    zone = zoneinfo.ZoneInfo(marco.time_zone)
    client = signed_in(marco)
    ahead = scheduled_ahead(demo)
    months = {v.scheduled_at.astimezone(zone).date().replace(day=1) for v in ahead}
    body = ""
    for month in sorted(months):
        response = client.get(
            reverse("publishing:calendar"), {"view": "list", "date": month.isoformat()}
        )
        assert response.status_code == 200
        body += response.content.decode()
    for variant in ahead:
        assert reverse("publishing:detail", args=[variant.post_id]) in body
    month_view = client.get(reverse("publishing:calendar"))
    assert month_view.status_code == 200
    assert "calendar-item state-scheduled" in month_view.content.decode()
    two_months_ago = (timezone.now() - dt.timedelta(days=60)).astimezone(zone).date()
    past = client.get(
        reverse("publishing:calendar"), {"view": "list", "date": two_months_ago.isoformat()}
    )
    assert past.status_code == 200
    assert past.content.decode().count("<td>Published</td>") >= 28


@pytest.mark.django_db
def test_a_demo_publisher_sees_only_her_channel_groups_posts_on_the_calendar(demo, signed_in):
    priya = person(demo, "priya")
    zone = zoneinfo.ZoneInfo(priya.time_zone)
    ahead = scheduled_ahead(demo)
    hers = {v.post_id for v in ahead if v.channel.channel_group.name == "Consumer EMEA"}
    others = {v.post_id for v in ahead} - hers
    assert hers and others
    client = signed_in(priya)
    months = {v.scheduled_at.astimezone(zone).date().replace(day=1) for v in ahead}
    body = "".join(
        client.get(
            reverse("publishing:calendar"), {"view": "list", "date": month.isoformat()}
        ).content.decode()
        for month in sorted(months)
    )
    assert all(reverse("publishing:detail", args=[pk]) in body for pk in hers)
    assert not any(reverse("publishing:detail", args=[pk]) in body for pk in others)


@pytest.mark.django_db
def test_the_approval_queue_shows_the_campaign_posts_to_a_demo_approver(demo, signed_in):
    aaron = person(demo, "aaron")
    response = signed_in(aaron).get(reverse("approvals:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    for post in Campaign.objects.get(organization=demo, name="Winter launch").posts.all():
        assert reverse("approvals:post", args=[post.pk]) in body
