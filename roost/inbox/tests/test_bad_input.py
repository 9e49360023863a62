"""Bad input to the inbox is a 4xx and stores nothing; a reply is on record before it
reaches the network, and text that cannot be stored never reaches it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import Client

from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.health import connector_for
from roost.core.api_access.tokens import token_create
from roost.core.errors import ApplicationError
from roost.core.models import Role
from roost.inbox import ingest, services
from roost.inbox.models import Conversation, Direction, Message, SendState
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_inbound_add


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


class Watched:
    """The real sandbox connector; notes what Roost had recorded when the call was made."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.recorded_at_call: list[tuple[str, str]] = []

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Any:
        self.recorded_at_call = list(
            Message.objects.filter(direction=Direction.OUTBOUND).values_list(
                "external_id", "send_state"
            )
        )
        return self.real.reply(
            to_external_id=to_external_id, text=text, idempotency_key=idempotency_key
        )


@pytest.fixture
def watched(monkeypatch, channel) -> Watched:
    connector = Watched(connector_for(channel, purpose="test"))
    monkeypatch.setattr(services, "connector_for", lambda *args, **kwargs: connector)
    return connector


@pytest.mark.django_db
def test_the_reply_is_recorded_as_pending_before_the_network_is_called(
    conversation, agent, watched
):
    reply = services.conversation_reply(actor=agent, conversation=conversation, text="On its way")
    [(key, state)] = watched.recorded_at_call
    assert key.startswith("reply-") and state == SendState.PENDING
    reply.refresh_from_db()
    assert reply.send_state == SendState.SENT
    assert SandboxPost.objects.filter(external_id=reply.external_id, text="On its way").exists()


@pytest.mark.django_db
def test_a_database_failure_after_the_send_still_leaves_the_send_on_record_simulated(
    conversation, agent, watched, monkeypatch
):
    """The database write after the network call fails (simulated): the reply reached the
    network, and Roost still holds it, pending, under the key the network was given."""

    def failing_save(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("simulated: the database went away")

    monkeypatch.setattr(Conversation, "save", failing_save)
    with pytest.raises(DatabaseError):
        services.conversation_reply(actor=agent, conversation=conversation, text="Sent once")
    assert SandboxPost.objects.filter(text="Sent once").count() == 1
    [reply] = Message.objects.filter(direction=Direction.OUTBOUND)
    assert reply.send_state == SendState.PENDING
    assert reply.text == "Sent once" and reply.external_id.startswith("reply-")


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Hello\x00there", "Hello \ud800"])
def test_a_reply_with_unstorable_text_never_reaches_the_network(conversation, agent, text):
    with pytest.raises(ApplicationError) as refused:
        services.conversation_reply(actor=agent, conversation=conversation, text=text)
    assert refused.value.status == 422 and refused.value.field == "text"
    assert not SandboxPost.objects.filter(text__startswith="Hello").exists()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Hello\x00there", "Hello \ud800"])
def test_the_api_and_the_page_refuse_unstorable_replies_at_the_edge(
    conversation, agent, signed_in, text
):
    secret = token_create(user=agent, name="t", scopes=["inbox:write"]).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.post(
        f"/api/v1/inbox/conversations/{conversation.pk}/replies",
        json.dumps({"text": text}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_text"
    tags = api.put(
        f"/api/v1/inbox/conversations/{conversation.pk}/tags",
        json.dumps({"tags": ["ok", text]}),
        content_type="application/json",
    )
    assert tags.status_code == 422
    # A form cannot carry a lone surrogate (the browser's UTF-8 cannot encode one); NUL it can.
    page = signed_in(agent).post(
        f"/inbox/c/{conversation.pk}/act/", {"action": "reply", "text": "Hello\x00there"}
    )
    assert page.status_code == 422
    assert not SandboxPost.objects.filter(text__startswith="Hello").exists()
    conversation.refresh_from_db()
    assert conversation.tags == []
    search = signed_in(agent).get("/inbox/", {"q": "x\x00"})
    assert search.status_code == 422


@pytest.mark.django_db
def test_an_assignee_of_the_wrong_type_is_422_and_changes_nothing(conversation, agent):
    services.conversation_assign(actor=agent, conversation=conversation, assignee=agent)
    secret = token_create(user=agent, name="t", scopes=["inbox:write"]).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/inbox/conversations/{conversation.pk}/assignee"
    for body in ({"assignee_id": False}, {"assignee_id": "1"}, {"assignee_id": 2**64}, {}):
        response = api.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 422, (body, response.content)
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    unassigned = api.post(url, json.dumps({"assignee_id": None}), content_type="application/json")
    assert unassigned.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-01"},
    ],
)
def test_report_dates_at_the_ends_of_the_calendar_are_a_form_error(admin, signed_in, query):
    admin.time_zone = "Pacific/Kiritimati"
    admin.save(update_fields=["time_zone"])
    response = signed_in(admin).get("/inbox/reports/", query)
    assert response.status_code in (200, 400), response.status_code


@pytest.mark.django_db
def test_ids_beyond_64_bits_in_pages_are_refused_or_ignored(conversation, agent, signed_in):
    client = signed_in(agent)
    huge = str(2**64)
    pages = [
        client.get(f"/inbox/c/{conversation.pk}/thread/", {"after": huge}),
        client.post("/inbox/bulk/", {"ids": [huge], "action": "close"}),
        client.post(f"/inbox/c/{conversation.pk}/act/", {"action": "assign", "assignee": huge}),
        client.post(
            f"/inbox/c/{conversation.pk}/act/",
            {"action": "reply", "text": "Hi", "seen_message_id": huge},
        ),
        client.post(
            f"/inbox/c/{conversation.pk}/presence/", {"typing": "1", "seen_message_id": huge}
        ),
    ]
    for response in pages:
        assert response.status_code < 500, response.status_code
    conversation.refresh_from_db()
    assert conversation.status != "closed"


@pytest.mark.django_db
def test_a_fetched_message_with_unstorable_text_is_kept_with_it_replaced(channel):
    """A network's message is not refused (that would lose it): NUL and lone surrogates
    become U+FFFD, and the message is stored, on PostgreSQL too."""
    item = Inbound(
        external_id="m-\x00-1",
        kind=InboundKind.COMMENT,
        author_handle="ola\ud800",
        author_name="Ola \udfff",
        text="nul \x00 and half \ud83d of a pair, and 👍",
        created_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
    )
    assert ingest.messages_store(channel=channel, items=[item]) == 1
    stored = Message.objects.get()
    assert stored.text == "nul \ufffd and half \ufffd of a pair, and 👍"
    assert (stored.external_id, stored.author_handle) == ("m-\ufffd-1", "ola\ufffd")
    assert ingest.messages_store(channel=channel, items=[item]) == 0  # the same message again
