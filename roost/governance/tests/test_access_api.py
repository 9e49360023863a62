"""Access and risks over the API: preview and apply bulk changes, read grants and who can
do what; bad input answers problem+json and stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, ChannelGroup, Membership, Role

SCOPES = ["access:read", "access:write", "risks:read"]


def _client(user, scopes=SCOPES) -> Client:
    issued = token_create(user=user, name="access", scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def _post(client: Client, path: str, body: object):
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def groups(org):
    return [ChannelGroup.objects.create(organization=org, name=f"Group {n}") for n in range(2)]


@pytest.mark.django_db
def test_preview_then_apply_a_time_limited_bulk_grant(org, admin, make_user, groups):
    people = [make_user(org, None) for _ in range(2)]
    ends = (timezone.now() + dt.timedelta(days=14)).replace(microsecond=0)
    body = {
        "operation": "grant",
        "role": "community_manager",
        "user_ids": [p.pk for p in people],
        "channel_group_ids": [g.pk for g in groups],
        "expires_at": ends.isoformat(),
    }
    client = _client(admin)
    preview = _post(client, "/api/v1/access/bulk/preview", body)
    assert preview.status_code == 200, preview.content
    assert preview.json()["counts"]["add"] == 4 and preview.json()["applied"] is False
    assert not Membership.objects.filter(user__in=people).exists()
    applied = _post(client, "/api/v1/access/bulk/apply", body)
    assert applied.status_code == 200 and applied.json()["applied"] is True
    assert (
        Membership.objects.filter(user__in=people, expires_at=ends, granted_by=admin).count() == 4
    )

    grants = client.get(f"/api/v1/access/people/{people[0].pk}").json()["grants"]
    assert {(g["scope"], g["granted_by_id"]) for g in grants} == {
        ("Group 0", admin.pk),
        ("Group 1", admin.pk),
    }
    who = client.get(f"/api/v1/access/channel-groups/{groups[0].pk}").json()
    row = next(r for r in who["people"] if r["user_id"] == people[0].pk)
    assert "inbox.conversation.handle" in row["allowed"]["inbox"]
    assert "publishing.post.edit" not in row["allowed"]["publishing"]

    revoke = {**body, "operation": "revoke"}
    del revoke["expires_at"]
    revoked = _post(client, "/api/v1/access/bulk/apply", revoke)
    assert revoked.json()["counts"]["remove"] == 4
    assert not Membership.objects.filter(user__in=people).exists()


def _bad_bodies(org_person, group, their_person, their_group):
    base = {
        "operation": "grant",
        "role": "viewer",
        "user_ids": [org_person.pk],
        "channel_group_ids": [group.pk],
    }
    return {
        "unknown person": ({**base, "user_ids": [999_999_999]}, 404),
        "another organisation's person": ({**base, "user_ids": [their_person.pk]}, 404),
        "another organisation's group": ({**base, "channel_group_ids": [their_group.pk]}, 404),
        "expiry in the past": ({**base, "expires_at": "2001-01-01T00:00:00Z"}, 422),
        "year 9999": ({**base, "expires_at": "9999-12-31T23:59:59Z"}, 422),
        "far but within the calendar": ({**base, "expires_at": "2990-01-01T00:00:00Z"}, 422),
        "naive expiry": ({**base, "expires_at": "2030-01-01T00:00:00"}, 422),
        "NUL in the role": ({**base, "role": "viewer\u0000"}, 422),
        "NUL in the expiry": ({**base, "expires_at": "2030-01-01\u0000"}, 422),
        "unknown role": ({**base, "role": "overlord"}, 422),
        "no people": ({**base, "user_ids": []}, 422),
        "no scope": ({**base, "channel_group_ids": []}, 422),
        "id as text": ({**base, "user_ids": [str(org_person.pk)]}, 422),
        "id too large": ({**base, "user_ids": [2**64]}, 422),
        "unknown field": ({**base, "extra": 1}, 422),
        "expiry on a revoke": (
            {**base, "operation": "revoke", "expires_at": "2030-01-01T00:00:00Z"},
            422,
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/access/bulk/preview", "/api/v1/access/bulk/apply"])
def test_bad_input_is_a_problem_and_stores_nothing(org, other_org, admin, make_user, groups, path):
    person = make_user(org, None)
    theirs = make_user(other_org, None)
    their_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    client = _client(admin)
    before = (Membership.objects.count(), AuditEvent.objects.count())
    for name, (body, status) in _bad_bodies(person, groups[0], theirs, their_group).items():
        response = _post(client, path, body)
        assert response.status_code == status, (name, response.content)
        assert response["Content-Type"] == "application/problem+json", name
        after = (Membership.objects.count(), AuditEvent.objects.count())
        assert after[0] == before[0], name
    assert Membership.objects.count() == before[0]
    assert not AuditEvent.objects.filter(action__startswith="governance.access").exists()


@pytest.mark.django_db
def test_another_organisations_reads_are_not_found(org, other_org, admin, make_user):
    theirs = make_user(other_org, Role.ADMIN)
    their_group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    client = _client(admin)
    for path in (
        f"/api/v1/access/people/{theirs.pk}",
        f"/api/v1/access/channel-groups/{their_group.pk}",
    ):
        response = client.get(path)
        assert (
            response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        )


@pytest.mark.django_db
def test_scopes_and_roles_are_both_needed(org, admin, make_user, groups):
    person = make_user(org, None)
    body = {
        "operation": "grant",
        "role": "viewer",
        "user_ids": [person.pk],
        "channel_group_ids": [groups[0].pk],
    }
    reader = _client(admin, scopes=["access:read"])
    assert _post(reader, "/api/v1/access/bulk/apply", body).status_code == 403
    assert reader.get("/api/v1/risks").status_code == 403
    manager = _client(make_user(org, Role.MANAGER))
    assert _post(manager, "/api/v1/access/bulk/apply", body).status_code == 403
    assert manager.get("/api/v1/risks").status_code == 403
    assert manager.get(f"/api/v1/access/people/{person.pk}").status_code == 200
    publisher = _client(make_user(org, Role.PUBLISHER))
    assert publisher.get(f"/api/v1/access/people/{person.pk}").status_code == 403
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_risks_are_listed_with_their_fix(org, admin, make_user):
    make_user(org, Role.VIEWER, email="never@acme.example")
    risks = _client(admin).get("/api/v1/risks").json()
    no_two_factor = [r for r in risks if r["kind"] == "no_two_factor"]
    assert no_two_factor and all(r["fix_url"].startswith("/") for r in no_two_factor)
