"""The organisation's sign-in policy: session lifetime and idle timeout applied by the
middleware, the admin page and the API, every change audited, bad input refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from roost.core.api_access.tokens import token_create
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.signin_methods.models import SignInPolicy
from roost.core.signin_methods.policy import signin_policy_update
from roost.core.signin_methods.sessions import LAST_SEEN_KEY, SIGNED_IN_AT_KEY

pytestmark = pytest.mark.django_db
JSON = "application/json"


def age_session(client: Client, *, signed_in_ago: int, last_seen_ago: int) -> None:
    """Move the session's timestamps into the past, as if time had passed."""
    session = client.session
    now = int(time.time())
    session[SIGNED_IN_AT_KEY] = now - signed_in_ago
    session[LAST_SEEN_KEY] = now - last_seen_ago
    session.save()


def test_a_session_older_than_the_lifetime_is_signed_out(client, org, admin, make_user):
    signin_policy_update(
        organization=org, actor=admin, session_lifetime_minutes=60, idle_timeout_minutes=30
    )
    person = make_user(org, Role.PUBLISHER)
    client.force_login(person)
    assert client.get("/").status_code == 200

    age_session(client, signed_in_ago=59 * 60, last_seen_ago=10)
    assert client.get("/").status_code == 200
    age_session(client, signed_in_ago=61 * 60, last_seen_ago=10)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:login") + "?expired=1"
    assert client.get("/").status_code == 302  # the session is gone
    ended = AuditEvent.objects.get(action="core.signin.ended")
    assert ended.after == {"reason": "session lifetime"}


def test_the_idle_timeout_is_the_organisations_own(client, org, other_org, admin, make_user):
    signin_policy_update(organization=org, actor=admin, idle_timeout_minutes=5)
    strict = make_user(org, Role.PUBLISHER)
    relaxed = make_user(other_org, Role.PUBLISHER)

    client.force_login(relaxed)
    client.get("/")
    age_session(client, signed_in_ago=600, last_seen_ago=6 * 60)
    assert client.get("/").status_code == 200  # the other organisation keeps the default

    client.force_login(strict)
    client.get("/")
    age_session(client, signed_in_ago=600, last_seen_ago=4 * 60)
    assert client.get("/").status_code == 200
    age_session(client, signed_in_ago=600, last_seen_ago=6 * 60)
    response = client.get("/")
    assert response["Location"] == reverse("core:login") + "?idle=1"


def test_signing_in_starts_the_clock_and_caps_the_cookie(client, org, admin):
    signin_policy_update(organization=org, actor=admin, session_lifetime_minutes=90)
    from roost.conftest import TEST_PASSWORD

    org.require_two_factor = False
    org.is_demo = True
    org.save(update_fields=["require_two_factor", "is_demo"])
    response = client.post(reverse("core:login"), {"email": admin.email, "password": TEST_PASSWORD})

    assert response.status_code == 302
    session = client.session
    assert abs(session[SIGNED_IN_AT_KEY] - time.time()) < 5
    assert session.get_expiry_age() == 90 * 60


def test_policy_changes_are_audited_with_before_and_after(org, admin, settings):
    signin_policy_update(
        organization=org,
        actor=admin,
        require_two_factor=True,
        session_lifetime_minutes=240,
        idle_timeout_minutes=20,
    )

    event = AuditEvent.objects.get(action="core.signin_policy.changed")
    assert event.after == {
        "require_two_factor": True,
        "session_lifetime_minutes": 240,
        "idle_timeout_minutes": 20,
    }
    assert event.before["idle_timeout_minutes"] == settings.ROOST_IDLE_TIMEOUT_SECONDS // 60


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"session_lifetime_minutes": 2}, "session_lifetime_minutes"),
        ({"session_lifetime_minutes": 60, "idle_timeout_minutes": 61}, "idle_timeout_minutes"),
        ({"idle_timeout_minutes": 0}, "idle_timeout_minutes"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(org, admin, values, field):
    with pytest.raises(ApplicationError) as refused:
        signin_policy_update(organization=org, actor=admin, **values)
    assert refused.value.code == ErrorCode.INVALID
    assert refused.value.field == field
    assert not SignInPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="core.signin_policy.changed").exists()


def test_only_an_admin_of_the_organisation_changes_it(org, other_org, make_user):
    manager = make_user(org, Role.MANAGER)
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        signin_policy_update(organization=org, actor=manager, idle_timeout_minutes=10)
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError) as refused:
        signin_policy_update(organization=org, actor=stranger, idle_timeout_minutes=10)
    assert refused.value.code == ErrorCode.NOT_FOUND


def test_the_settings_page_changes_the_policy(signed_in, org, admin):
    client = signed_in(admin)
    page = client.get(reverse("signin_methods:policy"))
    assert page.status_code == 200

    response = client.post(
        reverse("signin_methods:policy"),
        {
            "form": "policy",
            "policy-require_two_factor": "on",
            "policy-session_lifetime_minutes": "120",
            "policy-idle_timeout_minutes": "15",
        },
    )

    assert response.status_code == 302
    policy = SignInPolicy.objects.get(organization=org)
    assert (policy.session_lifetime_minutes, policy.idle_timeout_minutes) == (120, 15)
    org.refresh_from_db()
    assert org.require_two_factor


def test_the_settings_page_refuses_bad_input_clearly(signed_in, org, admin):
    client = signed_in(admin)
    response = client.post(
        reverse("signin_methods:policy"),
        {
            "form": "policy",
            "policy-session_lifetime_minutes": "60",
            "policy-idle_timeout_minutes": "90",
        },
    )
    assert response.status_code == 422
    assert "no longer than the session lifetime" in response.content.decode()
    assert not SignInPolicy.objects.exists()


def test_the_settings_page_is_for_admins(signed_in, org, make_user):
    client = signed_in(make_user(org, Role.MANAGER))
    assert client.get(reverse("signin_methods:policy")).status_code == 403


class Api:
    def __init__(self, user: Any, scopes: list[str]) -> None:
        secret = token_create(user=user, name="api", scopes=scopes).secret
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self) -> Any:
        return self.client.get("/api/v1/organization/sign-in-policy")

    def patch(self, body: Any) -> Any:
        return self.client.patch("/api/v1/organization/sign-in-policy", body, content_type=JSON)


def test_the_api_reads_and_changes_the_policy(org, admin, settings):
    api = Api(admin, ["signin-policy:read", "signin-policy:write"])
    assert api.get().json()["idle_timeout_minutes"] == settings.ROOST_IDLE_TIMEOUT_SECONDS // 60

    answer = api.patch({"idle_timeout_minutes": 10, "require_two_factor": True})

    assert answer.status_code == 200, answer.content
    assert answer.json()["idle_timeout_minutes"] == 10
    assert answer.json()["require_two_factor"] is True
    assert AuditEvent.objects.filter(action="core.signin_policy.changed").count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"idle_timeout_minutes": 600, "session_lifetime_minutes": 60}, 422),
        ({"idle_timeout_minutes": "ten"}, 422),
        ({"session_lifetime_minutes": 3}, 422),
        ({"unknown_field": 1}, 422),
    ],
)
def test_bad_api_input_is_a_problem_and_nothing_is_stored(org, admin, body, status):
    api = Api(admin, ["signin-policy:read", "signin-policy:write"])
    answer = api.patch(body)
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["detail"]
    assert not SignInPolicy.objects.exists()


def test_the_api_is_for_admins_with_the_scope(org, admin, make_user):
    assert Api(admin, ["users:read"]).get().status_code == 403
    manager = make_user(org, Role.MANAGER)
    answer = Api(manager, ["signin-policy:read", "signin-policy:write"]).patch(
        {"idle_timeout_minutes": 10}
    )
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert not SignInPolicy.objects.exists()
