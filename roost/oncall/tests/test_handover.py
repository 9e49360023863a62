"""Handing a leaver's on-call shifts to a successor: rotations, overrides from now on,
schedules they own and escalation steps that name them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.oncall.models import EscalationPolicy, EscalationStep, LayerMember, Override, Schedule
from roost.oncall.models.paging import StepTarget
from roost.oncall.schedules import services
from roost.oncall.schedules.handover import SELF_COVER, SHORTER, oncall_hand_over, oncall_held
from roost.oncall.schedules.plans import plans_for
from roost.oncall.tests.conftest import layer_input

HOUR = dt.timedelta(hours=1)


def _override(schedule, person, start, end, replaces=None):
    return Override.objects.create(
        organization_id=schedule.organization_id, schedule=schedule, person=person,
        replaces=replaces, start=start, end=end,
    )  # fmt: skip


def _on_call(schedule, start, end):
    plan = plans_for([schedule], start=start, end=end)[schedule.pk]
    return {interval.person for interval in plan.intervals(start, end)}


@pytest.mark.django_db
def test_rotations_overrides_schedules_and_steps_move_from_now_on(
    org, admin, lead, make_schedule, make_user
):
    leaver, successor, colleague = (make_user(org, Role.COMMUNITY_MANAGER) for _ in range(3))
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=10)
    schedule = make_schedule(owner=leaver)
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([leaver, colleague], start=start)
    )
    second = make_schedule(name="Night desk")
    services.layer_create(
        actor=lead, schedule=second, data=layer_input([leaver, successor], start=start)
    )
    past = _override(schedule, leaver, now - 5 * HOUR, now - 4 * HOUR)
    running = _override(schedule, leaver, now - HOUR, now + HOUR, replaces=colleague)
    coming = _override(schedule, leaver, now + 30 * HOUR, now + 32 * HOUR)
    covering_leaver = _override(schedule, colleague, now + 50 * HOUR, now + 51 * HOUR, leaver)
    self_cover = _override(second, leaver, now + 60 * HOUR, now + 61 * HOUR, replaces=successor)
    policy = EscalationPolicy.objects.create(organization=org, name="Social")
    step = EscalationStep.objects.create(
        organization=org, policy=policy, position=0, target=StepTarget.PERSON, person=leaver
    )
    week = (now, now + dt.timedelta(days=7))
    assert leaver.pk in _on_call(schedule, *week)

    preview = oncall_held(actor=admin, leaver=leaver, successor=successor, now=now)
    assert {(line.kind, line.review) for line in preview} >= {("rotation", SHORTER)}
    assert ("override", SELF_COVER) in {(line.kind, line.review) for line in preview}

    lines = oncall_hand_over(actor=admin, leaver=leaver, successor=successor, now=now)

    kinds = sorted(line.kind for line in lines)
    assert kinds == sorted(["rotation"] * 2 + ["override"] * 4 + ["schedule", "escalation_step"])
    # Nobody is the leaver from now on, in either schedule; the successor has their shifts.
    assert leaver.pk not in _on_call(schedule, *week) | _on_call(second, *week)
    assert successor.pk in _on_call(schedule, *week)
    assert list(LayerMember.objects.filter(person=leaver)) == []
    assert LayerMember.objects.filter(layer__schedule=second).count() == 1
    # What happened stays: the past override, and the running one's first half.
    past.refresh_from_db()
    running.refresh_from_db()
    assert (past.person_id, running.person_id, running.end) == (leaver.pk, leaver.pk, now)
    rest = Override.objects.get(schedule=schedule, start=now)
    assert (rest.person_id, rest.replaces_id, rest.end) == (successor.pk, colleague.pk, now + HOUR)
    coming.refresh_from_db()
    covering_leaver.refresh_from_db()
    assert coming.person_id == successor.pk
    assert covering_leaver.replaces_id == successor.pk
    assert not Override.objects.filter(pk=self_cover.pk).exists()
    assert Schedule.objects.get(pk=schedule.pk).owner_id == successor.pk
    assert EscalationStep.objects.get(pk=step.pk).person_id == successor.pk
    deleted = AuditEvent.objects.get(action="oncall.override.deleted")
    assert deleted.target_id == str(self_cover.pk)
    # Safe to repeat: nothing of the leaver's is left to move.
    assert oncall_hand_over(actor=admin, leaver=leaver, successor=successor, now=now) == []


@pytest.mark.django_db
def test_a_lead_who_is_not_admin_may_not_hand_over_someone_elses_shifts(org, lead, make_user):
    leaver, successor = make_user(org, Role.VIEWER), make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        oncall_hand_over(actor=lead, leaver=leaver, successor=successor)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
