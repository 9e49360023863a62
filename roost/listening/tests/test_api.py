"""Monitors and matches over the API: problem+json on bad input (a query's mistake with
its position), 404 for another organisation's ids, scopes and roles enforced."""

from __future__ import annotations

import pytest
from django.test import Client

from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, Role
from roost.listening.matching import inbox_scan
from roost.listening.models import Monitor
from roost.listening.tests.conftest import deliver

URL = "/api/v1/listening/monitors"


def client_for(user, scopes=("listening:read", "listening:write")) -> Client:
    secret = token_create(user=user, name="bot", scopes=list(scopes)).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.django_db
def test_create_read_change_list_matches_and_delete(lead, brand, channel):
    api = client_for(lead)
    made = api.post(
        URL,
        {"brand_id": brand.pk, "name": "Recall", "query": '"product recall" OR #recall'},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    monitor = made.json()
    assert (monitor["brand"], monitor["sensitivity"], monitor["public_stream"]) == (
        "Acme EMEA",
        "normal",
        True,
    )
    changed = api.patch(
        f"{URL}/{monitor['id']}", {"sensitivity": "high"}, content_type="application/json"
    )
    assert changed.json()["sensitivity"] == "high"
    deliver(channel, ["Product recall for the kettle", "unrelated"])
    inbox_scan()
    page = api.get(f"{URL}/{monitor['id']}/matches").json()
    assert page["count"] == 1
    assert page["items"][0]["text"] == "Product recall for the kettle"
    assert page["items"][0]["source"] == "inbox"
    assert [m["id"] for m in api.get(URL).json()] == [monitor["id"]]
    assert api.delete(f"{URL}/{monitor['id']}").status_code == 204
    assert not Monitor.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="listening.monitor").count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "position"),
    [("recall AND", 10), ('"recall', 0), ("(recall OR kettle", 0), ("lang:", 0)],
)
def test_a_bad_query_is_a_problem_with_its_position_and_nothing_is_stored(
    lead, brand, query, position
):
    from roost.listening.query import QuerySyntaxError, parse

    with pytest.raises(QuerySyntaxError) as expected:
        parse(query)
    answer = client_for(lead).post(
        URL, {"brand_id": brand.pk, "name": "Bad", "query": query}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "query_invalid" and body["field"] == "query"
    assert body["position"] == expected.value.position
    assert body["detail"] == str(expected.value)
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_a_bad_query_in_a_change_is_a_problem_and_changes_nothing(lead, brand, make_monitor):
    monitor = make_monitor(brand, "recall")
    answer = client_for(lead).patch(
        f"{URL}/{monitor.pk}", {"query": "recall NOT"}, content_type="application/json"
    )
    assert answer.status_code == 422 and answer.json()["code"] == "query_invalid"
    monitor.refresh_from_db()
    assert monitor.query == "recall"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"brand_id": "1", "name": "x", "query": "a"},
        {"brand_id": 1, "name": 5, "query": "a"},
        {"brand_id": 1, "name": "x", "query": "a", "sensitivity": "paranoid"},
        {"brand_id": 1, "name": "x", "query": "a", "extra": 1},
        {"brand_id": 1, "name": "x", "query": "a" * 5000},
        {"brand_id": 2**70, "name": "x", "query": "a"},
    ],
)
def test_malformed_bodies_are_422_problems(lead, brand, body):
    answer = client_for(lead).post(URL, body, content_type="application/json")
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_another_organisations_ids_are_404(
    lead, brand, other_org, other_brand, make_user, make_monitor
):
    theirs = make_monitor(other_brand, "rival", actor=make_user(other_org, Role.ADMIN))
    api = client_for(lead)
    for answer in (
        api.get(f"{URL}/{theirs.pk}"),
        api.get(f"{URL}/{theirs.pk}/matches"),
        api.patch(f"{URL}/{theirs.pk}", {"name": "mine"}, content_type="application/json"),
        api.delete(f"{URL}/{theirs.pk}"),
        api.post(
            URL,
            {"brand_id": other_brand.pk, "name": "spy", "query": "rival"},
            content_type="application/json",
        ),
    ):
        assert answer.status_code == 404, answer.content
        assert answer["Content-Type"] == "application/problem+json"
    assert api.get(URL).json() == []
    theirs.refresh_from_db()
    assert theirs.name != "mine"


@pytest.mark.django_db
def test_scopes_and_roles_are_enforced(org, brand, make_user, lead):
    viewer = make_user(org, Role.VIEWER)
    refused = client_for(viewer).post(
        URL, {"brand_id": brand.pk, "name": "x", "query": "a"}, content_type="application/json"
    )
    assert refused.status_code == 403
    read_only = client_for(lead, scopes=("listening:read",)).post(
        URL, {"brand_id": brand.pk, "name": "x", "query": "a"}, content_type="application/json"
    )
    assert read_only.status_code == 403
    assert client_for(viewer).get(URL).status_code == 200
    assert not Monitor.objects.exists()
