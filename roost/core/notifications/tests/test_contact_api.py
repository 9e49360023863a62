"""One's contact methods over the API: scopes, only one's own, secrets returned once and
never again, bad input answered with problem+json and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, Role, User
from roost.core.notifications.models import ContactMethod

pytestmark = pytest.mark.django_db
JSON = "application/json"


class Api:
    """A client that sends JSON with a personal access token."""

    def __init__(self, user: User, scopes: list[str]) -> None:
        secret = token_create(user=user, name="api", scopes=scopes).secret
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str) -> Any:
        return self.client.get("/api/v1" + path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post("/api/v1" + path, body or {}, content_type=JSON)

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch("/api/v1" + path, body, content_type=JSON)


def is_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["detail"]
    return body


ALL = ["contact-methods:read", "contact-methods:write"]


def test_add_list_change_test_and_remove(org, make_user, mailoutbox):
    person = make_user(org, Role.MANAGER)
    api = Api(person, ALL)
    made = api.post(
        "/me/contact-methods",
        {"kind": "webhook", "target": "https://hooks.example.com/roost", "for_normal": False},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    secret = body["secret"]
    assert len(secret) >= 32 and body["has_secret"] and body["for_normal"] is False
    listed = api.get("/me/contact-methods")
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [body["id"]]
    assert secret not in listed.content.decode() and "secret" not in listed.json()[0]

    email = api.post("/me/contact-methods", {"kind": "email", "target": "kim@acme.example"})
    assert email.status_code == 201 and email.json()["secret"] == ""
    changed = api.patch(
        f"/me/contact-methods/{email.json()['id']}", {"label": "Phone mail", "position": 5}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["label"], changed.json()["position"]) == ("Phone mail", 5)
    tested = api.post(f"/me/contact-methods/{email.json()['id']}/test")
    assert tested.status_code == 200 and tested.json()["sent"] is True
    assert [m.to for m in mailoutbox] == [["kim@acme.example"]]
    assert api.client.delete(f"/api/v1/me/contact-methods/{body['id']}").status_code == 204
    assert list(ContactMethod.objects.values_list("kind", flat=True)) == ["email"]
    assert AuditEvent.objects.filter(action="core.contact_method.removed").exists()


@pytest.mark.parametrize(
    ("body", "field", "status", "code"),
    [
        ({"kind": "pigeon", "target": "roof"}, "kind", 422, "invalid"),
        ({"kind": "email", "target": "kim at acme"}, "target", 422, "invalid"),
        ({"kind": "webhook", "target": "http://hooks.example.com/x"}, "target", 422, "invalid"),
        ({"kind": "email", "target": "a@b.example", "for_urgent": False, "for_normal": False},
         "for_urgent", 422, "invalid"),
        ({"kind": "email", "target": ""}, "target", 422, "invalid"),
        ({"kind": "email", "target": "a@b.example", "colour": "red"}, "colour", 422,
         "invalid"),
        ({"kind": "email", "target": ["a@b.example"]}, "target", 422, "invalid"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_problem_and_nothing_is_stored(
    org, make_user, settings, body, field, status, code
):
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()
    api = Api(make_user(org, Role.MANAGER), ALL)
    answer = api.post("/me/contact-methods", body)
    problem = is_problem(answer, status, code)
    assert field in str(problem), problem
    assert not ContactMethod.objects.exists()


def test_scopes_apply_and_anothers_methods_are_not_found(org, make_user):
    owner, other = make_user(org, Role.MANAGER), make_user(org, Role.ADMIN)
    method = ContactMethod.objects.create(
        organization=org, person=owner, kind="email", target="owner@acme.example"
    )
    reader = Api(other, ["contact-methods:read"])
    is_problem(
        reader.post("/me/contact-methods", {"kind": "email", "target": "a@b.example"}),
        403,
        "permission_denied",
    )
    assert reader.get("/me/contact-methods").json() == []
    writer = Api(other, ALL)
    is_problem(writer.patch(f"/me/contact-methods/{method.pk}", {"label": "x"}), 404, "not_found")
    is_problem(writer.post(f"/me/contact-methods/{method.pk}/test"), 404, "not_found")
    answer = writer.client.delete(f"/api/v1/me/contact-methods/{method.pk}")
    is_problem(answer, 404, "not_found")
    assert ContactMethod.objects.filter(pk=method.pk, label="").exists()
