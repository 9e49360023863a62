"""Where pages come from: an urgent incident, and the periodic scan's three troubles."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.channels import services as channel_services
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import AuditEvent, ChannelGroup
from roost.core.notifications import notify
from roost.crisis.models import TimelineEntry
from roost.crisis.services import incident_open
from roost.inbox.models import Conversation, InboxIdentity
from roost.oncall.models import Page, PageNotification
from roost.oncall.paging.services import page_acknowledge
from roost.oncall.paging.sources import (
    campaign_failures_page,
    revoked_credentials_page,
    sla_breaches_page,
)
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)
from roost.oncall.tests.paging_fixtures import START
from roost.publishing.models import Attempt, Campaign, Post, Variant, VariantState

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org, admin, lead):
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    return channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme",
        channel_group=group, primary_owner=lead,
    )  # fmt: skip


def test_an_urgent_incident_raises_one_page_and_its_timeline_shows_it(
    org, lead, responders, policy, clock
):
    incident = incident_open(organization=org, actor=lead, title="Recall rumour", severity="sev1")
    page = Page.objects.get()
    assert page.incident == incident and page.dedup_key == f"crisis.incident:{incident.pk}"
    assert PageNotification.objects.filter(page=page).count() == 1
    # Later urgent news about the same incident raises no second page.
    notify(
        organization=org, recipients=[lead], subject="Still bad", body="", urgency="urgent",
        source=incident,
    )  # fmt: skip
    assert Page.objects.count() == 1
    page_acknowledge(actor=responders[0], page=page)
    texts = list(TimelineEntry.objects.filter(incident=incident).values_list("text", flat=True))
    assert any("raised" in t for t in texts)
    assert any("step 1 told" in t for t in texts)
    assert any("acknowledged by" in t for t in texts)


def test_a_minor_incident_pages_nobody(org, lead, responders, policy, clock):
    incident_open(organization=org, actor=lead, title="Small thing", severity="sev4")
    assert not Page.objects.exists()


def _conversation(org, channel, **fields) -> Conversation:
    identity = InboxIdentity.objects.for_channel(channel)
    n = Conversation.objects.count()
    return Conversation.objects.create(
        organization=org, identity=identity, channel=channel, key=f"k{n}", kind="mention",
        author_handle=f"@someone{n}", **fields,
    )  # fmt: skip


def test_sla_breaches_on_vip_or_urgent_conversations_page_once(
    org, lead, responders, policy, clock, channel
):
    due = START - dt.timedelta(minutes=3)
    vip = _conversation(org, channel, vip=True, sla_state="breached", sla_due_at=due)
    urgent = _conversation(org, channel, priority="urgent", sla_state="breached", sla_due_at=due)
    _conversation(org, channel, sla_state="breached", sla_due_at=due)  # neither: no page
    _conversation(org, channel, vip=True, sla_state="warning", sla_due_at=START)  # not yet

    sla_breaches_page()
    sla_breaches_page()
    assert sorted(Page.objects.values_list("source_id", flat=True)) == sorted(
        [str(vip.pk), str(urgent.pk)]
    )


def test_failed_or_unconfirmed_campaign_posts_page_once(
    org, lead, responders, policy, clock, channel
):
    campaign = Campaign.objects.create(organization=org, name="Launch", created_by=lead)
    variants = []
    for n, (state, in_campaign) in enumerate(
        [
            (VariantState.FAILED, True),
            (VariantState.UNCONFIRMED, True),
            (VariantState.FAILED, False),
        ]
    ):
        post = Post.objects.create(
            organization=org, author=lead, master_text=f"Post {n}",
            campaign=campaign if in_campaign else None,
        )  # fmt: skip
        variant = Variant.objects.create(
            organization=org, post=post, channel=channel, state=state, idempotency_key=f"key-{n}"
        )
        failed = state == VariantState.FAILED
        Attempt.objects.create(
            organization=org, variant=variant, worker="w",
            started_at=START - dt.timedelta(minutes=2), finished_at=START - dt.timedelta(minutes=1),
            error="The network said no",
            outcome=Attempt.Outcome.FAILED if failed else Attempt.Outcome.UNCONFIRMED,
        )  # fmt: skip
        variants.append(variant)
    campaign_failures_page()
    campaign_failures_page()
    assert sorted(Page.objects.values_list("source_id", flat=True)) == sorted(
        [str(variants[0].pk), str(variants[1].pk)]
    )
    assert all("Launch" in title for title in Page.objects.values_list("title", flat=True))


def test_a_refused_credential_pages_once_per_failure(org, lead, responders, policy, clock, channel):
    audit.record(
        organization=org, actor=SYSTEM, action="channels.health.failing", target=channel,
        after={"error": "CredentialRevoked: Bluesky refused the app password."},
    )  # fmt: skip
    audit.record(
        organization=org, actor=SYSTEM, action="channels.health.failing", target=channel,
        after={"error": "RateLimited: slow down"},
    )  # fmt: skip
    revoked_credentials_page()
    revoked_credentials_page()
    page = Page.objects.get()
    assert page.source_type == "channels.channel" and page.source_id == str(channel.pk)
    assert "acme" in page.title


def test_an_organisation_without_a_default_policy_is_not_paged(org, lead, clock, channel):
    _conversation(org, channel, vip=True, sla_state="breached", sla_due_at=START)
    sla_breaches_page()
    assert not Page.objects.exists()
    assert AuditEvent.objects.filter(action="oncall.page.raised").count() == 0


def test_a_page_is_raised_by_hand_from_the_form(org, lead, responders, policy, clock, signed_in):
    client = signed_in(lead)
    response = client.post(
        "/oncall/pages/new/", {"title": "Check the Instagram DMs", "urgency": "normal"}
    )
    page = Page.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/oncall/pages/{page.pk}/"
    assert page.urgency == "normal" and page.raised_by == lead
    refused = client.post("/oncall/pages/new/", {"title": "  "})
    assert refused.status_code == 422 and Page.objects.count() == 1
