"""Who is on call now and next, gaps, and the clock's check that tells the owner."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from roost.core.clock import tick
from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import Notification
from roost.oncall import tasks
from roost.oncall.models import CoverageGapNotice
from roost.oncall.schedules import selectors, services
from roost.oncall.tests.conftest import layer_input

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def _hour_floor(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def test_who_is_on_call_now_until_when_and_who_next(org, lead, people, make_schedule):
    start = dt.datetime(2026, 3, 2, 9, tzinfo=WARSAW)
    schedule = make_schedule()
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people, start=start))
    empty = make_schedule(name="Nobody yet")

    rows = selectors.on_call_now_for_organization(
        organization=org, at=start + dt.timedelta(hours=30)
    )

    by_name = {row.schedule.name: row for row in rows}
    desk = by_name["Social desk"]
    assert desk.people == [people[1]]
    assert desk.until == dt.datetime(2026, 3, 4, 9, tzinfo=WARSAW)
    assert desk.next_people == [people[2]]
    assert by_name[empty.name].people == [] and by_name[empty.name].until is None


def test_the_next_fourteen_days_and_their_gaps(lead, people, make_schedule):
    # Handing over as the window opens, so each shift is one piece of the day.
    start = dt.datetime(2026, 3, 23, 8, tzinfo=WARSAW)
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(people[:2], start=start, window_start=dt.time(8), window_end=dt.time(20)),
    )
    found = selectors.coverage(schedule=schedule, start=start, end=start + dt.timedelta(days=14))
    # Twelve hours a day on the Warsaw clock, across the change on 29 March too.
    assert len(found.gaps) == 14
    assert all(
        (lo.astimezone(WARSAW).time(), hi.astimezone(WARSAW).time())
        in {(dt.time(20), dt.time(8)), (dt.time(20), dt.time(9))}
        for lo, hi in found.gaps
    )
    assert {s.person for s in found.shifts} == set(people[:2])
    mine = selectors.shifts_for_person(
        person=people[0], start=start, end=start + dt.timedelta(days=14)
    )
    assert len(mine) == 7
    assert all(s.schedule == schedule and s.person == people[0] for s in mine)


def test_a_person_who_left_is_not_on_call(lead, people, make_schedule):
    start = dt.datetime(2026, 3, 2, 9, tzinfo=WARSAW)
    schedule = make_schedule()
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people[:1], start=start))
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    found = selectors.coverage(schedule=schedule, start=start, end=start + dt.timedelta(days=1))
    assert found.shifts == []
    assert found.idle_layers == ["Primary"]
    assert found.gaps == [(start, start + dt.timedelta(days=1))]


def test_the_clock_tells_the_owner_about_a_gap_in_the_next_week_once(
    org, lead, people, make_schedule
):
    now = timezone.now()
    schedule = make_schedule()
    # Covered from an hour ago, except for Ana's time off in two days.
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(people[:1], start=_hour_floor(now) - dt.timedelta(hours=1)),
    )
    away = (
        _hour_floor(now) + dt.timedelta(days=2),
        _hour_floor(now) + dt.timedelta(days=2, hours=6),
    )
    services.time_off_create(actor=lead, person=people[0], start=away[0], end=away[1])
    # Far beyond the week: not told yet.
    services.time_off_create(
        actor=lead,
        person=people[0],
        start=now + dt.timedelta(days=10),
        end=now + dt.timedelta(days=11),
    )
    job = next(j for j in tasks.PERIODIC_JOBS if j.name == "oncall.coverage_gaps")

    assert tick(now=now, jobs=[job]) == [job.name]
    told = Notification.objects.filter(recipient=lead)
    assert told.count() == 1
    notice = CoverageGapNotice.objects.get()
    assert (notice.start, notice.end) == away
    assert schedule.name in told.get().subject
    assert told.get().url.endswith(f"/oncall/schedules/{schedule.pk}/")

    # The next slot finds the same gap: it is not told again.
    assert tick(now=now + job.every, jobs=[job]) == [job.name]
    assert services.coverage_gaps_notify(now=now + dt.timedelta(minutes=1)) == 0
    assert told.count() == 1
    assert AuditEvent.objects.filter(action="oncall.coverage_gap.notified").count() == 1


def test_a_schedule_without_an_owner_tells_nobody_and_a_covered_one_nothing(
    org, lead, people, make_schedule, make_user
):
    now = timezone.now()
    make_schedule(name="No owner", owner=None)
    covered = make_schedule(name="Covered")
    services.layer_create(
        actor=lead,
        schedule=covered,
        data=layer_input(people[:2], start=_hour_floor(now) - dt.timedelta(days=8)),
    )
    assert services.coverage_gaps_notify(now=now) == 0
    assert not Notification.objects.exists()
    # A viewer in another organisation is never told about this one.
    assert make_user(org, Role.VIEWER) not in [n.recipient for n in Notification.objects.all()]
