"""Tenancy: a person of organisation A gets 404 for every object of organisation B,
through the pages and through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core import services
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, Brand, ChannelGroup, Membership, Role, Team


@pytest.fixture
def foreign(other_org, make_user):
    """One object of every tenant type in the other organisation."""
    stranger = make_user(other_org, Role.ADMIN)
    brand = Brand.objects.create(organization=other_org, name="Their brand")
    group = ChannelGroup.objects.create(organization=other_org, name="Their group", brand=brand)
    team = Team.objects.create(organization=other_org, name="Their team")
    membership = Membership.objects.get(user=stranger)
    token = token_create(user=stranger, name="theirs", scopes=["users:read"]).token
    event = AuditEvent.objects.filter(organization=other_org).first()
    return {
        "user": stranger,
        "brand": brand,
        "group": group,
        "team": team,
        "membership": membership,
        "token": token,
        "event": event,
    }


PAGES = [
    ("core:person", "user", "get"),
    ("core:brand", "brand", "get"),
    ("core:channel_group", "group", "get"),
    ("core:team_detail", "team", "get"),
    ("core:membership_revoke", "membership", "post"),
    ("core:audit_event", "event", "get"),
    ("api:token_revoke", "token", "post"),
]
API = [
    ("/api/v1/users/{}", "user"),
    ("/api/v1/brands/{}", "brand"),
    ("/api/v1/channel-groups/{}", "group"),
    ("/api/v1/teams/{}", "team"),
    ("/api/v1/memberships/{}", "membership"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "kind", "method"), PAGES)
def test_pages_answer_404_for_another_organisations_objects(
    url_name, kind, method, foreign, admin, signed_in
):
    client = signed_in(admin)
    url = reverse(url_name, args=[foreign[kind].pk])
    response = client.post(url) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign["membership"].pk).exists()
    foreign["token"].refresh_from_db()
    assert foreign["token"].revoked_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "kind"), API)
def test_api_answers_404_for_another_organisations_objects(path, kind, foreign, admin):
    secret = token_create(
        user=admin, name="mine", scopes=["users:read", "memberships:read", "memberships:write"]
    ).secret
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get(path.format(foreign[kind].pk))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_api_cannot_revoke_or_grant_across_organisations(foreign, admin, org):
    secret = token_create(user=admin, name="mine", scopes=["memberships:write"]).secret
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.delete(f"/api/v1/memberships/{foreign['membership'].pk}").status_code == 404
    response = client.post(
        "/api/v1/memberships",
        {"user_id": foreign["user"].pk, "role": "viewer"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign["membership"].pk).exists()
    assert not Membership.objects.filter(user=foreign["user"], role="viewer").exists()


@pytest.mark.django_db
def test_lists_show_only_the_own_organisation(foreign, admin, org, signed_in):
    body = signed_in(admin).get(reverse("core:team")).content.decode()
    assert foreign["user"].email not in body
    assert "Their team" not in body
    audit_page = signed_in(admin).get(reverse("core:audit")).content.decode()
    assert "Their" not in audit_page


@pytest.mark.django_db
def test_services_refuse_foreign_targets(foreign, admin):
    from roost.core.errors import ApplicationError, ErrorCode

    with pytest.raises(ApplicationError) as refused:
        services.membership_grant(actor=admin, user=foreign["user"], role=Role.VIEWER)
    assert refused.value.code is ErrorCode.NOT_FOUND
