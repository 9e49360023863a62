"""SLA policies on real conversations: timers, the warning, the breach alert, the pause."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from roost.core.models import Role
from roost.core.notifications.models import Notification
from roost.core.services import team_create, team_lead_set
from roost.inbox import ingest, services
from roost.inbox.models import Conversation, ConversationStatus, SlaPolicy
from roost.inbox.selectors import Queue, conversation_list
from roost.inbox.sla.clocks import SlaState
from roost.inbox.sla.services import conversation_sla, conversation_sla_refresh, policy_for
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def conversation(org, channel, make_user):
    SlaPolicy.objects.create(
        organization=org, name="Fast", first_response_minutes=60, resolution_minutes=240
    )
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Help?"
    )
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get()
    conversation.assignee = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group
    )
    conversation.save(update_fields=["assignee"])
    return conversation


def at(conversation, minutes):
    return conversation.first_message_at + dt.timedelta(minutes=minutes)


@pytest.mark.django_db
def test_a_breach_reaches_the_assignee_and_the_team_lead_a_warning_only_the_assignee(
    conversation, org, admin, make_user, django_capture_on_commit_callbacks
):
    team = team_create(organization=org, actor=admin, name="Support EMEA")
    lead = make_user(org, Role.MANAGER, email="lead@example.com")
    team_lead_set(team=team, actor=admin, lead=lead)
    conversation.team = team
    conversation.save(update_fields=["team"])

    with django_capture_on_commit_callbacks(execute=True):
        conversation_sla_refresh(conversation=conversation, now=at(conversation, 50))
        conversation_sla_refresh(conversation=conversation, now=at(conversation, 61))

    # A mail to each person: the warning to the assignee, the breach to both.
    warning, *breach = mail.outbox
    assert "close to" in warning.subject
    assert warning.to == [conversation.assignee.email]
    assert all("has breached" in m.subject for m in breach)
    assert sorted(a for m in breach for a in m.to) == sorted(
        [conversation.assignee.email, "lead@example.com"]
    )
    # In Roost too, with the conversation to open.
    told = Notification.objects.get(recipient=lead)
    assert "has breached" in told.subject
    assert told.url == reverse("inbox:conversation", args=[conversation.pk])


@pytest.mark.django_db
def test_timer_warns_at_75_percent_and_alerts_on_breach_once(
    conversation, django_capture_on_commit_callbacks
):
    assert (
        conversation_sla_refresh(conversation=conversation, now=at(conversation, 30)).state
        == SlaState.OK
    )
    with django_capture_on_commit_callbacks(execute=True):
        warned = conversation_sla_refresh(conversation=conversation, now=at(conversation, 50))
    assert warned.state == SlaState.WARNING
    assert len(mail.outbox) == 1 and "close to" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        conversation_sla_refresh(conversation=conversation, now=at(conversation, 55))
        breached = conversation_sla_refresh(conversation=conversation, now=at(conversation, 61))
    assert breached.state == SlaState.BREACHED
    assert len(mail.outbox) == 2 and "breached" in mail.outbox[1].subject
    viewer = conversation.assignee
    assert list(conversation_list(viewer=viewer, queue=Queue.BREACHING)) == [conversation]


@pytest.mark.django_db
def test_a_reply_meets_the_first_response_target_and_waiting_pauses_resolution(conversation):
    services.conversation_reply(
        actor=conversation.assignee, conversation=conversation, text="On it"
    )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.WAITING
    status = conversation_sla(
        conversation, now=conversation.first_response_at + dt.timedelta(hours=10)
    )
    assert status.first_response.met is True
    assert status.resolution.paused  # waiting on the customer stops the resolution clock
    assert status.resolution.state == SlaState.OK


@pytest.mark.django_db
def test_the_most_specific_policy_wins(org, conversation):
    SlaPolicy.objects.create(
        organization=org,
        name="This channel",
        channel=conversation.channel,
        first_response_minutes=15,
    )
    assert policy_for(conversation).name == "This channel"


@pytest.mark.django_db
def test_the_queue_and_the_conversation_show_the_countdown(conversation, signed_in):
    conversation_sla_refresh(conversation=conversation, now=at(conversation, 0))
    client = signed_in(conversation.assignee)

    queue = client.get(reverse("inbox:index")).content.decode()
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()

    for html in (queue, page):
        assert "due in " in html or "overdue by " in html
    assert f'href="{reverse("inbox:conversation", args=[conversation.pk])}"' in queue
