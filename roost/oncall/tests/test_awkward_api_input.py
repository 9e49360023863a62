"""Awkward input on the on-call and contact-method API: NUL, lone surrogates, year 9999,
huge numbers, another organisation's ids. Each gets a 4xx problem+json and nothing is
stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from roost.core.models import AuditEvent, Role
from roost.core.notifications.models import ContactMethod
from roost.oncall.models import EscalationPolicy, Override, Page, Schedule
from roost.oncall.schedules import services
from roost.oncall.tests.conftest import layer_input
from roost.publishing.tests.test_api import Api

pytestmark = pytest.mark.django_db

SCOPES = [
    "oncall:read", "oncall:write", "pages:read", "pages:write",
    "contact-methods:read", "contact-methods:write",
]  # fmt: skip
HUGE = 2**70
START = dt.datetime(2026, 2, 2, 8, tzinfo=dt.UTC)


def refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json", response.content
    assert response.json()["detail"]


def stored() -> tuple[int, ...]:
    return (
        Schedule.objects.count(),
        Override.objects.count(),
        EscalationPolicy.objects.count(),
        Page.objects.count(),
        ContactMethod.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def desk(lead, people, make_schedule) -> Schedule:
    schedule = make_schedule()
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people[:2], start=START))
    return schedule


@pytest.mark.parametrize("text", ["nul \x00 inside", "lone \ud800 surrogate", "x" * 100_000, "   "])
def test_awkward_text_is_refused_everywhere(org, lead, people, desk, text):
    api = Api(lead, SCOPES)
    before = stored()
    refused(api.post("/oncall/schedules", {"name": text, "time_zone": "Europe/Warsaw"}))
    refused(api.post("/pages", {"title": text}))
    refused(
        api.post("/escalation-policies", {"name": text, "steps": [
            {"target": "person", "person_id": people[0].pk, "wait_minutes": 5}
        ]})
    )  # fmt: skip
    refused(api.post("/me/contact-methods", {"kind": "email", "target": text}))
    refused(
        api.post(f"/oncall/schedules/{desk.pk}/overrides", {
            "person_id": people[2].pk, "start": "2026-02-02T09:00:00Z",
            "end": "2026-02-02T17:00:00Z", "reason": "cover \x00",
        })
    )  # fmt: skip
    assert stored() == before


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T23:00:00Z", "9999-12-31T23:59:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T08:00:00Z"),
        ("2026-02-02T17:00:00Z", "2026-02-02T09:00:00Z"),
        ("2026-02-02T09:00:00", "2026-02-02T17:00:00"),
        ("not a time", "2026-02-02T17:00:00Z"),
    ],
)
def test_awkward_times_are_refused(lead, people, desk, start, end):
    api = Api(lead, SCOPES)
    before = stored()
    refused(
        api.post(
            f"/oncall/schedules/{desk.pk}/overrides",
            {"person_id": people[2].pk, "start": start, "end": end},
        )
    )
    refused(api.get(f"/oncall/schedules/{desk.pk}/coverage", {"start": start, "end": end}))
    assert stored() == before


def test_huge_and_foreign_ids_are_not_found(org, other_org, make_user, lead, people, desk):
    stranger = make_user(other_org, Role.ADMIN)
    api, theirs = Api(lead, SCOPES), Api(stranger, SCOPES)
    before = stored()
    for schedule_id in (HUGE, -1, 0):
        response = api.get(f"/oncall/schedules/{schedule_id}")
        assert 400 <= response.status_code < 500, response.content
    refused(
        api.post(f"/oncall/schedules/{desk.pk}/overrides", {
            "person_id": stranger.pk, "start": "2026-02-02T09:00:00Z",
            "end": "2026-02-02T17:00:00Z",
        })
    )  # fmt: skip
    refused(api.post("/pages", {"title": "Storm", "policy_id": HUGE}))
    assert theirs.get(f"/oncall/schedules/{desk.pk}").status_code == 404
    refused(
        theirs.post(f"/oncall/schedules/{desk.pk}/overrides", {
            "person_id": stranger.pk, "start": "2026-02-02T09:00:00Z",
            "end": "2026-02-02T17:00:00Z",
        })
    )  # fmt: skip
    assert stored() == before
