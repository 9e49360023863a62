"""Who reviews which grant: the group's managers, else the organisation's managers, else
the admins; never the person themselves."""

from __future__ import annotations

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Membership, Role
from roost.governance.reviews.models import Decision
from roost.governance.reviews.services import ReviewRefusal, item_attest

pytestmark = pytest.mark.django_db


def _reviewers(item):
    return sorted(r.email for r in item.reviewers.all())


def test_a_group_with_a_manager_goes_to_that_manager(world):
    campaign = world.start()
    assert _reviewers(world.item(campaign, world.publisher, world.emea)) == ["emma@acme.example"]


def test_a_group_without_a_manager_goes_to_the_organisation_managers(world):
    campaign = world.start()
    assert _reviewers(world.item(campaign, world.publisher, world.careers)) == [
        "marco@acme.example"
    ]
    assert _reviewers(world.item(campaign, world.agent, world.careers)) == ["marco@acme.example"]


def test_every_manager_of_the_group_may_review(world, make_user):
    second = make_user(world.org, Role.MANAGER, channel_group=world.emea, email="zed@acme.example")
    campaign = world.start()
    assert _reviewers(world.item(campaign, world.publisher, world.emea)) == [
        "emma@acme.example",
        second.email,
    ]


def test_a_manager_never_reviews_their_own_grant(world):
    campaign = world.start(include_organization_wide=True)
    # Emma manages EMEA: her own grant there falls through to the organisation's manager.
    assert _reviewers(world.item(campaign, world.emea_manager, world.emea)) == [
        "marco@acme.example"
    ]
    # Marco is the only organisation-wide manager: his grant goes to the admins.
    assert _reviewers(world.item(campaign, world.org_manager, None)) == [
        "ada@acme.example",
        "bea@acme.example",
    ]
    # Each admin's own grant goes to the organisation's manager first.
    assert _reviewers(world.item(campaign, world.admin, None)) == ["marco@acme.example"]


def test_without_managers_the_admins_review_each_other(world):
    Membership.objects.filter(role=Role.MANAGER).delete()
    campaign = world.start(include_organization_wide=True)
    assert _reviewers(world.item(campaign, world.publisher, world.emea)) == [
        "ada@acme.example",
        "bea@acme.example",
    ]
    assert _reviewers(world.item(campaign, world.admin, None)) == ["bea@acme.example"]
    assert _reviewers(world.item(campaign, world.second_admin, None)) == ["ada@acme.example"]


def test_the_only_admin_s_own_grant_has_no_reviewer(world):
    Membership.objects.filter(role=Role.MANAGER).delete()
    Membership.objects.filter(user=world.second_admin).delete()
    campaign = world.start(include_organization_wide=True)
    assert _reviewers(world.item(campaign, world.admin, None)) == []


def test_inactive_people_do_not_review(world):
    world.emea_manager.is_active = False
    world.emea_manager.save(update_fields=["is_active"])
    campaign = world.start()
    assert _reviewers(world.item(campaign, world.publisher, world.emea)) == ["marco@acme.example"]


def test_attesting_one_s_own_grant_is_refused_even_if_assigned(world):
    campaign = world.start(include_organization_wide=True)
    own = world.item(campaign, world.org_manager, None)
    own.reviewers.add(world.org_manager)  # as if assigned by mistake
    with pytest.raises(ApplicationError) as refused:
        item_attest(actor=world.org_manager, item=own, decision="keep")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert refused.value.message == ReviewRefusal.OWN_GRANT
    own.refresh_from_db()
    assert own.decision == Decision.PENDING
