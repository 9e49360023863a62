"""Starting a campaign, attesting (one and in bulk), grants that vanish, closing."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role
from roost.core.services import membership_revoke
from roost.governance.reviews.models import Campaign, CampaignStatus, Decision, ReviewItem
from roost.governance.reviews.services import (
    ReviewRefusal,
    campaign_close,
    item_attest,
    items_attest,
)
from roost.governance.reviews.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_a_campaign_snapshots_one_item_per_grant_in_scope(world):
    campaign = world.start(channel_groups=[world.careers])
    items = campaign.items.order_by("person__name", "role")
    assert [(i.person.email, i.role, i.scope_label) for i in items] == [
        ("chloe@acme.example", Role.COMMUNITY_MANAGER, "Careers"),
        ("priya@acme.example", Role.PUBLISHER, "Careers"),
    ]
    assert all(i.decision == Decision.PENDING and i.membership_id for i in items)
    started = AuditEvent.objects.get(action="access_reviews.campaign.started")
    assert started.actor == world.admin and started.after["items"] == 2


def test_every_group_and_organisation_wide_grants(world):
    campaign = world.start(include_organization_wide=True)
    assert campaign.items.count() == Membership.objects.filter(organization=world.org).count()
    assert campaign.all_channel_groups
    only_groups = world.start(name="Groups only")
    assert not only_groups.items.filter(channel_group__isnull=True).exists()


@pytest.mark.parametrize(
    ("due", "field"),
    [
        (NOW - dt.timedelta(minutes=1), "due_at"),
        (NOW, "due_at"),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), "due_at"),
        (NOW + dt.timedelta(days=400), "due_at"),
        (dt.datetime(2026, 4, 1, 9, 0), "due_at"),  # noqa: DTZ001 (no time zone on purpose)
    ],
)
def test_a_due_date_in_the_past_or_too_far_is_refused_and_nothing_stored(world, due, field):
    with pytest.raises(ApplicationError) as refused:
        world.start(due_at=due)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, field)
    assert not Campaign.objects.exists() and not ReviewItem.objects.exists()


def test_only_admins_start_and_close(world):
    with pytest.raises(ApplicationError) as refused:
        world.start(actor=world.org_manager)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    campaign = world.start()
    with pytest.raises(ApplicationError) as refused:
        campaign_close(actor=world.emea_manager, campaign=campaign, now=NOW)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert Campaign.objects.get().status == CampaignStatus.OPEN


def test_an_empty_scope_is_refused(world):
    with pytest.raises(ApplicationError) as refused:
        world.start(channel_groups=[])
    assert refused.value.field == "channel_groups"
    assert not Campaign.objects.exists()


def test_keep_records_who_when_and_why(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    later = NOW + dt.timedelta(hours=3)
    kept = item_attest(
        actor=world.emea_manager,
        item=item,
        decision="keep",
        comment="Runs the EMEA launch",
        now=later,
    )
    assert (kept.decision, kept.decided_by, kept.decided_at, kept.comment) == (
        Decision.KEEP,
        world.emea_manager,
        later,
        "Runs the EMEA launch",
    )
    assert Membership.objects.filter(pk=item.membership_id).exists()
    event = AuditEvent.objects.get(action="access_reviews.item.kept")
    assert event.actor == world.emea_manager and event.after["comment"] == "Runs the EMEA launch"


def test_revoke_removes_the_grant_through_the_membership_service(world):
    campaign = world.start()
    grant = world.grant(world.publisher, Role.PUBLISHER, world.emea)
    item = world.item(campaign, world.publisher, world.emea)
    revoked = item_attest(actor=world.emea_manager, item=item, decision="revoke", now=NOW)
    assert revoked.decision == Decision.REVOKE and revoked.revoked_at == NOW
    assert not Membership.objects.filter(pk=grant.pk).exists()
    # The person keeps their other grant; the item remembers what was revoked.
    assert Membership.objects.filter(user=world.publisher, channel_group=world.careers).exists()
    revoked.refresh_from_db()
    assert (revoked.role, revoked.scope_label, revoked.membership_id) == (
        Role.PUBLISHER,
        "Consumer EMEA",
        None,
    )
    removal = AuditEvent.objects.get(action="core.membership.revoked")
    assert removal.actor_label == "access review, decided by emma@acme.example"
    assert AuditEvent.objects.get(action="access_reviews.item.revoked").actor == world.emea_manager


def test_attesting_twice_is_a_conflict(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    item_attest(actor=world.emea_manager, item=item, decision="keep", now=NOW)
    with pytest.raises(ApplicationError) as refused:
        item_attest(actor=world.emea_manager, item=item, decision="revoke", now=NOW)
    assert (refused.value.code, refused.value.message) == (
        ErrorCode.CONFLICT,
        ReviewRefusal.DECIDED,
    )
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.KEEP
    assert Membership.objects.filter(pk=item.membership_id).exists()


def test_an_item_not_yours_is_refused(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    # Marco manages the whole organisation, but this item is Emma's to decide; an admin
    # may not decide it either.
    for outsider in (world.org_manager, world.admin, world.agent):
        with pytest.raises(ApplicationError) as refused:
            item_attest(actor=outsider, item=item, decision="revoke", now=NOW)
        assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING
    assert Membership.objects.filter(pk=item.membership_id).exists()


def test_a_reviewer_who_lost_the_manager_role_may_not_decide(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    membership_revoke(
        actor=SYSTEM, membership=world.grant(world.emea_manager, Role.MANAGER, world.emea)
    )
    with pytest.raises(ApplicationError) as refused:
        item_attest(actor=world.emea_manager, item=item, decision="keep", now=NOW)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED


def test_a_grant_removed_meanwhile_is_marked_gone_not_failed(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    membership_revoke(
        actor=world.admin, membership=world.grant(world.publisher, Role.PUBLISHER, world.emea)
    )
    answered = item_attest(actor=world.emea_manager, item=item, decision="revoke", now=NOW)
    assert answered.decision == Decision.GONE and answered.revoked_at is None
    assert AuditEvent.objects.filter(action="access_reviews.item.grant_gone").count() == 1


def test_bad_decisions_and_comments_are_refused(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    for decision, comment, field in (("maybe", "", "decision"), ("keep", "x" * 1001, "comment")):
        with pytest.raises(ApplicationError) as refused:
            item_attest(actor=world.emea_manager, item=item, decision=decision, comment=comment)
        assert refused.value.field == field
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING


def test_bulk_decides_all_or_none(world):
    campaign = world.start()
    careers = list(campaign.items.filter(channel_group=world.careers))
    emea = world.item(campaign, world.publisher, world.emea)
    # One of them is Emma's, not Marco's: nothing is decided.
    with pytest.raises(ApplicationError):
        items_attest(actor=world.org_manager, items=[*careers, emea], decision="revoke", now=NOW)
    assert not campaign.items.exclude(decision=Decision.PENDING).exists()
    assert Membership.objects.filter(channel_group=world.careers).count() == 2
    decided = items_attest(
        actor=world.org_manager, items=careers, decision="revoke", comment="Hiring paused", now=NOW
    )
    assert {d.decision for d in decided} == {Decision.REVOKE}
    assert not Membership.objects.filter(channel_group=world.careers).exists()
    assert AuditEvent.objects.filter(action="access_reviews.item.revoked").count() == 2


def test_revoking_the_last_admin_is_refused_and_nothing_is_stored(world):
    Membership.objects.filter(user=world.second_admin).delete()
    campaign = world.start(include_organization_wide=True)
    own = world.item(campaign, world.admin, None)
    with pytest.raises(ApplicationError) as refused:
        item_attest(actor=world.org_manager, item=own, decision="revoke", now=NOW)
    assert refused.value.code == ErrorCode.LAST_ADMIN
    assert ReviewItem.objects.get(pk=own.pk).decision == Decision.PENDING
    assert Membership.objects.filter(user=world.admin, role=Role.ADMIN).exists()


def test_closing_leaves_the_rest_unanswered_and_nothing_more_is_decided(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    item_attest(actor=world.emea_manager, item=item, decision="keep", now=NOW)
    closed = campaign_close(actor=world.admin, campaign=campaign, now=NOW + dt.timedelta(days=1))
    assert closed.status == CampaignStatus.CLOSED and closed.closed_by == world.admin
    event = AuditEvent.objects.get(action="access_reviews.campaign.closed")
    assert event.after["unanswered"] == campaign.items.count() - 1
    other = world.item(campaign, world.agent, world.careers)
    with pytest.raises(ApplicationError) as refused:
        item_attest(actor=world.org_manager, item=other, decision="keep")
    assert (refused.value.code, refused.value.message) == (ErrorCode.CONFLICT, ReviewRefusal.CLOSED)
    with pytest.raises(ApplicationError) as again:
        campaign_close(actor=world.admin, campaign=campaign)
    assert again.value.code == ErrorCode.CONFLICT


def test_services_refuse_another_organisation(world, other_org, make_user):
    stranger = make_user(other_org, Role.ADMIN)
    theirs = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    with pytest.raises(ApplicationError) as refused:
        world.start(actor=stranger)  # starting a review of our organisation
    assert refused.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(ApplicationError) as refused:
        world.start(channel_groups=[world.emea, theirs])
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "channel_groups")
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    item.reviewers.add(stranger)  # even if assigned by mistake
    for attempt in (
        lambda: item_attest(actor=stranger, item=item, decision="revoke", now=NOW),
        lambda: campaign_close(actor=stranger, campaign=campaign, now=NOW),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == ErrorCode.NOT_FOUND
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.PENDING
    assert Campaign.objects.get().status == CampaignStatus.OPEN
