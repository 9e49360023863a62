"""Every navigation item opens for every role, and unbuilt areas say so plainly."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from roost.core.models import Role
from roost.core.navigation import AREAS


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_navigation_item_opens_for_every_role(role, org, make_user, signed_in):
    client = signed_in(make_user(org, role))
    for area in AREAS:
        response = client.get(reverse(area.url_name))
        if area.key == "governance" and role not in (Role.ADMIN, Role.MANAGER):
            assert response.status_code == 403, area.key
            continue
        assert response.status_code == 200, (area.key, response.status_code)
        body = response.content.decode()
        assert escape(area.label) in body
        if not area.built:
            assert f"{escape(area.label)} is not built yet" in body


@pytest.mark.django_db
def test_today_shows_organisation_role_and_time_zone(org, make_user, signed_in):
    user = make_user(org, Role.PUBLISHER, time_zone="Asia/Tokyo")
    body = signed_in(user).get(reverse("core:today")).content.decode()
    assert "Acme" in body
    assert "Publisher" in body
    assert "Asia/Tokyo" in body


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("core:today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
