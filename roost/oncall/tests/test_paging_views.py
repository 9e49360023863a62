"""The pages of paging: list, detail, acknowledge and resolve buttons, policy forms."""

from __future__ import annotations

import pytest

from roost.core.models import Role
from roost.oncall.models import EscalationPolicy, PageStatus
from roost.oncall.paging.services import page_raise
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def test_the_list_and_the_detail_show_who_was_told_and_answer_from_the_buttons(
    org, lead, responders, policy, clock, signed_in
):
    page = page_raise(actor=lead, organization=org, title="Boycott hashtag trending")
    client = signed_in(responders[0])
    listed = client.get("/oncall/pages/")
    assert listed.status_code == 200
    assert "Boycott hashtag trending" in listed.content.decode()
    detail = client.get(f"/oncall/pages/{page.pk}/").content.decode()
    assert responders[0].name in detail and "Acknowledge" in detail
    assert client.post(f"/oncall/pages/{page.pk}/acknowledge/").status_code == 302
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == responders[0]
    assert client.post(f"/oncall/pages/{page.pk}/resolve/").status_code == 302
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED


def test_another_organisations_page_is_not_found(
    org, other_org, make_user, lead, policy, clock, signed_in
):
    page = page_raise(actor=lead, organization=org, title="Ours")
    client = signed_in(make_user(other_org, Role.ADMIN))
    assert client.get(f"/oncall/pages/{page.pk}/").status_code == 404
    assert client.post(f"/oncall/pages/{page.pk}/acknowledge/").status_code == 404
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_a_policy_is_made_and_changed_through_its_form(org, lead, responders, signed_in):
    client = signed_in(lead)
    assert client.get("/oncall/escalation/new/").status_code == 200
    made = client.post(
        "/oncall/escalation/new/",
        {
            "name": "Evenings",
            "repeat_times": "1",
            "is_default": "on",
            "step-0-target": "person",
            "step-0-person": str(responders[0].pk),
            "step-0-wait": "5",
            "step-1-target": "person",
            "step-1-person": str(responders[1].pk),
            "step-1-wait": "10",
            "step-2-target": "",
        },
    )
    assert made.status_code == 302
    policy = EscalationPolicy.objects.get()
    assert policy.is_default and policy.repeat_times == 1
    assert list(policy.steps.values_list("person_id", "wait_minutes")) == [
        (responders[0].pk, 5),
        (responders[1].pk, 10),
    ]
    form = client.get(f"/oncall/escalation/{policy.pk}/").content.decode()
    assert 'value="Evenings"' in form
    refused = client.post(
        f"/oncall/escalation/{policy.pk}/",
        {"name": "Evenings", "step-0-target": "person", "step-0-wait": "5"},
    )
    assert refused.status_code == 422 and "choose a person" in refused.content.decode()
    assert policy.steps.count() == 2
    assert "Evenings" in client.get("/oncall/escalation/").content.decode()


def test_a_community_manager_may_not_manage_policies(org, make_user, signed_in):
    client = signed_in(make_user(org, Role.COMMUNITY_MANAGER))
    assert client.get("/oncall/escalation/new/").status_code == 403
    assert client.post("/oncall/escalation/new/", {"name": "X"}).status_code == 403
    assert not EscalationPolicy.objects.exists()
