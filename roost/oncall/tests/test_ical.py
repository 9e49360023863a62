"""The calendar feeds, read back with the `icalendar` package as a calendar app would."""

from __future__ import annotations

import datetime as dt
import itertools

import icalendar
from django.urls import reverse
from django.utils import timezone

from roost.core.feed_tokens import feed_token_issue, feed_token_revoke
from roost.core.models import AuditEvent
from roost.oncall.schedules import selectors, services
from roost.oncall.tests.conftest import layer_input


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["version"] == "2.0"
    return [c for c in calendar.walk("VEVENT")]


def _week(lead, people, make_schedule):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
    schedule = make_schedule()
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input(people[:2], start=start, shift="weekly")
    )
    return schedule, start


def test_a_persons_feed_holds_their_shifts_and_only_theirs(client, lead, people, make_schedule):
    schedule, start = _week(lead, people, make_schedule)
    ana, _ben, _ = people
    token = feed_token_issue(user=ana)

    response = client.get(reverse("oncall:person_feed", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    now = timezone.now()
    expected = selectors.shifts_for_person(
        person=ana, start=now - dt.timedelta(days=30), end=now + dt.timedelta(days=90)
    )
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in events] == [
        (s.start, s.end) for s in expected
    ]
    assert events[0].decoded("dtstart") == start
    assert events[0].decoded("dtend") - events[0].decoded("dtstart") == dt.timedelta(days=7)
    assert all(str(e["summary"]).startswith(f"On call: {schedule.name}") for e in events)
    assert len({str(e["uid"]) for e in events}) == len(events)
    # Ben's shifts are not in Ana's calendar: hers alternate weeks with his.
    assert all((e.decoded("dtstart") - start).days % 14 == 0 for e in events)


def test_a_persons_feed_stops_with_its_token(client, people):
    token = feed_token_issue(user=people[0])
    feed_token_revoke(user=people[0], actor=people[0])
    assert client.get(reverse("oncall:person_feed", args=[token])).status_code == 404
    assert client.get(reverse("oncall:person_feed", args=["not-a-token"])).status_code == 404


def test_a_schedules_feed_names_who_is_on_call_and_can_be_revoked(
    client, org, lead, people, make_schedule
):
    schedule, _start = _week(lead, people, make_schedule)
    token = services.schedule_feed_issue(actor=lead, schedule=schedule)
    schedule.refresh_from_db()
    assert token not in schedule.feed_digest

    response = client.get(reverse("oncall:schedule_feed", args=[token]))

    assert response.status_code == 200
    events = _events(response.content)
    names = {str(e["summary"]) for e in events}
    assert names == {f"On call: {people[0].name} (Primary)", f"On call: {people[1].name} (Primary)"}
    # Consecutive shifts tile the time: each ends where the next begins.
    spans = sorted((e.decoded("dtstart"), e.decoded("dtend")) for e in events)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))

    second = services.schedule_feed_issue(actor=lead, schedule=schedule)
    assert client.get(reverse("oncall:schedule_feed", args=[token])).status_code == 404
    assert client.get(reverse("oncall:schedule_feed", args=[second])).status_code == 200
    services.schedule_feed_revoke(actor=lead, schedule=schedule)
    assert client.get(reverse("oncall:schedule_feed", args=[second])).status_code == 404
    assert list(
        AuditEvent.objects.filter(organization=org, action__startswith="oncall.schedule.feed")
        .order_by("sequence")
        .values_list("action", flat=True)
    ) == [
        "oncall.schedule.feed_issued",
        "oncall.schedule.feed_issued",
        "oncall.schedule.feed_revoked",
    ]


def test_names_with_control_characters_and_long_lines_still_make_a_valid_calendar(
    client, org, lead, people, make_schedule
):
    people[0].name = "Zoë \x07 «Nachtdienst» " + "x" * 120
    people[0].save(update_fields=["name"])
    schedule, _ = _week(lead, people, make_schedule)
    token = services.schedule_feed_issue(actor=lead, schedule=schedule)
    body = client.get(reverse("oncall:schedule_feed", args=[token])).content
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    events = _events(body)
    assert any("Zoë  «Nachtdienst»" in str(e["summary"]) for e in events)
