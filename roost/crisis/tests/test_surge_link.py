"""The inbox's surge group shows the incident its conversations belong to, and links a
surge's conversations to an incident in one action."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from roost.core.models import AuditEvent
from roost.crisis.services import incident_open
from roost.inbox import ingest
from roost.inbox.models import Conversation
from roost.inbox.tests.conftest import account
from roost.inbox.tests.test_surges import OUTAGE
from roost.sandbox.services import sandbox_inbound_add

pytestmark = pytest.mark.django_db


def test_a_surge_is_linked_to_an_incident_and_shows_it(
    signed_in, client, org, agent, make_channel, other_org, make_user
):
    channel = make_channel()
    for n, text in enumerate(OUTAGE):
        sandbox_inbound_add(account=account(), kind="mention", author_handle=f"fan{n}", text=text)
    ingest.channel_ingest(channel=channel)
    surge_ids = sorted(
        Conversation.objects.filter(author_handle__startswith="fan").values_list("pk", flat=True)
    )
    incident = incident_open(organization=org, actor=agent, title="App outage", severity="sev2")
    client.force_login(agent)
    page = client.get(reverse("inbox:split")).content.decode()
    form = page[page.index('class="surge-link"') :]
    form = form[: form.index("</form>")]
    assert (
        sorted(int(i) for i in re.findall(r'name="conversation" value="(\d+)"', form)) == surge_ids
    )
    assert f'value="{incident.pk}"' in form and 'data-testid="surge-incident"' not in page

    answer = client.post(
        reverse("crisis:surge_link"), {"incident": incident.pk, "conversation": surge_ids}
    )
    assert answer.status_code == 302
    assert sorted(incident.links.values_list("conversation_id", flat=True)) == surge_ids
    assert AuditEvent.objects.filter(action="crisis.incident.conversations_linked").exists()
    page = client.get(reverse("inbox:split")).content.decode()
    assert 'data-testid="surge-incident"' in page and "App outage" in page
    detail = client.get(reverse("crisis:incident", args=[incident.pk])).content.decode()
    for pk in surge_ids:
        assert reverse("inbox:conversation", args=[pk]) in detail

    # Someone of another organisation can neither link ours nor see the form's incidents.
    stranger = make_user(other_org, "admin")
    client = signed_in(stranger)
    refused = client.post(
        reverse("crisis:surge_link"), {"incident": incident.pk, "conversation": surge_ids}
    )
    assert refused.status_code == 404
    theirs = incident_open(organization=other_org, actor=stranger, title="Theirs", severity="sev3")
    refused = client.post(
        reverse("crisis:surge_link"), {"incident": theirs.pk, "conversation": surge_ids}
    )
    assert refused.status_code == 404
    assert not theirs.links.exists()
