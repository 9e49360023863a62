"""The permission matrix: each role against each action, from one table written out by hand."""

from __future__ import annotations

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Role
from roost.core.permissions import Action, can, require
from roost.core.services import membership_grant, team_create

A, M, P, AP, CM, AN, V = (
    "admin",
    "manager",
    "publisher",
    "approver",
    "community_manager",
    "analyst",
    "viewer",
)
EVERYONE = {A, M, P, AP, CM, AN, V}

# Who may do what, holding the role on the whole organisation.
EXPECTED = {
    Action.ORG_VIEW: EVERYONE,
    Action.ORG_UPDATE: {A},
    Action.PEOPLE_VIEW: EVERYONE,
    Action.USER_INVITE: {A},
    Action.USER_DEACTIVATE: {A},
    Action.MEMBERSHIP_GRANT: {A},
    Action.MEMBERSHIP_REVOKE: {A},
    Action.TEAM_MANAGE: {A, M},
    Action.STRUCTURE_MANAGE: {A},
    Action.AUDIT_VIEW: {A, M},
    Action.AUDIT_EXPORT: {A},
    Action.PERSON_OFFBOARD: {A},
    Action.SIGNIN_POLICY_MANAGE: {A},
    Action.CATALOGUE_VIEW: EVERYONE,
    Action.LISTENING_VIEW: EVERYONE,
    Action.MONITOR_MANAGE: {A, M},
    Action.API_TOKEN_CREATE: EVERYONE,
    Action.CHANNEL_VIEW: EVERYONE,
    Action.CHANNEL_MANAGE: {A, M},
    Action.CHANNEL_HEALTH_VIEW: {A, M},
    Action.CHANNEL_WEBHOOK_MANAGE: {A},
    Action.MEDIA_EDIT: {A, M, P},
    Action.POST_VIEW: EVERYONE,
    Action.POST_EDIT: {A, M, P},
    Action.POST_APPROVE: {A, M, AP},
    Action.WORKFLOW_MANAGE: {A, M},
    Action.CAMPAIGN_MANAGE: {A, M, P},
    Action.PUBLISHING_PAUSE: {A, M},
    Action.COMPLIANCE_MANAGE: {A, M},
    Action.INBOX_VIEW: EVERYONE,
    Action.INBOX_HANDLE: {A, M, CM},
    Action.INBOX_CONFIGURE: {A, M},
    Action.INBOX_REPORT_VIEW: {A, M, AN},
    Action.CLASSIFIER_CONFIGURE: {A},
    Action.INCIDENT_VIEW: EVERYONE,
    Action.INCIDENT_MANAGE: {A, M, CM},
    Action.CRISIS_MODE: {A, M},
    Action.PLAYBOOK_MANAGE: {A, M},
    Action.ONCALL_VIEW: EVERYONE,
    Action.SCHEDULE_MANAGE: {A, M},
    Action.PAGE_VIEW: EVERYONE,
    Action.PAGE_RAISE: {A, M, CM},
    Action.PAGE_RESPOND: EVERYONE,
    Action.ESCALATION_MANAGE: {A, M},
    Action.ACCESS_VIEW: {A, M},
    Action.ACCESS_MANAGE: {A},
    Action.RISK_VIEW: {A},
    Action.ACCESS_REVIEW_RUN: {A},
    Action.ACCESS_REVIEW_ATTEST: {A, M},
    Action.ANALYTICS_VIEW: EVERYONE,
    Action.ANALYTICS_CONFIGURE: {A, M},
    Action.REPORT_MANAGE: {A, M, AN},
    Action.COMPETITOR_MANAGE: {A, M, AN},
}


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_permission_matrix_for_organisation_wide_roles(role, org, make_user):
    user = make_user(org, role)
    for action, allowed in EXPECTED.items():
        assert can(user, action) is (role in allowed), (role, action)


@pytest.mark.django_db
def test_a_role_on_one_channel_group_does_not_reach_another(org, make_user):
    mine = ChannelGroup.objects.create(organization=org, name="Mine")
    theirs = ChannelGroup.objects.create(organization=org, name="Theirs")
    group_admin = make_user(org, Role.ADMIN, channel_group=mine)
    assert can(group_admin, Action.MEMBERSHIP_GRANT, channel_group=mine)
    assert not can(group_admin, Action.MEMBERSHIP_GRANT, channel_group=theirs)
    # Organisation-wide actions need an organisation-wide grant.
    assert not can(group_admin, Action.AUDIT_VIEW)
    assert can(group_admin, Action.ORG_VIEW)


@pytest.mark.django_db
def test_group_admin_grants_on_own_group_only_through_the_service(org, make_user):
    mine = ChannelGroup.objects.create(organization=org, name="Mine")
    theirs = ChannelGroup.objects.create(organization=org, name="Theirs")
    group_admin = make_user(org, Role.ADMIN, channel_group=mine)
    person = make_user(org, None)
    membership_grant(actor=group_admin, user=person, role=Role.PUBLISHER, channel_group=mine)
    with pytest.raises(ApplicationError) as refused:
        membership_grant(actor=group_admin, user=person, role=Role.PUBLISHER, channel_group=theirs)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_services_check_the_policy_not_only_views(org, make_user):
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        team_create(organization=org, actor=viewer, name="Shadow team")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    manager = make_user(org, Role.MANAGER)
    assert team_create(organization=org, actor=manager, name="Social").name == "Social"


@pytest.mark.django_db
def test_no_role_and_inactive_people_can_do_nothing(org, make_user):
    nobody = make_user(org, None)
    gone = make_user(org, Role.ADMIN)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for action in Action:
        assert not can(nobody, action)
        assert not can(gone, action)
    with pytest.raises(ApplicationError):
        require(nobody, Action.ORG_VIEW)
