"""Fairness and load per person and month, on each person's own clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.urls import reverse

from roost.core.models import Role
from roost.oncall.rotation import hours_outside_working, is_night, weekend_hours
from roost.oncall.schedules import fairness, services
from roost.oncall.tests.conftest import layer_input

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
NEW_YORK = "America/New_York"


def test_load_counts_hours_outside_working_hours_and_weekends_on_the_persons_clock(
    org, lead, make_user, make_schedule
):
    # Alone on a Warsaw schedule all February, working 09:00-17:00 Monday to Friday in New York.
    night_owl = make_user(org, Role.COMMUNITY_MANAGER, time_zone=NEW_YORK)
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input([night_owl], start=dt.datetime(2026, 1, 1, 0, tzinfo=WARSAW)),
    )

    (load,) = fairness.schedule_load(schedule=schedule, year=2026, month=2)

    # February on the Warsaw calendar: 28 days of 24 hours (no change that month).
    assert load.on_call_hours == 28 * 24
    # It runs from Sat 31 Jan 18:00 to Sat 28 Feb 18:00 in New York: the twenty weekdays
    # 2-27 February hold all the working hours, 8 each.
    assert load.outside_working_hours == 28 * 24 - 20 * 8
    # Weekends in New York: 6 hours of 31 January, seven whole days, 18 hours of 28 February.
    assert load.weekend_hours == 6 + 7 * 24 + 18
    assert (load.pages, load.night_pages) == (0, 0)


def test_two_people_share_a_daily_rotation_evenly_over_a_month(lead, people, make_schedule):
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(people[:2], start=dt.datetime(2026, 3, 1, 0, tzinfo=WARSAW)),
    )
    loads = fairness.schedule_load(schedule=schedule, year=2026, month=3)
    by_person = {load.person: load.on_call_hours for load in loads}
    # March in Warsaw is 743 hours long (the clocks go forward on the 29th).
    assert sum(by_person.values()) == 743
    assert abs(by_person[people[0]] - by_person[people[1]]) <= 24
    # The third person rotates nowhere and is not listed.
    assert people[2] not in by_person


def test_the_schedule_page_shows_the_fairness_table(client, signed_in, lead, people, make_schedule):
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(people[:2], start=dt.datetime(2026, 3, 1, 0, tzinfo=WARSAW)),
    )
    page = signed_in(lead).get(reverse("oncall:schedule", args=[schedule.pk]) + "?month=2026-03")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Fairness and load, March 2026" in html
    assert '<th scope="col">Outside working hours</th>' in html
    assert f'<th scope="row">{people[0].name}</th>' in html
    # A month that is not one falls back to the current month, never an error.
    assert (
        signed_in(lead)
        .get(reverse("oncall:schedule", args=[schedule.pk]) + "?month=2026-13")
        .status_code
        == 200
    )


def test_night_and_out_of_hours_arithmetic_across_a_change():
    assert is_night(dt.datetime(2026, 3, 29, 21, 30, tzinfo=dt.UTC), zone="Europe/Warsaw")  # 23:30
    assert not is_night(
        dt.datetime(2026, 3, 29, 5, 0, tzinfo=dt.UTC), zone="Europe/Warsaw"
    )  # 07:00
    assert is_night(dt.datetime(2026, 3, 28, 5, 59, tzinfo=dt.UTC), zone="Europe/Warsaw")  # 06:59
    # Saturday 28 to Monday 30 March in Warsaw is 47 hours long, all of it weekend.
    weekend = (
        dt.datetime(2026, 3, 28, tzinfo=WARSAW).astimezone(dt.UTC),
        dt.datetime(2026, 3, 30, tzinfo=WARSAW).astimezone(dt.UTC),
    )
    assert weekend_hours([weekend], zone="Europe/Warsaw") == 47
    # A night worker's hours (22:00-06:00) are not "outside working hours".
    night = (
        dt.datetime(2026, 3, 30, 22, tzinfo=WARSAW).astimezone(dt.UTC),
        dt.datetime(2026, 3, 31, 6, tzinfo=WARSAW).astimezone(dt.UTC),
    )
    assert (
        hours_outside_working(
            [night],
            zone="Europe/Warsaw",
            work_days="0123456",
            work_start=dt.time(22),
            work_end=dt.time(6),
        )
        == 0
    )


def test_pages_and_night_pages_are_counted_per_person_on_their_own_clock(
    org, lead, make_user, make_schedule
):
    from roost.oncall.paging.clock import ControlledClock, clock_used
    from roost.oncall.paging.engine import escalations_run
    from roost.oncall.paging.services import StepSpec, escalation_policy_create, page_raise

    night_owl = make_user(org, Role.COMMUNITY_MANAGER, time_zone=NEW_YORK)
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input([night_owl], start=dt.datetime(2026, 1, 1, 0, tzinfo=WARSAW)),
    )
    policy = escalation_policy_create(
        actor=lead,
        name="Owl twice",
        repeat_times=1,
        steps=[StepSpec(target="person", person_id=night_owl.pk, wait_minutes=5)],
    )
    new_york = zoneinfo.ZoneInfo(NEW_YORK)
    # 03:00 in New York (09:00 in Warsaw): at night on the owl's clock, told twice (the
    # policy repeats), counted once. 12:00 the next day: by day. One in March: not February.
    for moment in (
        dt.datetime(2026, 2, 10, 3, 0, tzinfo=new_york),
        dt.datetime(2026, 2, 11, 12, 0, tzinfo=new_york),
        dt.datetime(2026, 3, 2, 3, 0, tzinfo=new_york),
    ):
        clock = ControlledClock(moment.astimezone(dt.UTC))
        with clock_used(clock):
            page_raise(actor=lead, organization=org, title=f"At {moment}", policy=policy)
            clock.advance(minutes=5)
            escalations_run()

    from roost.oncall.models import PageNotification

    assert PageNotification.objects.filter(person=night_owl).count() == 6  # told twice each
    (load,) = fairness.schedule_load(schedule=schedule, year=2026, month=2)
    assert (load.pages, load.night_pages) == (2, 1)
