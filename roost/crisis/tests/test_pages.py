"""The crisis pages: who may open which, and bad input from a form answered on the page
with nothing stored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.crisis.mode import crisis_mode_end, crisis_mode_start
from roost.crisis.models import CrisisMode, Incident
from roost.crisis.services import incident_open

pytestmark = pytest.mark.django_db


def test_a_form_with_bad_input_answers_on_the_page_and_stores_nothing(signed_in, agent):
    client = signed_in(agent)
    answer = client.post(reverse("crisis:incident_new"), {"title": "  ", "severity": "sev1"})
    assert answer.status_code == 422
    assert "Give the incident a title." in answer.content.decode()
    answer = client.post(reverse("crisis:incident_new"), {"title": "A", "severity": "sev7"})
    assert answer.status_code == 422 and "Severity must be one of" in answer.content.decode()
    answer = client.post(reverse("crisis:incident_new"), {"title": "A", "brand": "abc"})
    assert answer.status_code == 422
    assert not Incident.objects.exists()


def test_who_may_open_which_page(signed_in, org, viewer, agent, manager):
    incident = incident_open(organization=org, actor=agent, title="Outage", severity="sev3")
    crisis = crisis_mode_end(
        actor=manager, crisis=crisis_mode_start(actor=manager, scope="organization", reason="r")
    )
    everyone = [
        reverse("crisis:home"),
        reverse("crisis:incident", args=[incident.pk]),
        reverse("crisis:mode", args=[crisis.pk]),
        reverse("crisis:report", args=[crisis.pk]),
    ]
    leads_only = [reverse("crisis:review", args=[crisis.pk])]
    for person, may_review in ((viewer, False), (agent, False), (manager, True)):
        client = signed_in(person)
        for url in everyone:
            assert client.get(url).status_code == 200, (person, url)
        for url in leads_only:
            assert client.get(url).status_code == (200 if may_review else 403), (person, url)
    client = signed_in(viewer)
    assert client.get(reverse("crisis:incident_new")).status_code == 403
    refused = client.post(reverse("crisis:start"), {"scope": "organization", "reason": "x"})
    assert refused.status_code == 403
    assert CrisisMode.objects.count() == 1


def test_another_organisation_gets_404_on_our_pages(signed_in, org, other_org, agent, make_user):
    incident = incident_open(organization=org, actor=agent, title="Ours", severity="sev3")
    client = signed_in(make_user(other_org, "admin"))
    assert client.get(reverse("crisis:incident", args=[incident.pk])).status_code == 404
    act = client.post(
        reverse("crisis:incident_act", args=[incident.pk]), {"action": "note", "text": "hi"}
    )
    assert act.status_code == 404
    assert incident.timeline.count() == 1
