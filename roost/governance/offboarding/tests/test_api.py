"""Offboarding over the API: POST /api/v1/governance/offboardings and GET its report;
bad input answers problem+json and stores nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from roost.core.api_access.tokens import token_create
from roost.core.models import Role
from roost.governance.offboarding.models import Offboarding
from roost.governance.offboarding.tests.conftest import World

pytestmark = pytest.mark.django_db
URL = "/api/v1/governance/offboardings"
PROBLEM = "application/problem+json"


def _client(user, scopes=("offboarding:read", "offboarding:write")) -> Client:
    secret = token_create(user=user, name="Offboarding", scopes=list(scopes)).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _post(client: Client, body: object) -> object:
    return client.post(
        URL,
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
    )


def test_an_admin_offboards_over_the_api_and_reads_the_report(world: World):
    api = _client(world.admin)
    answer = _post(api, {"leaver_id": world.leaver.pk, "successor_id": world.successor.pk})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["finished_at"] and body["leaver_id"] == world.leaver.pk
    kinds = [line["kind"] for line in body["lines"]]
    assert kinds.count("conversation") == 2 and kinds.count("grant") == 5
    report = api.get(f"{URL}/{body['id']}")
    assert report.status_code == 200 and report.json()["lines"] == body["lines"]
    # The leaver's own token is dead now.
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {world.token}").status_code == 401


def test_bad_input_answers_problem_json_and_stores_nothing(world: World, other_org, make_user):
    api = _client(world.admin)
    stranger = make_user(other_org, Role.ADMIN)
    leaver, successor = world.leaver.pk, world.successor.pk
    cases = [
        ({"leaver_id": stranger.pk, "successor_id": successor}, 404, "not_found"),
        ({"leaver_id": leaver, "successor_id": stranger.pk}, 404, "not_found"),
        ({"leaver_id": leaver, "successor_id": leaver}, 422, "invalid"),
        ({"leaver_id": world.admin.pk, "successor_id": successor}, 422, "invalid"),
        ({"leaver_id": "\u0000", "successor_id": successor}, 422, "invalid_text"),
        ({"leaver_id": leaver, "successor_id": 2**70}, 422, "invalid"),
        ({"leaver_id": leaver, "successor_id": 0}, 422, "invalid"),
        ({"leaver_id": str(leaver), "successor_id": successor}, 422, "invalid"),
        ({"leaver_id": leaver}, 422, "invalid"),
        ({"leaver_id": leaver, "successor_id": successor, "extra": 1}, 422, "invalid"),
        ("{not json", 400, "malformed_body"),
    ]
    for body, status, code in cases:
        answer = _post(api, body)
        assert (answer.status_code, answer["Content-Type"]) == (status, PROBLEM), (
            body,
            answer.content,
        )
        assert answer.json()["code"] == code, (body, answer.json())
    for path, status in ((f"{URL}/{2**70}", 422), (f"{URL}/0", 422), (f"{URL}/12345", 404)):
        answer = api.get(path)
        assert (answer.status_code, answer["Content-Type"]) == (status, PROBLEM), path
    assert not Offboarding.objects.exists()
    assert world.leaver.__class__.objects.get(pk=leaver).is_active


def test_scopes_roles_and_organisations_are_enforced(world: World, other_org, make_user):
    body = {"leaver_id": world.leaver.pk, "successor_id": world.successor.pk}
    reader = _client(world.admin, scopes=("offboarding:read",))
    assert _post(reader, body).status_code == 403
    manager = _client(world.successor)
    assert (
        _post(
            manager, {"leaver_id": world.leaver.pk, "successor_id": world.colleague.pk}
        ).status_code
        == 403
    )
    done = _post(_client(world.admin), body).json()
    stranger = _client(make_user(other_org, Role.ADMIN))
    answer = stranger.get(f"{URL}/{done['id']}")
    assert (answer.status_code, answer["Content-Type"]) == (404, PROBLEM)
    assert Offboarding.objects.count() == 1
