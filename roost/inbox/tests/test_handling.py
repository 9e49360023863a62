"""Handling a conversation: a reply reaches the network, notes stay inside, assign, close."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.inbox import ingest, services
from roost.inbox.models import Conversation, ConversationStatus, Direction, SendState
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_inbound_add, sandbox_knobs_set


@pytest.fixture
def conversation(channel):
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Where is order 123?"
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get()


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.mark.django_db
def test_a_reply_reaches_the_network_and_stops_the_first_response_clock(conversation, agent):
    reply = services.conversation_reply(
        actor=agent, conversation=conversation, text="Hi Liam, it ships today!"
    )
    assert SandboxPost.objects.filter(
        external_id=reply.external_id, text="Hi Liam, it ships today!"
    ).exists()
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    assert conversation.status == ConversationStatus.WAITING
    assert conversation.assignee == agent
    assert AuditEvent.objects.filter(action="inbox.conversation.replied", actor=agent).exists()


@pytest.mark.django_db
def test_the_networks_refusal_is_shown_and_the_reply_is_kept_as_not_sent(conversation, agent):
    sandbox_knobs_set(account=account(), fail_mode="invalid", fail_remaining=1)
    with pytest.raises(ApplicationError, match="The network refused the reply"):
        services.conversation_reply(actor=agent, conversation=conversation, text="Hello")
    [reply] = conversation.messages.filter(direction=Direction.OUTBOUND)
    assert reply.send_state == SendState.FAILED and reply.send_error
    conversation.refresh_from_db()
    assert conversation.first_response_at is None


@pytest.mark.django_db
def test_a_transient_error_is_retried_once(conversation, agent):
    sandbox_knobs_set(account=account(), fail_mode="server_error", fail_remaining=1)
    services.conversation_reply(actor=agent, conversation=conversation, text="Second try works")
    assert SandboxPost.objects.filter(text="Second try works").count() == 1


@pytest.mark.django_db
def test_a_lost_answer_is_not_resent_where_the_network_cannot_recognise_a_repeat(
    conversation, agent
):
    # X, played by the sandbox, takes no idempotency key: a resend could post twice.
    sandbox_knobs_set(account=account(), fail_mode="lose_answer", fail_remaining=1)
    with pytest.raises(ApplicationError, match="may have posted the reply"):
        services.conversation_reply(actor=agent, conversation=conversation, text="Only once")
    assert SandboxPost.objects.filter(text="Only once").count() == 1


@pytest.mark.django_db
def test_a_viewer_cannot_reply(conversation, org, make_user):
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        services.conversation_reply(actor=viewer, conversation=conversation, text="Hi")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_pages_reply_note_assign_close_and_hide_other_organisations(
    conversation, agent, signed_in, other_org, make_user
):
    client = signed_in(agent)
    page = client.get(reverse("inbox:index")).content.decode()
    assert "liam" in page
    url = reverse("inbox:act", args=[conversation.pk])
    client.post(url, {"action": "note", "text": "Checking with the warehouse"})
    client.post(url, {"action": "reply", "text": "On its way!"})
    client.post(url, {"action": "assign", "assignee": agent.pk})
    client.post(url, {"action": "close"})
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    directions = list(conversation.messages.values_list("direction", flat=True))
    assert directions == [Direction.INBOUND, Direction.NOTE, Direction.OUTBOUND]
    assert not SandboxPost.objects.filter(text="Checking with the warehouse").exists()
    stranger = make_user(other_org, Role.ADMIN)
    assert (
        signed_in(stranger).get(reverse("inbox:conversation", args=[conversation.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_a_new_message_reopens_a_closed_conversation(channel, conversation, agent):
    services.conversation_status_set(
        actor=agent, conversation=conversation, status=ConversationStatus.CLOSED
    )
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="One more thing"
    )
    ingest.channel_ingest(channel=channel)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
