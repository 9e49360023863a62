"""Escalation on a controlled clock: who is told, when, and when it stops."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role, Team
from roost.core.notifications.models import ContactMethod, Delivery, DeliveryStatus
from roost.core.notifications.providers import (
    Outgoing,
    SendFailed,
    provider_declare,
    provider_forget,
)
from roost.oncall.models import Page, PageNotification, PageStatus
from roost.oncall.paging.engine import escalations_run
from roost.oncall.paging.services import (
    StepSpec,
    escalation_policy_create,
    page_acknowledge,
    page_delivery_failed,
    page_raise,
    page_resolve,
)
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)
from roost.oncall.tests.paging_fixtures import START

pytestmark = pytest.mark.django_db


def told(page: Page) -> list[tuple[int, int, int, dt.datetime]]:
    return [
        (n.cycle, n.step_position, n.person_id, n.created_at)
        for n in PageNotification.objects.filter(page=page).order_by("created_at", "pk")
    ]


def raise_page(org, actor, **extra) -> Page:
    return page_raise(actor=actor, organization=org, title="Angry thread going viral", **extra)


def test_nobody_acknowledges_step_2_then_step_3_are_told_at_their_times(
    org, lead, responders, policy, clock
):
    first, second, third = responders
    page = raise_page(org, lead)
    assert told(page) == [(0, 0, first.pk, START)]

    clock.advance(minutes=4, seconds=59)
    assert escalations_run() == 0
    assert len(told(page)) == 1

    clock.advance(seconds=1)  # 5 minutes: step 2
    assert escalations_run() == 1
    assert told(page)[1:] == [(0, 1, second.pk, START + dt.timedelta(minutes=5))]

    clock.advance(minutes=9, seconds=59)
    escalations_run()
    assert len(told(page)) == 2

    clock.advance(seconds=1)  # 5 + 10 minutes: step 3
    escalations_run()
    assert told(page)[2:] == [(0, 2, third.pk, START + dt.timedelta(minutes=15))]

    clock.advance(minutes=15)  # the policy has run out: nothing more, still triggered
    escalations_run()
    page.refresh_from_db()
    assert len(told(page)) == 3
    assert page.status == PageStatus.TRIGGERED and page.next_step_at is None
    actions = list(
        AuditEvent.objects.filter(
            target_type="oncall.page", target_id=str(page.pk), action__startswith="oncall."
        )
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "oncall.page.raised",
        "oncall.page.notified",
        "oncall.page.notified",
        "oncall.page.notified",
        "oncall.page.exhausted",
    ]


def test_running_the_engine_again_at_the_same_moment_tells_nobody_twice(
    org, lead, responders, policy, clock
):
    page = raise_page(org, lead)
    clock.advance(minutes=5)
    escalations_run()
    escalations_run()
    assert [step for _, step, _, _ in told(page)] == [0, 1]


def test_acknowledging_stops_the_escalation(org, lead, responders, policy, clock):
    page = raise_page(org, lead)
    clock.advance(minutes=2)
    page = page_acknowledge(actor=responders[0], page=page)
    assert page.status == PageStatus.ACKNOWLEDGED
    assert page.acknowledged_by == responders[0] and page.acknowledged_at == clock.at
    for _ in range(4):
        clock.advance(minutes=10)
        assert escalations_run() == 0
    assert len(told(page)) == 1
    assert AuditEvent.objects.filter(action="oncall.page.acknowledged").count() == 1


def test_acknowledging_between_steps_keeps_the_steps_told_and_tells_no_more(
    org, lead, responders, policy, clock
):
    page = raise_page(org, lead)
    clock.advance(minutes=5)
    escalations_run()
    page_acknowledge(actor=responders[1], page=page)
    clock.advance(minutes=60)
    escalations_run()
    assert [step for _, step, _, _ in told(page)] == [0, 1]


def test_repeat_runs_the_steps_again_until_someone_acknowledges(org, lead, responders, clock):
    repeating = escalation_policy_create(
        actor=lead,
        name="Twice round",
        repeat_times=1,
        steps=[
            StepSpec(target="person", person_id=responders[0].pk, wait_minutes=1),
            StepSpec(target="person", person_id=responders[1].pk, wait_minutes=1),
        ],
    )
    page = raise_page(org, lead, policy=repeating)
    for _ in range(5):
        clock.advance(minutes=1)
        escalations_run()
    assert [(c, s) for c, s, _, _ in told(page)] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_step_with_nobody_to_tell_passes_on_to_the_next_at_once(org, lead, responders, clock):
    empty = Team.objects.create(organization=org, name="Night desk")
    policy = escalation_policy_create(
        actor=lead,
        name="Team first",
        steps=[
            StepSpec(target="team", team_id=empty.pk, wait_minutes=5),
            StepSpec(target="person", person_id=responders[2].pk, wait_minutes=5),
        ],
    )
    page = raise_page(org, lead, policy=policy)
    assert told(page) == [(0, 1, responders[2].pk, START)]
    assert AuditEvent.objects.filter(action="oncall.page.step_skipped").count() == 1


def test_a_team_step_tells_every_member(org, lead, responders, clock):
    team = Team.objects.create(organization=org, name="Community")
    team.members.set(responders[:2])
    policy = escalation_policy_create(
        actor=lead, name="Team", steps=[StepSpec(target="team", team_id=team.pk, wait_minutes=5)]
    )
    page = raise_page(org, lead, policy=policy)
    assert {person for _, _, person, _ in told(page)} == {responders[0].pk, responders[1].pk}


def test_a_finally_failed_delivery_moves_the_page_on_at_once(org, lead, responders, policy, clock):
    page = raise_page(org, lead)
    PageNotification.objects.filter(page=page).update(delivery_ids=[9001])
    clock.advance(minutes=1)
    assert page_delivery_failed(page_id=page.pk, delivery_id=9001)
    escalations_run()
    assert [(s, at) for _, s, _, at in told(page)] == [
        (0, START),
        (1, START + dt.timedelta(minutes=1)),
    ]
    # A late failure report of step 1 changes nothing any more.
    assert not page_delivery_failed(page_id=page.pk, delivery_id=9001)


def test_a_dedup_key_raises_one_page(org, lead, responders, policy, clock):
    first = page_raise(actor=SYSTEM, organization=org, title="Breach", dedup_key="k:1")
    again = page_raise(actor=SYSTEM, organization=org, title="Breach", dedup_key="k:1")
    assert first.pk == again.pk
    assert Page.objects.count() == 1 and len(told(first)) == 1


def test_pages_are_numbered_per_organisation(org, other_org, make_user, lead, policy, clock):
    other_lead = make_user(other_org, Role.MANAGER)
    escalation_policy_create(
        actor=other_lead, name="Theirs", is_default=True,
        steps=[StepSpec(target="person", person_id=other_lead.pk, wait_minutes=5)],
    )  # fmt: skip
    assert [raise_page(org, lead).number for _ in range(2)] == [1, 2]
    assert raise_page(other_org, other_lead).number == 1


def test_resolving_closes_the_page_and_stops_escalation(org, lead, responders, policy, clock):
    page = raise_page(org, lead)
    page = page_resolve(actor=responders[0], page=page)
    assert page.status == PageStatus.RESOLVED and page.next_step_at is None
    with pytest.raises(ApplicationError) as refused:
        page_acknowledge(actor=responders[0], page=page)
    assert refused.value.code == ErrorCode.CONFLICT


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": "   "}),
        ("urgency", {"title": "x", "urgency": "panic"}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(org, lead, policy, clock, field, kwargs):
    with pytest.raises(ApplicationError) as refused:
        page_raise(actor=lead, organization=org, **kwargs)
    assert refused.value.field == field
    assert not Page.objects.exists()


def test_without_a_default_policy_a_page_is_refused_clearly(org, lead, clock):
    with pytest.raises(ApplicationError) as refused:
        raise_page(org, lead)
    assert refused.value.field == "policy"


def test_an_analyst_may_not_raise_a_page_but_may_acknowledge_one_they_were_told(
    org, make_user, lead, policy, clock
):
    analyst = make_user(org, Role.ANALYST)
    with pytest.raises(ApplicationError) as refused:
        raise_page(org, analyst)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    page = raise_page(org, lead)
    assert page_acknowledge(actor=analyst, page=page).status == PageStatus.ACKNOWLEDGED


def test_someone_of_another_organisation_cannot_answer_a_page(
    org, other_org, make_user, lead, policy, clock
):
    page = raise_page(org, lead)
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        page_acknowledge(actor=stranger, page=page)
    assert refused.value.code == ErrorCode.NOT_FOUND
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


@pytest.fixture
def refusing_provider():
    """A pluggable provider that refuses every message for good (no real pager refuses
    on demand, so a declared provider stands in for one)."""

    def refuse(outgoing: Outgoing) -> None:
        raise SendFailed("The pager service refused the number.", retryable=False)

    provider_declare(kind="refusing_pager", label="Refusing pager", send=refuse)
    yield
    provider_forget("refusing_pager")


def test_a_finally_failed_delivery_moves_on_at_once_with_a_provider_that_refuses(
    org, lead, responders, policy, clock, refusing_provider, django_capture_on_commit_callbacks
):
    ContactMethod.objects.create(
        organization=org, person=responders[0], kind="refusing_pager", target="+48 600 000 000"
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = raise_page(org, lead)
    delivery = Delivery.objects.get(person=responders[0], source_id=str(page.pk))
    assert delivery.status == DeliveryStatus.FAILED
    page.refresh_from_db()
    assert page.next_step_at == START  # due now, not in 5 minutes
    with django_capture_on_commit_callbacks(execute=True):
        escalations_run()
    assert [(s, person) for _, s, person, _ in told(page)] == [
        (0, responders[0].pk),
        (1, responders[1].pk),
    ]
    assert AuditEvent.objects.filter(action="oncall.page.delivery_failed").count() == 1


def test_a_schedule_step_tells_whoever_the_rotation_has_on_call_at_that_moment(
    org, lead, responders, clock
):
    from roost.oncall.schedules import services as schedule_services
    from roost.oncall.tests.conftest import layer_input

    first, second, third = responders
    schedule = schedule_services.schedule_create(
        actor=lead, organization=org, name="Desk", time_zone="UTC"
    )
    # Daily shifts handed over at START: `first` until START, `second` the day after.
    schedule_services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input([first, second], start=START - dt.timedelta(days=1), time_zone="UTC"),
    )
    by_schedule = escalation_policy_create(
        actor=lead,
        name="Desk then lead",
        steps=[
            StepSpec(target="schedule", schedule_id=schedule.pk, wait_minutes=5),
            StepSpec(target="person", person_id=third.pk, wait_minutes=5),
        ],
    )
    page = raise_page(org, lead, policy=by_schedule)
    assert told(page) == [(0, 0, second.pk, START)]
    clock.advance(minutes=5)
    escalations_run()
    assert [person for _, _, person, _ in told(page)] == [second.pk, third.pk]
