"""Invitations over the API: the same rules as the pages, refusals as problem+json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from roost.core.api_access.tokens import token_create
from roost.core.invitations.models import Invitation
from roost.core.models import AuditEvent, ChannelGroup, Role, User

pytestmark = pytest.mark.django_db
JSON = "application/json"
ALL = ["invitations:read", "invitations:write"]


class Api:
    def __init__(self, user: User, scopes: list[str]) -> None:
        secret = token_create(user=user, name="api", scopes=scopes).secret
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str) -> Any:
        return self.client.get("/api/v1" + path)

    def post(self, path: str, body: Any = None) -> Any:
        raw = body if isinstance(body, str) else json.dumps(body or {})
        return self.client.post("/api/v1" + path, raw, content_type=JSON)

    def put(self, path: str, body: Any) -> Any:
        return self.client.put("/api/v1" + path, json.dumps(body), content_type=JSON)


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def test_invite_list_resend_and_revoke(org, admin, mailoutbox, django_capture_on_commit_callbacks):
    group = ChannelGroup.objects.create(organization=org, name="EMEA")
    api = Api(admin, ALL)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(
            "/invitations",
            {
                "emails": ["ana@acme.example", "bo@acme.example"],
                "roles": ["publisher"],
                "channel_group_ids": [group.pk],
            },
        )
    assert made.status_code == 201, made.content
    body = made.json()
    assert [i["email"] for i in body] == ["ana@acme.example", "bo@acme.example"]
    assert body[0]["status"] == "pending"
    assert body[0]["grants"] == [
        {"role": "publisher", "channel_group_id": group.pk, "scope": "EMEA"}
    ]
    assert len(mailoutbox) == 2
    assert "token" not in json.dumps(body)
    first = body[0]["id"]
    assert api.get(f"/invitations/{first}").json()["email"] == "ana@acme.example"
    assert len(api.get("/invitations").json()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/invitations/{first}/resend").status_code == 200
    assert len(mailoutbox) == 3
    revoked = api.post(f"/invitations/{first}/revoke")
    assert revoked.json()["status"] == "revoked"
    is_problem(api.post(f"/invitations/{first}/revoke"), 409)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invitations.invitation.created", "invitations.invitation.resent",
            "invitations.invitation.revoked"} <= actions  # fmt: skip


def test_the_policy_over_the_api_refuses_outside_domains(org, admin):
    api = Api(admin, ALL)
    assert api.get("/invitation-policy").json() == {"allowed_email_domains": []}
    saved = api.put(
        "/invitation-policy", {"allowed_email_domains": ["ACME.example", "acme.example"]}
    )
    assert saved.json() == {"allowed_email_domains": ["acme.example"]}
    refused = is_problem(
        api.post("/invitations", {"emails": ["eve@evil.example"], "roles": ["viewer"]}), 422
    )
    assert "domain is not allowed" in refused["detail"]
    is_problem(api.put("/invitation-policy", {"allowed_email_domains": ["no spaces.example"]}), 422)
    assert not Invitation.objects.exists()


def test_scopes_roles_and_other_organisations(org, other_org, admin, make_user):
    stranger = make_user(other_org, Role.ADMIN)
    theirs = Api(stranger, ALL).post(
        "/invitations", {"emails": ["x@globex.example"], "roles": ["viewer"]}
    )
    their_id = theirs.json()[0]["id"]
    api = Api(admin, ALL)
    is_problem(api.get(f"/invitations/{their_id}"), 404)
    is_problem(api.post(f"/invitations/{their_id}/revoke"), 404)
    is_problem(api.post(f"/invitations/{their_id}/resend"), 404)
    foreign_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    is_problem(
        api.post(
            "/invitations",
            {
                "emails": ["y@acme.example"],
                "roles": ["viewer"],
                "channel_group_ids": [foreign_group.pk],
            },
        ),
        404,
    )
    read_only = Api(admin, ["invitations:read"])
    is_problem(
        read_only.post("/invitations", {"emails": ["z@acme.example"], "roles": ["viewer"]}), 403
    )
    manager = Api(make_user(org, Role.MANAGER), ALL)
    is_problem(manager.get("/invitations"), 403)
    is_problem(
        manager.post("/invitations", {"emails": ["z@acme.example"], "roles": ["viewer"]}), 403
    )
    assert Invitation.objects.filter(organization=org).count() == 0


def test_awkward_bodies_are_422_and_store_nothing(org, admin):
    api = Api(admin, ALL)
    base = {"emails": ["a@acme.example"], "roles": ["viewer"]}
    for body in (
        {**base, "emails": [f"p{n}@acme.example" for n in range(10_000)]},
        {**base, "emails": []},
        {**base, "roles": ["owner"]},
        {**base, "roles": []},
        {**base, "valid_days": 0},
        {**base, "valid_days": True},
        {**base, "channel_group_ids": [2**64]},
        {**base, "channel_group_ids": ["1"]},
        {**base, "surprise": 1},
        {**base, "emails": ["not an address"]},
        {**base, "emails": "a@acme.example"},
    ):
        response = api.post("/invitations", body)
        assert response.status_code in (413, 422), (body.keys(), response.content[:200])
        assert response["Content-Type"] == "application/problem+json"
    for text in ('"nul\\u0000@acme.example"', '"lone\\ud800@acme.example"'):
        raw = '{"emails": [' + text + '], "roles": ["viewer"]}'
        is_problem(api.post("/invitations", raw), 422)
    for huge in (2**63, 10**30):
        response = api.get(f"/invitations/{huge}")
        assert response.status_code in (404, 422)
        assert response["Content-Type"] == "application/problem+json"
    assert not Invitation.objects.exists()
