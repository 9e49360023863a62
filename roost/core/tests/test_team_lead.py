"""A team's lead: named by a team manager, audited, shown on the team's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, Role
from roost.core.services import team_create, team_lead_set


@pytest.fixture
def team(org, admin):
    return team_create(organization=org, actor=admin, name="Support Americas")


@pytest.mark.django_db
def test_naming_a_lead_makes_them_a_member_and_is_audited(team, org, admin, make_user):
    lead = make_user(org, Role.MANAGER, email="marco@example.com")

    team_lead_set(team=team, actor=admin, lead=lead)

    team.refresh_from_db()
    assert team.lead == lead
    assert lead in team.members.all()
    event = AuditEvent.objects.filter(action="core.team.lead_set").get()
    assert event.before == {"lead": None} and event.after == {"lead": "marco@example.com"}

    team_lead_set(team=team, actor=admin, lead=None)
    team.refresh_from_db()
    assert team.lead is None


@pytest.mark.django_db
def test_only_a_team_manager_may_name_a_lead(team, org, make_user):
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError):
        team_lead_set(team=team, actor=viewer, lead=viewer)
    team.refresh_from_db()
    assert team.lead is None


@pytest.mark.django_db
def test_a_person_from_another_organisation_cannot_lead(team, admin, other_org, make_user):
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError):
        team_lead_set(team=team, actor=admin, lead=stranger)
    team.refresh_from_db()
    assert team.lead is None


@pytest.mark.django_db
def test_the_team_page_sets_and_shows_the_lead(team, org, admin, make_user, signed_in):
    lead = make_user(org, Role.MANAGER, email="ada@example.com")
    lead.name = "Ada <Lead>"
    lead.save(update_fields=["name"])
    client = signed_in(admin)

    response = client.post(reverse("core:team_detail", args=[team.pk]), {"lead": lead.pk})
    assert response.status_code == 302
    page = client.get(reverse("core:team_detail", args=[team.pk])).content.decode()
    assert "Ada &lt;Lead&gt;" in page
    assert "Ada <Lead>" not in page

    response = client.post(reverse("core:team_detail", args=[team.pk]), {"lead": "999999"})
    assert response.status_code == 404
    team.refresh_from_db()
    assert team.lead == lead
