"""The schedule pages, as people use them: forms, refusals, warnings, and times shown on
each viewer's own clock."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.urls import reverse
from django.utils import timezone

from roost.core.models import Role
from roost.oncall.models import Layer, Override, Schedule, TimeOff
from roost.oncall.schedules import services
from roost.oncall.tests.conftest import layer_input

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def _soon() -> dt.datetime:
    return timezone.now().astimezone(WARSAW).replace(minute=0, second=0, microsecond=0)


def test_on_call_is_in_the_navigation_for_everyone(org, signed_in, viewer):
    page = signed_in(viewer).get(reverse("core:today"))
    assert f'href="{reverse("oncall:home")}"' in page.content.decode()
    home = signed_in(viewer).get(reverse("oncall:home"))
    assert home.status_code == 200
    assert "Who is on call now" in home.content.decode()
    assert "New schedule" not in home.content.decode()
    assert signed_in(viewer).get(reverse("oncall:schedule_new")).status_code == 403


def test_a_lead_builds_a_schedule_with_the_forms(org, signed_in, lead, people):
    client = signed_in(lead)
    made = client.post(
        reverse("oncall:schedule_new"),
        {"name": "Social desk", "time_zone": "Europe/Warsaw", "owner": lead.pk, "description": ""},
    )
    schedule = Schedule.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse(
        "oncall:schedule", args=[schedule.pk]
    )
    today = timezone.now().astimezone(WARSAW).date() - dt.timedelta(days=1)
    form = {
        "name": "Primary",
        "time_zone": "",
        "starts_on": today.isoformat(),
        "handoff_time": "09:00",
        "shift": "daily",
        "shift_hours": "",
        # No window: the days left unticked do not matter.
        "member_0": people[1].pk,
        "member_1": "",
        "member_2": people[0].pk,
    }
    added = client.post(reverse("oncall:layer_new", args=[schedule.pk]), form)
    assert added.status_code == 302, added.content.decode()
    layer = Layer.objects.get()
    assert list(layer.members.order_by("position").values_list("person_id", flat=True)) == [
        people[1].pk,
        people[0].pk,
    ]
    assert layer.rotation_start == dt.datetime.combine(today, dt.time(9), WARSAW)

    page = client.get(reverse("oncall:schedule", args=[schedule.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for heading in (
        "On call now",
        "Next 14 days",
        "Layers",
        "Overrides and swaps",
        "Fairness and load",
    ):
        assert heading in html
    assert re.search(r"<caption>Shifts from now, in your time zone</caption>", html)

    edit = client.get(reverse("oncall:layer_edit", args=[schedule.pk, layer.pk]))
    assert edit.status_code == 200
    assert f'<option value="{people[1].pk}" selected>' in edit.content.decode()


def test_a_layer_with_nobody_in_it_is_refused_on_the_form(org, signed_in, lead, make_schedule):
    schedule = make_schedule()
    answer = signed_in(lead).post(
        reverse("oncall:layer_new", args=[schedule.pk]),
        {
            "name": "Empty",
            "starts_on": "2026-02-02",
            "handoff_time": "09:00",
            "shift": "weekly",
            "window_days": ["0"],
        },
    )
    assert answer.status_code == 422
    assert "has nobody in it" in answer.content.decode()
    assert not Layer.objects.exists()


def test_an_overlapping_override_is_refused_on_the_form(signed_in, lead, people, make_schedule):
    schedule = make_schedule()
    start = _soon()
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people[:2], start=start))
    services.override_create(
        actor=lead,
        schedule=schedule,
        person=people[2],
        start=start,
        end=start + dt.timedelta(hours=4),
    )
    client = signed_in(lead)
    local = start.astimezone(zoneinfo.ZoneInfo(lead.time_zone))
    answer = client.post(
        reverse("oncall:override_new", args=[schedule.pk]),
        {
            "person": people[0].pk,
            "replaces": "",
            "start": (local + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "",
        },
    )
    assert answer.status_code == 422
    assert "Overrides overlap" in answer.content.decode()
    assert Override.objects.count() == 1


def test_times_are_shown_on_each_viewers_clock(
    org, signed_in, lead, people, make_schedule, make_user
):
    schedule = make_schedule()
    start = _soon() - dt.timedelta(hours=1)
    services.override_create(
        actor=lead,
        schedule=schedule,
        person=people[0],
        start=start,
        end=start + dt.timedelta(hours=5),
    )
    new_yorker = make_user(org, Role.VIEWER, time_zone="America/New_York")
    in_warsaw = signed_in(lead).get(reverse("oncall:schedule", args=[schedule.pk])).content.decode()
    in_new_york = (
        signed_in(new_yorker).get(reverse("oncall:schedule", args=[schedule.pk])).content.decode()
    )
    warsaw_end = (start + dt.timedelta(hours=5)).astimezone(WARSAW).strftime("%H:%M")
    new_york_end = (
        (start + dt.timedelta(hours=5))
        .astimezone(zoneinfo.ZoneInfo("America/New_York"))
        .strftime("%H:%M")
    )
    assert warsaw_end != new_york_end
    assert warsaw_end in in_warsaw and "your time zone, Europe/Warsaw" in in_warsaw
    assert new_york_end in in_new_york and "your time zone, America/New_York" in in_new_york


def test_time_off_that_leaves_a_gap_is_recorded_with_a_warning(
    signed_in, lead, people, make_schedule
):
    schedule = make_schedule()
    start = _soon()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(people[:1], start=start - dt.timedelta(days=1)),
    )
    client = signed_in(people[0])
    local = (start + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo(people[0].time_zone))
    answer = client.post(
        reverse("oncall:time_off"),
        {
            "person": people[0].pk,
            "start": local.strftime("%Y-%m-%dT%H:%M"),
            "end": (local + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Wedding",
        },
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "leaves 1 gap with nobody on call" in html
    assert schedule.name in html
    assert TimeOff.objects.filter(person=people[0]).count() == 1
    # Someone else's time off is for leads: the form does not even offer another person.
    assert f'value="{people[1].pk}"' not in html


def test_time_off_over_an_override_one_holds_says_they_stay_on_call_for_it(
    signed_in, lead, people, make_schedule
):
    schedule = make_schedule()
    start = _soon() + dt.timedelta(days=2)
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people[1:2], start=start))
    services.override_create(
        actor=lead, schedule=schedule, person=people[0], start=start,
        end=start + dt.timedelta(hours=12), reason="Covering the launch",
    )  # fmt: skip
    client = signed_in(people[0])
    local = start.astimezone(zoneinfo.ZoneInfo(people[0].time_zone))
    answer = client.post(
        reverse("oncall:time_off"),
        {
            "person": people[0].pk,
            "start": (local - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Dentist",
        },
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "an override outranks time off" in html
    assert 'data-testid="time-off-overrides"' in html and schedule.name in html
    assert TimeOff.objects.filter(person=people[0]).count() == 1
    # Time off beside the override, not over it, passes without a warning.
    after = local + dt.timedelta(days=1)
    clear = client.post(
        reverse("oncall:time_off"),
        {
            "person": people[0].pk,
            "start": after.strftime("%Y-%m-%dT%H:%M"),
            "end": (after + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert clear.status_code == 302


def test_the_personal_calendar_link_is_shown_once(signed_in, people):
    client = signed_in(people[0])
    issued = client.post(reverse("oncall:person_feed_issue"))
    assert issued.status_code == 302
    first = client.get(reverse("oncall:home")).content.decode()
    match = re.search(r'value="(http[^"]+/oncall/feeds/shifts/[^"]+\.ics)"', first)
    assert match is not None
    assert client.get(match[1]).status_code == 200
    assert "/oncall/feeds/shifts/" not in client.get(reverse("oncall:home")).content.decode()


def test_pages_answer_404_for_another_organisations_schedule(
    signed_in, other_org, make_user, make_schedule
):
    schedule = make_schedule()
    stranger = make_user(other_org, Role.ADMIN)
    client = signed_in(stranger)
    assert client.get(reverse("oncall:schedule", args=[schedule.pk])).status_code == 404
    assert client.get(reverse("oncall:override_new", args=[schedule.pk])).status_code == 404
    assert client.post(reverse("oncall:schedule_delete", args=[schedule.pk])).status_code == 404
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_a_time_that_does_not_exist_on_the_viewers_clock_is_a_field_error(signed_in, people):
    # 02:30 on 29 March 2026 never happens in Warsaw: the clocks jump from 02:00 to 03:00.
    answer = signed_in(people[0]).post(
        reverse("oncall:time_off"),
        {
            "person": people[0].pk,
            "start": "2026-03-29T02:30",
            "end": "2026-03-29T09:00",
            "reason": "",
        },
    )
    assert answer.status_code == 422
    assert "Europe/Warsaw" in answer.content.decode()
    assert not TimeOff.objects.exists()


def test_a_swap_through_the_form(signed_in, lead, people, make_schedule):
    schedule = make_schedule()
    start = _soon()
    ana, ben, _ = people
    services.layer_create(actor=lead, schedule=schedule, data=layer_input([ana, ben], start=start))
    zone = zoneinfo.ZoneInfo(ana.time_zone)

    def local(moment: dt.datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    answer = signed_in(ana).post(
        reverse("oncall:swap_new", args=[schedule.pk]),
        {
            "first": ana.pk,
            "first_start": local(start),
            "first_end": local(start + dt.timedelta(days=1)),
            "second": ben.pk,
            "second_start": local(start + dt.timedelta(days=1)),
            "second_end": "",
            "reason": "",
        },
    )
    assert answer.status_code == 422
    assert "Give both ends of the second shift" in answer.content.decode()
    answer = signed_in(ana).post(
        reverse("oncall:swap_new", args=[schedule.pk]),
        {
            "first": ana.pk,
            "first_start": local(start),
            "first_end": local(start + dt.timedelta(days=1)),
            "second": ben.pk,
            "second_start": local(start + dt.timedelta(days=1)),
            "second_end": local(start + dt.timedelta(days=2)),
            "reason": "Birthday",
        },
    )
    assert answer.status_code == 302
    assert Override.objects.filter(swap_group__gt="").count() == 2
    page = signed_in(ana).get(reverse("oncall:schedule", args=[schedule.pk])).content.decode()
    assert '<span class="badge">swap</span>' in page
