"""Incidents and crisis mode over the API: scopes, roles, tenancy, audit, and bad input
answered with problem+json and nothing stored."""

from __future__ import annotations

import pytest

from roost.core.models import AuditEvent, Brand
from roost.crisis.models import CrisisMode, Incident, TimelineEntry
from roost.publishing.models import Pause
from roost.publishing.tests.test_api import Api, is_problem

pytestmark = pytest.mark.django_db

ALL = ["incidents:read", "incidents:write", "crisis:write"]


def test_open_read_update_and_note_an_incident(org, agent, manager, brand):
    api = Api(agent, ALL)
    made = api.post(
        "/incidents", {"title": "Hot chargers", "severity": "sev2", "brand_id": brand.pk}
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["severity"] == "sev2" and body["status"] == "open" and body["brand_id"] == brand.pk
    assert [line["kind"] for line in body["timeline"]] == ["opened"]
    incident_id = body["id"]
    changed = api.patch(
        f"/incidents/{incident_id}",
        {"status": "monitoring", "severity": "sev1", "owner_id": manager.pk},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["status"], body["severity"], body["owner_id"]) == (
        "monitoring",
        "sev1",
        manager.pk,
    )
    noted = api.post(f"/incidents/{incident_id}/notes", {"text": "Legal is on it"})
    assert noted.status_code == 201
    assert noted.json()["timeline"][-1]["text"] == "Legal is on it"
    listed = api.get("/incidents", {"status": "active"}).json()
    assert [i["id"] for i in listed] == [incident_id]
    assert api.get(f"/incidents/{incident_id}").json()["id"] == incident_id
    assert AuditEvent.objects.filter(action="crisis.incident.status_changed").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "severity": "sev2"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "A", "severity": "apocalyptic"}, "severity"),
        ({"title": "A", "severity": 1}, "severity"),
        ({"title": "A", "brand_id": 0}, "brand_id"),
        ({"title": "A", "brand_id": 2**70}, "brand_id"),
        ({"title": "A", "owner_id": "me"}, "owner_id"),
        ({"title": "A", "colour": "red"}, "colour"),
        ({"title": ["A"]}, "title"),
    ],
)
def test_bad_input_is_a_422_problem_and_nothing_is_stored(org, agent, body, field):
    answer = Api(agent, ALL).post("/incidents", body)
    problem = is_problem(answer, 422, "invalid")
    assert field in str(problem)
    assert not Incident.objects.exists() and not TimelineEntry.objects.exists()


def test_other_organisations_ids_are_refused(org, other_org, agent, make_user):
    theirs = Brand.objects.create(organization=other_org, name="Theirs")
    stranger = make_user(other_org, "admin")
    api = Api(agent, ALL)
    is_problem(api.post("/incidents", {"title": "A", "brand_id": theirs.pk}), 422, "invalid")
    is_problem(api.post("/incidents", {"title": "A", "owner_id": stranger.pk}), 422, "invalid")
    incident_id = api.post("/incidents", {"title": "Ours"}).json()["id"]
    outsider = Api(stranger, ALL)
    is_problem(outsider.get(f"/incidents/{incident_id}"), 404, "not_found")
    is_problem(
        outsider.patch(f"/incidents/{incident_id}", {"status": "resolved"}), 404, "not_found"
    )
    is_problem(outsider.post(f"/incidents/{incident_id}/notes", {"text": "hi"}), 404, "not_found")
    assert outsider.get("/incidents").json() == []
    assert Incident.objects.get().status == "open"


def test_scopes_and_roles_both_apply(org, agent, viewer):
    is_problem(
        Api(agent, ["incidents:read"]).post("/incidents", {"title": "A"}), 403, "permission_denied"
    )
    is_problem(Api(viewer, ALL).post("/incidents", {"title": "A"}), 403, "permission_denied")
    is_problem(
        Api(agent, ["incidents:read"]).post(
            "/crisis-mode", {"scope": "organization", "reason": "x"}
        ),
        403,
        "permission_denied",
    )
    # The front line may run incidents, but crisis mode is for the leads.
    is_problem(
        Api(agent, ALL).post("/crisis-mode", {"scope": "organization", "reason": "x"}),
        403,
        "permission_denied",
    )
    assert not CrisisMode.objects.exists() and not Pause.objects.exists()


def test_crisis_mode_on_state_and_off(org, manager, brand):
    api = Api(manager, ALL)
    assert api.get("/crisis-mode").json()["on"] is False
    is_problem(
        api.delete("/crisis-mode")
        if hasattr(api, "delete")
        else api.client.delete("/api/v1/crisis-mode"),
        409,
        "conflict",
    )
    is_problem(api.post("/crisis-mode", {"scope": "brand", "reason": "x"}), 422, "invalid")
    is_problem(api.post("/crisis-mode", {"scope": "sideways", "reason": "x"}), 422, "invalid")
    is_problem(
        api.post("/crisis-mode", {"scope": "channels", "reason": "x", "channel_ids": [999]}),
        422,
        "invalid",
    )
    assert not CrisisMode.objects.exists()
    on = api.post("/crisis-mode", {"scope": "brand", "brand_id": brand.pk, "reason": "Recall"})
    assert on.status_code == 201, on.content
    assert on.json()["on"] is True and on.json()["brand_id"] == brand.pk
    is_problem(
        api.post("/crisis-mode", {"scope": "organization", "reason": "Again"}), 409, "conflict"
    )
    assert api.get("/crisis-mode").json()["reason"] == "Recall"
    off = api.client.delete("/api/v1/crisis-mode")
    assert off.status_code == 200 and off.json()["on"] is False
    assert api.get("/crisis-mode").json()["on"] is False
    assert AuditEvent.objects.filter(action="crisis.mode.ended").exists()
