"""The REST API: tokens, scopes, problem+json errors, and organisation-scoped reads and writes."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from roost.core.api_access.models import ApiToken
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, Membership, Role


def api_client(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


ALL_SCOPES = ["users:read", "memberships:read", "memberships:write", "audit:read"]


@pytest.fixture
def admin_token(admin):
    return token_create(user=admin, name="ops", scopes=ALL_SCOPES)


@pytest.mark.django_db
def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Roost API"
    assert "/api/v1/me" in spec["paths"]
    assert "/api/v1/memberships" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_me_describes_the_token_owner(admin, admin_token):
    body = api_client(admin_token.secret).get("/api/v1/me").json()
    assert body["email"] == admin.email
    assert body["organization"]["name"] == "Acme"
    assert body["roles"] == ["admin"]
    assert body["token_scopes"] == sorted(ALL_SCOPES)


@pytest.mark.django_db
def test_token_is_stored_hashed_and_shown_once(admin, admin_token):
    stored = ApiToken.objects.get(pk=admin_token.token.pk)
    assert admin_token.secret not in (stored.digest, stored.prefix)
    assert admin_token.secret.startswith(f"roost_{stored.prefix}_")
    event = AuditEvent.objects.get(action="api.token.created")
    assert admin_token.secret not in str(event.after)


@pytest.mark.django_db
def test_token_page_shows_the_secret_once(admin, signed_in):
    client = signed_in(admin)
    response = client.post(
        "/settings/tokens/", {"name": "BI", "scopes": ["users:read"], "expires_in_days": 30}
    )
    body = response.content.decode()
    secret = body.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("roost_")
    assert response["Cache-Control"] == "no-store"
    assert secret not in client.get("/settings/tokens/").content.decode()
    assert api_client(secret).get("/api/v1/users").status_code == 200


@pytest.mark.django_db
def test_users_and_memberships_lists(org, admin, admin_token, make_user):
    make_user(org, Role.ANALYST, email="ana@acme.example")
    client = api_client(admin_token.secret)
    emails = [u["email"] for u in client.get("/api/v1/users").json()]
    assert "ana@acme.example" in emails and admin.email in emails
    roles = {m["role"] for m in client.get("/api/v1/memberships").json()}
    assert roles == {"admin", "analyst"}


@pytest.mark.django_db
def test_grant_and_revoke_a_role_through_the_api(org, admin_token, make_user):
    person = make_user(org, None)
    client = api_client(admin_token.secret)
    created = client.post(
        "/api/v1/memberships",
        {"user_id": person.pk, "role": "publisher"},
        content_type="application/json",
    )
    assert created.status_code == 201
    membership_id = created.json()["id"]
    assert Membership.objects.filter(pk=membership_id, role="publisher").exists()
    assert client.delete(f"/api/v1/memberships/{membership_id}").status_code == 204
    assert not Membership.objects.filter(pk=membership_id).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="core.membership").values_list(
            "action", flat=True
        )
    )
    assert "core.membership.granted" in actions and "core.membership.revoked" in actions


@pytest.mark.django_db
def test_a_token_cannot_do_more_than_its_owner(org, make_user):
    viewer = make_user(org, Role.VIEWER)
    person = make_user(org, None)
    secret = token_create(user=viewer, name="v", scopes=["memberships:write"]).secret
    response = api_client(secret).post(
        "/api/v1/memberships",
        {"user_id": person.pk, "role": "admin"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_a_missing_scope_is_refused(admin):
    secret = token_create(user=admin, name="narrow", scopes=["memberships:read"]).secret
    response = api_client(secret).get("/api/v1/users")
    assert response.status_code == 403
    assert "users:read" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer not-a-token", "token_malformed"),
        ("Basic dXNlcjpwYXNz", "token_malformed"),
        ("Bearer roost_abcd1234_" + "x" * 43, "token_unknown"),
    ],
)
def test_bad_tokens_get_401_problem_json(header, code):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == 401
    assert body["title"] and body["detail"]


@pytest.mark.django_db
def test_revoked_and_expired_tokens_are_refused(admin):
    issued = token_create(user=admin, name="old", scopes=["users:read"])
    from roost.core.api_access.tokens import token_revoke

    token_revoke(token=issued.token, actor=admin)
    response = api_client(issued.secret).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_malformed_json_gets_400_and_changes_nothing(org, admin_token, make_user):
    person = make_user(org, None)
    before = Membership.objects.count(), AuditEvent.objects.count()
    response = api_client(admin_token.secret).post(
        "/api/v1/memberships",
        data=f'{{"user_id": {person.pk}, "role": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_body"
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": "x", "role": "viewer"},
        {"role": "viewer"},
        {"user_id": 1, "role": "emperor"},
        [1, 2],
    ],
)
def test_schema_violations_get_422_with_locations(admin_token, payload):
    response = api_client(admin_token.secret).post(
        "/api/v1/memberships", payload, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] and all("location" in e for e in body["errors"])


@pytest.mark.django_db
def test_granting_twice_is_a_409(org, admin_token, make_user):
    person = make_user(org, Role.ANALYST)
    response = api_client(admin_token.secret).post(
        "/api/v1/memberships",
        {"user_id": person.pk, "role": "analyst"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


@pytest.mark.django_db
def test_the_last_admin_cannot_be_revoked(admin, admin_token):
    membership = Membership.objects.get(user=admin, role="admin")
    response = api_client(admin_token.secret).delete(f"/api/v1/memberships/{membership.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_tokens_never_appear_in_logs(admin, caplog):
    caplog.set_level(logging.DEBUG)
    issued = token_create(user=admin, name="quiet", scopes=["users:read"])
    api_client(issued.secret).get("/api/v1/users")
    api_client(issued.secret + "x").get("/api/v1/users")
    assert issued.secret not in caplog.text


@pytest.mark.django_db
def test_the_openapi_document_lists_the_problem_answers_of_every_operation(client):
    spec = client.get("/api/v1/openapi.json").json()
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    operations = [op for ops in spec["paths"].values() for op in ops.values()]
    assert len(operations) > 20
    for operation in operations:
        for status in ("400", "401", "403", "404", "409", "413", "422"):
            answer = operation["responses"][status]
            schema = answer["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, operation["operationId"]


@pytest.mark.django_db
def test_a_page_refuses_a_body_over_the_limit_with_413(admin, signed_in, settings):
    response = signed_in(admin).post(
        "/settings/tokens/", {"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    assert response.status_code == 413
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/inbox/conversations/1/nope"])
def test_an_address_the_api_does_not_have_answers_404_problem_json(admin_token, path):
    response = api_client(admin_token.secret).post(path, {}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_page_that_does_not_exist_still_answers_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
