"""The inbox over the API: list, get, reply, assign, tag, close; problem+json on bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from roost.core.api_access.tokens import token_create
from roost.core.models import Role
from roost.inbox import ingest, services
from roost.inbox.classify import classify
from roost.inbox.models import Conversation, ConversationStatus
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def api(org, channel, make_user):
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    secret = token_create(user=agent, name="bot", scopes=["inbox:read", "inbox:write"]).secret
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Where is my order?"
    )
    ingest.channel_ingest(channel=channel)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), agent


@pytest.mark.django_db
def test_list_get_reply_assign_tag_and_close(api):
    client, agent = api
    [listed] = client.get("/api/v1/inbox/conversations").json()
    # The API reports the intent the classifier gave the message, whatever it is.
    assert listed["author_handle"] == "liam"
    assert listed["intent"] == classify("Where is my order?").intent
    detail = client.get(f"/api/v1/inbox/conversations/{listed['id']}").json()
    assert detail["messages"][0]["text"] == "Where is my order?"
    sent = client.post(
        f"/api/v1/inbox/conversations/{listed['id']}/replies",
        {"text": "Today!"},
        content_type="application/json",
    )
    assert sent.status_code == 201
    assert SandboxPost.objects.filter(text="Today!").exists()
    assert (
        client.post(
            f"/api/v1/inbox/conversations/{listed['id']}/assignee",
            {"assignee_id": agent.pk},
            content_type="application/json",
        ).json()["assignee_id"]
        == agent.pk
    )
    assert client.put(
        f"/api/v1/inbox/conversations/{listed['id']}/tags",
        {"tags": ["Orders", "vip"]},
        content_type="application/json",
    ).json()["tags"] == ["orders", "vip"]
    closed = client.post(
        f"/api/v1/inbox/conversations/{listed['id']}/status",
        {"status": "closed"},
        content_type="application/json",
    )
    assert closed.json()["status"] == "closed"
    assert Conversation.objects.get().status == ConversationStatus.CLOSED


@pytest.mark.django_db
def test_bad_input_is_a_4xx_problem_and_changes_nothing(api):
    client, _ = api
    conversation = Conversation.objects.get()
    url = f"/api/v1/inbox/conversations/{conversation.pk}"
    assert (
        client.post(url + "/replies", {"text": "   "}, content_type="application/json").status_code
        == 422
    )
    assert (
        client.post(url + "/replies", data="{", content_type="application/json").status_code == 400
    )
    assert (
        client.post(
            url + "/status", {"status": "exploded"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert client.get("/api/v1/inbox/conversations/999999").status_code == 404
    assert not SandboxPost.objects.exists()
    assert Conversation.objects.get().status == ConversationStatus.OPEN


@pytest.mark.django_db
def test_snoozing_through_the_api_needs_a_time_and_sets_it(api):
    client, _ = api
    conversation = Conversation.objects.get()
    url = f"/api/v1/inbox/conversations/{conversation.pk}/status"

    missing = client.post(url, {"status": "snoozed"}, content_type="application/json")
    assert missing.status_code == 422
    assert missing["Content-Type"].startswith("application/problem+json")
    stray = client.post(
        url,
        {"status": "closed", "snoozed_until": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert stray.status_code == 422
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN

    until = (timezone.now() + dt.timedelta(hours=3)).replace(microsecond=0)
    snoozed = client.post(
        url,
        {"status": "snoozed", "snoozed_until": until.isoformat()},
        content_type="application/json",
    )
    assert snoozed.status_code == 200
    assert snoozed.json()["status"] == "snoozed"
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.SNOOZED
    assert conversation.snoozed_until == until


@pytest.mark.django_db
def test_an_api_reply_that_would_cross_anothers_is_held_until_confirmed(
    api, org, channel, make_user
):
    client, _ = api
    conversation = Conversation.objects.get()
    seen = conversation.messages.order_by("pk").last().pk
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    services.conversation_reply(actor=colleague, conversation=conversation, text="On its way.")
    url = f"/api/v1/inbox/conversations/{conversation.pk}/replies"

    held = client.post(
        url, {"text": "Today!", "seen_message_id": seen}, content_type="application/json"
    )
    assert held.status_code == 409
    assert not SandboxPost.objects.filter(text="Today!").exists()

    sent = client.post(
        url,
        {"text": "Today!", "seen_message_id": seen, "confirm": True},
        content_type="application/json",
    )
    assert sent.status_code == 201
    assert SandboxPost.objects.filter(text="Today!").count() == 1
