"""Schedules, who is on call and overrides over the API: scopes, roles, tenancy, audit,
and bad input answered with problem+json and nothing stored."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from roost.core.models import AuditEvent, Role
from roost.oncall.models import Override, Schedule
from roost.oncall.schedules import services
from roost.oncall.tests.conftest import layer_input
from roost.publishing.tests.test_api import Api, is_problem

pytestmark = pytest.mark.django_db

ALL = ["oncall:read", "oncall:write"]
WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
START = dt.datetime(2026, 2, 2, 9, tzinfo=WARSAW)


@pytest.fixture
def desk(lead, people, make_schedule) -> Schedule:
    schedule = make_schedule()
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people[:2], start=START))
    return schedule


def test_create_and_read_a_schedule(org, lead):
    api = Api(lead, ALL)
    made = api.post(
        "/oncall/schedules",
        {"name": "Weekend desk", "time_zone": "America/New_York", "owner_id": lead.pk},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["name"], body["time_zone"], body["owner_id"], body["layers"]) == (
        "Weekend desk",
        "America/New_York",
        lead.pk,
        [],
    )
    assert api.get("/oncall/schedules").json()[0]["id"] == body["id"]
    assert AuditEvent.objects.filter(action="oncall.schedule.created").count() == 1


def test_a_schedule_its_layers_and_its_coverage(lead, people, desk):
    api = Api(people[2], ["oncall:read"])
    body = api.get(f"/oncall/schedules/{desk.pk}").json()
    (layer,) = body["layers"]
    assert [m["id"] for m in layer["members"]] == [people[0].pk, people[1].pk]
    assert (layer["shift"], layer["handoff_time"], layer["time_zone"]) == (
        "daily",
        "09:00",
        "Europe/Warsaw",
    )

    coverage = api.get(
        f"/oncall/schedules/{desk.pk}/coverage",
        {"start": "2026-02-02T08:00:00+00:00", "end": "2026-02-04T08:00:00+00:00"},
    )
    assert coverage.status_code == 200, coverage.content
    found = coverage.json()
    assert [s["person"]["id"] for s in found["shifts"]] == [people[0].pk, people[1].pk]
    assert found["shifts"][0]["start"].startswith("2026-02-02T08:00")
    assert found["gaps"] == []


def test_who_is_on_call_now(lead, people, desk):
    rows = Api(people[2], ["oncall:read"]).get("/oncall/now").json()
    (row,) = rows
    assert row["schedule"]["id"] == desk.pk
    assert len(row["people"]) == 1 and row["people"][0]["id"] in {people[0].pk, people[1].pk}
    assert row["next_people"] and row["next_people"][0]["id"] != row["people"][0]["id"]


def test_overrides_added_listed_and_removed(org, lead, people, desk):
    api = Api(lead, ALL)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    made = api.post(
        f"/oncall/schedules/{desk.pk}/overrides",
        {
            "person_id": people[2].pk,
            "start": now.isoformat(),
            "end": (now + dt.timedelta(hours=3)).isoformat(),
            "reason": "Covering the launch",
        },
    )
    assert made.status_code == 201, made.content
    override_id = made.json()["id"]
    assert [o["id"] for o in api.get(f"/oncall/schedules/{desk.pk}/overrides").json()] == [
        override_id
    ]
    assert [p["id"] for p in api.get(f"/oncall/schedules/{desk.pk}").json()["on_call_now"]] == [
        people[2].pk
    ]

    clash = api.post(
        f"/oncall/schedules/{desk.pk}/overrides",
        {
            "person_id": people[1].pk,
            "start": (now + dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=2)).isoformat(),
        },
    )
    assert is_problem(clash, 409, "conflict")["detail"].startswith("Overrides overlap")
    assert Override.objects.count() == 1

    gone = api.client.delete(f"/api/v1/oncall/schedules/{desk.pk}/overrides/{override_id}")
    assert gone.status_code == 204
    assert not Override.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Desk", "time_zone": "Nowhere/Special"}, "time_zone"),
        ({"name": "", "time_zone": "UTC"}, "name"),
        ({"name": "Desk", "time_zone": "UTC", "colour": "red"}, "colour"),
        ({"name": "Desk", "time_zone": "UTC", "owner_id": 999_999}, "owner_id"),
    ],
)
def test_bad_schedules_are_refused_with_problem_json(lead, body, field):
    answer = Api(lead, ALL).post("/oncall/schedules", body)
    assert answer.status_code in (400, 422), answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert field in answer.content.decode()
    assert not Schedule.objects.exists()


def test_bad_override_times_are_refused(lead, people, desk):
    api = Api(lead, ALL)
    for start, end in [
        ("2026-02-02T12:00:00+00:00", "2026-02-02T11:00:00+00:00"),
        ("2026-02-02T12:00:00", "2026-02-02T13:00:00"),
        ("tomorrow", "2026-02-02T13:00:00+00:00"),
    ]:
        answer = api.post(
            f"/oncall/schedules/{desk.pk}/overrides",
            {"person_id": people[2].pk, "start": start, "end": end},
        )
        assert answer.status_code in (400, 422), answer.content
        assert answer["Content-Type"] == "application/problem+json"
    coverage = api.get(
        f"/oncall/schedules/{desk.pk}/coverage",
        {"start": "2026-02-02T08:00:00+00:00", "end": "2027-02-02T08:00:00+00:00"},
    )
    is_problem(coverage, 422, "invalid")
    assert not Override.objects.exists()


def test_scopes_roles_and_tenancy(org, other_org, make_user, lead, people, desk):
    reader = Api(lead, ["oncall:read"])
    is_problem(
        reader.post("/oncall/schedules", {"name": "X", "time_zone": "UTC"}),
        403,
        "permission_denied",
    )
    viewer = Api(make_user(org, Role.VIEWER), ALL)
    is_problem(
        viewer.post("/oncall/schedules", {"name": "X", "time_zone": "UTC"}),
        403,
        "permission_denied",
    )
    stranger = Api(make_user(other_org, Role.ADMIN), ALL)
    is_problem(stranger.get(f"/oncall/schedules/{desk.pk}"), 404, "not_found")
    assert stranger.get("/oncall/schedules").json() == []
    assert stranger.get("/oncall/now").json() == []
    answer = stranger.post(
        f"/oncall/schedules/{desk.pk}/overrides",
        {
            "person_id": people[0].pk,
            "start": "2026-02-02T12:00:00+00:00",
            "end": "2026-02-02T13:00:00+00:00",
        },
    )
    is_problem(answer, 404, "not_found")
