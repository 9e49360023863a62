"""Pages and escalation policies over the API: raise, acknowledge, resolve, list;
scopes, roles, tenancy, and bad input answered with problem+json and nothing stored."""

from __future__ import annotations

import pytest

from roost.core.models import AuditEvent, Role
from roost.oncall.models import EscalationPolicy, Page, PageNotification
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)
from roost.publishing.tests.test_api import Api, is_problem

pytestmark = pytest.mark.django_db

ALL = ["pages:read", "pages:write"]


def test_raise_acknowledge_resolve_and_list_a_page(org, lead, responders, policy, clock):
    api = Api(lead, ALL)
    made = api.post("/pages", {"title": "DM flood", "details": "200 DMs in 5 min"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "triggered" and body["step"] == 1 and body["policy_id"] == policy.pk
    assert [n["person_id"] for n in body["notifications"]] == [responders[0].pk]
    page_id = body["id"]

    answer = Api(responders[0], ALL).post(f"/pages/{page_id}/acknowledge")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "acknowledged"
    assert answer.json()["acknowledged_by_id"] == responders[0].pk
    assert api.get("/pages", {"status": "acknowledged"}).json()[0]["id"] == page_id
    assert api.post(f"/pages/{page_id}/resolve").json()["status"] == "resolved"
    assert api.get("/pages", {"status": "open"}).json() == []
    assert api.get(f"/pages/{page_id}").json()["resolved_by_id"] == lead.pk
    assert AuditEvent.objects.filter(action="oncall.page.resolved").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "A", "urgency": "panic"}, "urgency"),
        ({"title": "A", "policy_id": 0}, "policy_id"),
        ({"title": "A", "policy_id": 2**70}, "policy_id"),
        ({"title": "A", "policy_id": 999999}, "policy_id"),
        ({"title": "A", "colour": "red"}, "colour"),
        ({"title": ["A"]}, "title"),
    ],
)
def test_bad_page_input_is_a_422_problem_and_nothing_is_stored(
    org, lead, policy, clock, body, field
):
    problem = is_problem(Api(lead, ALL).post("/pages", body), 422, "invalid")
    assert field in str(problem)
    assert not Page.objects.exists() and not PageNotification.objects.exists()


def test_bad_status_filter_is_a_422(org, lead, policy, clock):
    is_problem(Api(lead, ALL).get("/pages", {"status": "sleeping"}), 422, "invalid")


def test_scopes_roles_and_tenancy_apply(org, other_org, make_user, lead, responders, policy, clock):
    is_problem(Api(lead, ["pages:read"]).post("/pages", {"title": "A"}), 403, "permission_denied")
    viewer = make_user(org, Role.VIEWER)
    is_problem(Api(viewer, ALL).post("/pages", {"title": "A"}), 403, "permission_denied")
    page_id = Api(lead, ALL).post("/pages", {"title": "Ours"}).json()["id"]
    stranger = Api(make_user(other_org, Role.ADMIN), ALL)
    is_problem(stranger.get(f"/pages/{page_id}"), 404, "not_found")
    is_problem(stranger.post(f"/pages/{page_id}/acknowledge"), 404, "not_found")
    assert stranger.get("/pages").json() == []
    assert Page.objects.get().status == "triggered"


def test_policies_are_created_read_replaced_and_deleted(org, lead, responders, clock):
    api = Api(lead, ALL)
    made = api.post(
        "/escalation-policies",
        {
            "name": "Weekend",
            "repeat_times": 2,
            "is_default": True,
            "steps": [
                {"target": "person", "person_id": responders[0].pk, "wait_minutes": 5},
                {"target": "person", "person_id": responders[1].pk, "wait_minutes": 10},
            ],
        },
    )
    assert made.status_code == 201, made.content
    policy_id = made.json()["id"]
    assert [s["wait_minutes"] for s in made.json()["steps"]] == [5, 10]
    replaced = api.put(
        f"/escalation-policies/{policy_id}",
        {
            "name": "Weekend",
            "steps": [{"target": "person", "person_id": lead.pk, "wait_minutes": 1}],
        },
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["steps"] == [
        {"target": "person", "wait_minutes": 1, "schedule_id": None, "person_id": lead.pk,
         "team_id": None}
    ]  # fmt: skip
    assert [p["id"] for p in api.get("/escalation-policies").json()] == [policy_id]
    assert api.client.delete(f"/api/v1/escalation-policies/{policy_id}").status_code == 204
    assert not EscalationPolicy.objects.exists()


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([{"target": "pager", "wait_minutes": 5}], "target"),
        ([{"target": "person", "wait_minutes": -1}], "wait_minutes"),
        ([{"target": "person", "wait_minutes": "5"}], "wait_minutes"),
        ([{"target": "person", "wait_minutes": 5}], "person_id"),
        ([{"target": "schedule", "schedule_id": 999999, "wait_minutes": 5}], "schedule_id"),
    ],
)
def test_bad_policies_are_422_problems_and_nothing_is_stored(org, lead, steps, field):
    answer = Api(lead, ALL).post("/escalation-policies", {"name": "P", "steps": steps})
    assert field in str(is_problem(answer, 422, "invalid"))
    assert not EscalationPolicy.objects.exists()
