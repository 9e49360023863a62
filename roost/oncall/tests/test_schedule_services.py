"""Changing schedules through the services: the policy, validation, tenancy and audit."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.oncall.models import Layer, LayerMember, Override, Schedule, TimeOff
from roost.oncall.schedules import selectors, services
from roost.oncall.tests.conftest import layer_input

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
MONDAY_9 = dt.datetime(2026, 2, 2, 9, 0, tzinfo=WARSAW)


def actions(org) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_a_lead_builds_a_schedule_and_every_change_is_audited(org, lead, people, make_schedule):
    schedule = make_schedule()
    layer = services.layer_create(
        actor=lead, schedule=schedule, data=layer_input(people, start=MONDAY_9)
    )
    assert list(
        LayerMember.objects.filter(layer=layer)
        .order_by("position")
        .values_list("person_id", flat=True)
    ) == [p.pk for p in people]
    services.layer_update(
        actor=lead,
        layer=layer,
        data=layer_input(list(reversed(people)), start=MONDAY_9, shift="weekly"),
    )
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=1)) == [
        people[-1]
    ]
    assert actions(org)[-3:] == [
        "oncall.schedule.created",
        "oncall.layer.created",
        "oncall.layer.updated",
    ]
    event = AuditEvent.objects.filter(organization=org, action="oncall.layer.updated").get()
    assert event.before["shift"] == "daily" and event.after["shift"] == "weekly"
    assert event.after["members"] == [p.pk for p in reversed(people)]


def test_only_leads_shape_schedules(org, viewer, people, make_schedule):
    with pytest.raises(ApplicationError) as refused:
        services.schedule_create(actor=viewer, organization=org, name="Mine", time_zone="UTC")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    schedule = make_schedule()
    with pytest.raises(ApplicationError) as refused:
        services.layer_create(
            actor=viewer, schedule=schedule, data=layer_input(people, start=MONDAY_9)
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not Layer.objects.exists()
    assert Schedule.objects.count() == 1


def test_another_organisation_cannot_see_or_touch_a_schedule(
    other_org, make_user, make_schedule, people
):
    schedule = make_schedule()
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        services.layer_create(
            actor=stranger, schedule=schedule, data=layer_input(people, start=MONDAY_9)
        )
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert selectors.schedule_get(organization=other_org, schedule_id=schedule.pk) is None
    with pytest.raises(ApplicationError) as refused:
        services.layer_create(
            actor=schedule.owner, schedule=schedule, data=layer_input([stranger], start=MONDAY_9)
        )
    assert refused.value.field == "members"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"members": []}, ErrorCode.INVALID, "members"),
        ({"time_zone": "Mars/Olympus_Mons"}, ErrorCode.INVALID, "time_zone"),
        ({"shift": "custom", "shift_hours": 0}, ErrorCode.INVALID, "shift_hours"),
        ({"shift": "hourly"}, ErrorCode.INVALID, "shift"),
        ({"window_start": dt.time(8)}, ErrorCode.INVALID, "window_end"),
        (
            {"window_start": dt.time(8), "window_end": dt.time(16), "window_days": ""},
            ErrorCode.INVALID,
            "window_days",
        ),
        ({"rotation_start": dt.datetime(2026, 2, 2, 9)}, ErrorCode.INVALID, "rotation_start"),  # noqa: DTZ001
        ({"name": "  "}, ErrorCode.INVALID, "name"),
    ],
)
def test_a_bad_layer_is_refused_clearly_and_nothing_is_stored(
    lead, people, make_schedule, changes, code, field
):
    schedule = make_schedule()
    members = changes.pop("members", people)
    data = layer_input(members, start=MONDAY_9, **changes)
    with pytest.raises(ApplicationError) as refused:
        services.layer_create(actor=lead, schedule=schedule, data=data)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message
    assert not Layer.objects.exists()
    assert not AuditEvent.objects.filter(action="oncall.layer.created").exists()


def test_an_unknown_time_zone_for_a_schedule_is_refused(org, lead):
    with pytest.raises(ApplicationError) as refused:
        services.schedule_create(
            actor=lead, organization=org, name="Desk", time_zone="Europe/Atlantis"
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "time_zone")
    assert "Europe/Atlantis" in refused.value.message
    assert not Schedule.objects.exists()


def test_overlapping_overrides_are_refused_and_not_stored(lead, people, make_schedule):
    schedule = make_schedule()
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input(people[:2], start=MONDAY_9)
    )
    first = services.override_create(
        actor=lead,
        schedule=schedule,
        person=people[2],
        start=MONDAY_9,
        end=MONDAY_9 + dt.timedelta(hours=4),
    )
    with pytest.raises(ApplicationError) as refused:
        services.override_create(
            actor=lead,
            schedule=schedule,
            person=people[1],
            start=MONDAY_9 + dt.timedelta(hours=3),
            end=MONDAY_9 + dt.timedelta(hours=6),
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.CONFLICT, "start")
    assert "overlap" in refused.value.message
    assert list(Override.objects.values_list("pk", flat=True)) == [first.pk]
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=1)) == [
        people[2]
    ]


def test_people_hand_over_their_own_shifts_but_not_other_peoples(lead, people, make_schedule):
    schedule = make_schedule()
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input(people[:2], start=MONDAY_9)
    )
    ana, ben, cai = people
    # Cai takes Ana's Monday himself.
    services.override_create(
        actor=cai,
        schedule=schedule,
        person=cai,
        replaces=ana,
        start=MONDAY_9,
        end=MONDAY_9 + dt.timedelta(days=1),
    )
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=2)) == [cai]
    # Ben cannot give Ana's Tuesday shift to Cai.
    with pytest.raises(ApplicationError) as refused:
        services.override_create(
            actor=ben,
            schedule=schedule,
            person=cai,
            replaces=ana,
            start=MONDAY_9 + dt.timedelta(days=2),
            end=MONDAY_9 + dt.timedelta(days=3),
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


def test_a_swap_trades_two_shifts_and_goes_as_a_whole(org, lead, people, make_schedule):
    schedule = make_schedule()
    ana, ben, _ = people
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([ana, ben], start=MONDAY_9)
    )
    monday = (MONDAY_9, MONDAY_9 + dt.timedelta(days=1))
    tuesday = (MONDAY_9 + dt.timedelta(days=1), MONDAY_9 + dt.timedelta(days=2))
    halves = services.swap_create(
        actor=ana,
        schedule=schedule,
        first=ana,
        second=ben,
        first_gives=monday,
        second_gives=tuesday,
    )
    assert len({o.swap_group for o in halves}) == 1
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=3)) == [ben]
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=27)) == [ana]
    assert actions(org)[-2:] == ["oncall.swap.created", "oncall.swap.created"]

    services.override_delete(actor=ben, override=halves[0])
    assert not Override.objects.exists()
    assert selectors.on_call_at(schedule=schedule, at=MONDAY_9 + dt.timedelta(hours=3)) == [ana]


def test_a_swap_of_a_shift_the_person_does_not_hold_is_refused(lead, people, make_schedule):
    schedule = make_schedule()
    ana, ben, _ = people
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([ana, ben], start=MONDAY_9)
    )
    tuesday = (MONDAY_9 + dt.timedelta(days=1), MONDAY_9 + dt.timedelta(days=2))
    with pytest.raises(ApplicationError) as refused:
        services.swap_create(
            actor=ana, schedule=schedule, first=ana, second=ben, first_gives=tuesday
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "first_gives")
    assert not Override.objects.exists()


def test_time_off_warns_of_the_gap_it_leaves_and_a_backup_closes_it(
    org, lead, people, make_schedule
):
    schedule = make_schedule()
    ana, ben, cai = people
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([ana, ben], start=MONDAY_9)
    )
    away = (MONDAY_9 + dt.timedelta(hours=1), MONDAY_9 + dt.timedelta(hours=5))

    result = services.time_off_create(
        actor=ana, person=ana, start=away[0], end=away[1], reason="Dentist"
    )

    assert [(g.schedule, g.start, g.end) for g in result.gaps] == [(schedule, *away)]
    assert selectors.on_call_at(schedule=schedule, at=away[0]) == []
    assert "oncall.time_off.created" in actions(org)

    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([cai], start=MONDAY_9, name="Backup")
    )
    second = services.time_off_create(
        actor=ben,
        person=ben,
        start=MONDAY_9 + dt.timedelta(days=1),
        end=MONDAY_9 + dt.timedelta(days=2),
    )
    assert second.gaps == []


def test_someone_else_s_time_off_is_for_leads(lead, people):
    ana, ben, _ = people
    with pytest.raises(ApplicationError) as refused:
        services.time_off_create(
            actor=ben, person=ana, start=MONDAY_9, end=MONDAY_9 + dt.timedelta(days=1)
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    services.time_off_create(
        actor=lead, person=ana, start=MONDAY_9, end=MONDAY_9 + dt.timedelta(days=1)
    )
    assert TimeOff.objects.filter(person=ana).count() == 1


def test_nobody_takes_a_shift_while_away(lead, people, make_schedule):
    schedule = make_schedule()
    ana, ben, cai = people
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input([ana, ben], start=MONDAY_9)
    )
    services.time_off_create(
        actor=cai, person=cai, start=MONDAY_9, end=MONDAY_9 + dt.timedelta(days=1)
    )
    with pytest.raises(ApplicationError) as refused:
        services.override_create(
            actor=cai,
            schedule=schedule,
            person=cai,
            start=MONDAY_9,
            end=MONDAY_9 + dt.timedelta(hours=2),
        )
    assert refused.value.field == "person"


def test_a_period_that_ends_before_it_starts_is_refused(lead, people, make_schedule):
    schedule = make_schedule()
    with pytest.raises(ApplicationError) as refused:
        services.override_create(
            actor=lead,
            schedule=schedule,
            person=people[0],
            start=MONDAY_9,
            end=MONDAY_9 - dt.timedelta(hours=1),
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "end")


def test_a_schedule_an_escalation_policy_pages_cannot_be_deleted_from_under_it(
    org, lead, make_schedule, client
):
    from django.urls import reverse

    from roost.oncall.paging.services import StepSpec, escalation_policy_create

    schedule = make_schedule()
    escalation_policy_create(
        actor=lead,
        name="Primary",
        steps=[StepSpec(target="schedule", schedule_id=schedule.pk, wait_minutes=5)],
    )
    with pytest.raises(ApplicationError) as refused:
        services.schedule_delete(actor=lead, schedule=schedule)
    assert refused.value.code == ErrorCode.CONFLICT
    assert "Primary" in str(refused.value)
    client.force_login(lead)
    answer = client.post(reverse("oncall:schedule_delete", args=[schedule.pk]))
    assert answer.status_code == 409
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    assert "oncall.schedule.deleted" not in actions(org)
