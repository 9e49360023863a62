"""Campaigns: one instant on every channel, hold and release, preflight before release."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import Notification
from roost.publishing import campaigns, services
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.approvals import decisions, workflows
from roost.publishing.approvals import selectors as approval_selectors
from roost.publishing.approvals import versions as approval_versions
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.dispatch import dispatch_once
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState
from roost.sandbox.models import SandboxPost


@pytest.fixture
def launch(org, admin):
    return campaigns.campaign_create(
        actor=admin,
        organization=org,
        name="Winter launch",
        release_at=timezone.now() + dt.timedelta(hours=2),
        utm_campaign="winter-launch",
    )


def approved_post(org, publisher, channels, text="Winter is here"):
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=channels,
        master_text=text,
        link="https://shop.example/winter",
    )
    Post.objects.filter(pk=post.pk).update(state=PostState.APPROVED)
    Variant.objects.filter(post=post).update(state=VariantState.APPROVED)
    return Post.objects.get(pk=post.pk)


@pytest.mark.django_db
def test_posts_in_a_campaign_go_out_at_one_instant_with_utm_tags(
    org, admin, publisher, make_channel, launch
):
    channels = [make_channel("x", "post", "acme"), make_channel("bluesky", "post", "acme.bsky")]
    first = approved_post(org, publisher, channels[:1])
    second = approved_post(org, publisher, channels[1:], text="Second")
    for post in (first, second):
        campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    times = set(
        Variant.objects.filter(post__campaign=launch).values_list("scheduled_at", flat=True)
    )
    assert times == {launch.release_at}
    links = set(Variant.objects.filter(post__campaign=launch).values_list("link", flat=True))
    assert all(
        "utm_campaign=winter-launch" in link and "utm_medium=social" in link for link in links
    )
    assert {"utm_source=x" in link for link in links} == {True, False}


@pytest.mark.django_db
def test_hold_keeps_the_whole_campaign_back_and_release_lets_it_go(
    org, admin, publisher, make_channel, launch
):
    post = approved_post(org, publisher, [make_channel()])
    campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    services.post_after_approval(post=Post.objects.get(pk=post.pk))
    assert post.variants.get().state == VariantState.SCHEDULED
    campaigns.campaign_hold(actor=admin, campaign=launch, reason="Legal review")
    assert post.variants.get().state == VariantState.APPROVED
    assert dispatch_once(worker="w", now=launch.release_at + dt.timedelta(seconds=1)) == []
    campaigns.campaign_release(actor=admin, campaign=launch)
    assert post.variants.get().state == VariantState.SCHEDULED
    results = dispatch_once(worker="w", now=launch.release_at + dt.timedelta(seconds=1))
    assert [r.outcome for r in results] == ["published"]
    assert SandboxPost.objects.count() == 1


@pytest.mark.django_db
def test_a_failing_preflight_holds_the_campaign_and_warns_the_owners(
    org, admin, publisher, make_channel, launch, django_capture_on_commit_callbacks
):
    ready = approved_post(org, publisher, [make_channel("x", "post", "acme")])
    unapproved = services.post_create(
        actor=publisher,
        organization=org,
        channels=[make_channel("bluesky", "post", "b")],
        master_text="Draft",
    )
    for post in (ready, unapproved):
        campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    early = launch.release_at - dt.timedelta(hours=1)
    assert campaigns.campaigns_preflight_due(now=early) == 0  # not in its window yet
    window = launch.release_at - dt.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.campaigns_preflight_due(now=window) == 1
    launch.refresh_from_db()
    assert launch.status == Campaign.Status.HELD
    assert any("not approved" in p for p in launch.preflight_problems)
    held = [m for m in mail.outbox if publisher.email in m.to]
    assert len(held) == 1 and "held: preflight failed" in held[0].subject
    told = Notification.objects.get(recipient=publisher)
    assert told.url == reverse("publishing:campaign", args=[launch.pk])
    assert "not approved" in told.body
    assert AuditEvent.objects.filter(action="publishing.campaign.held").exists()
    assert campaigns.campaigns_preflight_due(now=window) == 0  # once


@pytest.mark.django_db
def test_a_passing_preflight_leaves_the_campaign_alone(org, admin, publisher, make_channel, launch):
    post = approved_post(org, publisher, [make_channel()])
    campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    assert campaigns.campaign_preflight(campaign=launch) == []
    launch.refresh_from_db()
    assert launch.status == Campaign.Status.DRAFT and launch.preflight_checked_at is not None


@pytest.mark.django_db
def test_campaign_pages_create_add_hold_and_release(org, admin, publisher, make_channel, signed_in):
    post = approved_post(org, publisher, [make_channel()])
    client = signed_in(admin)
    created = client.post(
        reverse("publishing:campaigns"),
        {
            "name": "Spring",
            "release_at": "2027-03-01T09:00",
            "utm_campaign": "spring",
            "preflight_minutes": 30,
        },
    )
    assert created.status_code == 302
    campaign = Campaign.objects.get(name="Spring")
    url = reverse("publishing:campaign_action", args=[campaign.pk])
    client.post(url, {"action": "add", "post": post.pk})
    post.refresh_from_db()
    assert post.campaign == campaign and post.scheduled_at == campaign.release_at
    client.post(url, {"action": "hold"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.HELD
    page = client.get(reverse("publishing:campaign", args=[campaign.pk])).content.decode()
    assert "Release the campaign" in page
    client.post(url, {"action": "release"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RELEASED
    assert post.variants.get().state == VariantState.SCHEDULED


@pytest.mark.django_db
def test_utm_tags_on_an_approved_post_are_an_edit_that_reopens_approval(
    org, admin, group, publisher, make_user, make_channel, launch
):
    reviewer = make_user(org, Role.APPROVER, channel_group=group)
    workflows.workflow_create(
        actor=admin, organization=org, name="Review", channel_group=group,
        steps=[StepSpec(name="Review", approver_users=[reviewer])],
    )  # fmt: skip
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[make_channel("x", "post", "acme")],
        master_text="Winter is here",
        link="https://shop.example/winter",
        scheduled_at=timezone.now() + dt.timedelta(days=1),
    )
    decisions.post_submit(post=post, actor=publisher)
    decisions.post_approve(post=Post.objects.get(pk=post.pk), approver=reviewer)
    approved = Post.objects.get(pk=post.pk)
    assert approved.state == PostState.SCHEDULED

    campaigns.campaign_add_post(actor=admin, campaign=launch, post=approved)
    stored = Post.objects.get(pk=post.pk)
    assert stored.state == PostState.IN_APPROVAL
    assert stored.version == approved.version + 1
    assert (
        ApprovalRequest.objects.get(post=post, status=ApprovalRequest.Status.PENDING).version
        == stored.version
    )
    newest, previous = list(approval_selectors.post_versions(viewer=publisher, post=stored))[:2]
    diff = approval_versions.version_diff(previous, newest)
    assert any(line.startswith("+") and "utm_campaign=winter-launch" in line for line in diff)


@pytest.mark.django_db
def test_a_published_post_cannot_join_a_campaign(org, admin, publisher, make_channel, launch):
    post = approved_post(org, publisher, [make_channel("x", "post", "acme")])
    Post.objects.filter(pk=post.pk).update(state=PostState.PUBLISHED)
    Variant.objects.filter(post=post).update(state=VariantState.PUBLISHED)
    with pytest.raises(ApplicationError) as refused:
        campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    assert refused.value.code == ErrorCode.CONFLICT
    assert Post.objects.get(pk=post.pk).campaign is None
    assert "utm_campaign" not in Variant.objects.get(post=post).link


@pytest.mark.django_db
def test_another_organisation_cannot_hold_or_release_a_campaign(
    org, admin, publisher, make_channel, launch, other_org, make_user
):
    post = approved_post(org, publisher, [make_channel()])
    campaigns.campaign_add_post(actor=admin, campaign=launch, post=post)
    services.post_after_approval(post=Post.objects.get(pk=post.pk))
    outsider = make_user(other_org, Role.ADMIN)
    for change in (
        lambda: campaigns.campaign_hold(actor=outsider, campaign=launch, reason="Not mine"),
        lambda: campaigns.campaign_release(actor=outsider, campaign=launch),
    ):
        with pytest.raises(ApplicationError) as refused:
            change()
        assert refused.value.code == ErrorCode.NOT_FOUND
    assert Campaign.objects.get(pk=launch.pk).status == launch.status
    assert post.variants.get().state == VariantState.SCHEDULED
    assert not AuditEvent.objects.filter(
        action__in=["publishing.campaign.held", "publishing.campaign.released"]
    ).exists()
