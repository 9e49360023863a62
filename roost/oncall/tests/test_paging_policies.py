"""Escalation policies: valid steps only, one default per organisation, audited."""

from __future__ import annotations

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role, Team
from roost.oncall.models import EscalationPolicy, EscalationStep
from roost.oncall.paging.services import (
    StepSpec,
    escalation_policy_create,
    escalation_policy_delete,
    escalation_policy_update,
    page_raise,
)
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def person_step(person, wait=5):
    return StepSpec(target="person", person_id=person.pk, wait_minutes=wait)


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([StepSpec(target="pager", wait_minutes=5)], "steps[0].target"),
        ([StepSpec(target="person", person_id=None, wait_minutes=5)], "steps[0].person_id"),
        ([StepSpec(target="schedule", schedule_id=999999, wait_minutes=5)], "steps[0].schedule_id"),
        ([StepSpec(target="team", team_id=999999, wait_minutes=5)], "steps[0].team_id"),
    ],
)
def test_bad_steps_are_refused_naming_the_field(org, lead, steps, field):
    with pytest.raises(ApplicationError) as refused:
        escalation_policy_create(actor=lead, name="P", steps=steps)
    assert refused.value.code == ErrorCode.INVALID and refused.value.field == field
    assert not EscalationPolicy.objects.exists() and not EscalationStep.objects.exists()


def test_a_negative_or_huge_wait_is_refused(org, lead):
    for wait in (-1, 24 * 60 + 1):
        with pytest.raises(ApplicationError) as refused:
            escalation_policy_create(actor=lead, name="P", steps=[person_step(lead, wait)])
        assert refused.value.field == "steps[0].wait_minutes"


def test_a_person_or_team_of_another_organisation_cannot_be_a_step(org, other_org, make_user, lead):
    stranger = make_user(other_org, Role.ADMIN)
    theirs = Team.objects.create(organization=other_org, name="Theirs")
    for step in (person_step(stranger), StepSpec(target="team", team_id=theirs.pk, wait_minutes=5)):
        with pytest.raises(ApplicationError) as refused:
            escalation_policy_create(actor=lead, name="P", steps=[step])
        assert refused.value.code == ErrorCode.INVALID


def test_repeat_times_is_bounded_and_names_unique(org, lead):
    with pytest.raises(ApplicationError) as refused:
        escalation_policy_create(actor=lead, name="P", steps=[person_step(lead)], repeat_times=11)
    assert refused.value.field == "repeat_times"
    escalation_policy_create(actor=lead, name="Nights", steps=[person_step(lead)])
    with pytest.raises(ApplicationError) as refused:
        escalation_policy_create(actor=lead, name="nights", steps=[person_step(lead)])
    assert refused.value.code == ErrorCode.CONFLICT


def test_one_default_policy_per_organisation(org, lead):
    first = escalation_policy_create(
        actor=lead, name="A", steps=[person_step(lead)], is_default=True
    )
    second = escalation_policy_create(
        actor=lead, name="B", steps=[person_step(lead)], is_default=True
    )
    first.refresh_from_db()
    assert not first.is_default and second.is_default
    escalation_policy_update(
        actor=lead, policy=first, name="A", steps=[person_step(lead)], is_default=True
    )
    second.refresh_from_db()
    assert not second.is_default


def test_updating_replaces_the_steps_and_audits_before_and_after(org, lead, responders):
    policy = escalation_policy_create(actor=lead, name="A", steps=[person_step(responders[0])])
    escalation_policy_update(
        actor=lead, policy=policy, name="A2",
        steps=[person_step(responders[1], 3), person_step(responders[2], 7)],
    )  # fmt: skip
    assert list(policy.steps.values_list("position", "person_id", "wait_minutes")) == [
        (0, responders[1].pk, 3),
        (1, responders[2].pk, 7),
    ]
    event = AuditEvent.objects.get(action="oncall.policy.updated")
    assert event.before["name"] == "A" and event.after["name"] == "A2"
    assert len(event.after["steps"]) == 2


def test_only_leads_manage_policies(org, make_user, lead):
    agent = make_user(org, Role.COMMUNITY_MANAGER)
    with pytest.raises(ApplicationError) as refused:
        escalation_policy_create(actor=agent, name="P", steps=[person_step(agent)])
    assert refused.value.code == ErrorCode.PERMISSION_DENIED


def test_a_policy_pages_followed_cannot_be_deleted(org, lead, responders, policy, clock):
    page_raise(actor=lead, organization=org, title="Something")
    with pytest.raises(ApplicationError) as refused:
        escalation_policy_delete(actor=lead, policy=policy)
    assert refused.value.code == ErrorCode.CONFLICT
    unused = escalation_policy_create(actor=lead, name="Unused", steps=[person_step(lead)])
    escalation_policy_delete(actor=lead, policy=unused)
    assert not EscalationPolicy.objects.filter(pk=unused.pk).exists()
