"""The queue's poll every ten seconds: 304 Not Modified while nothing the rows show has
changed, the rows again as soon as something has, and never one person's 304 for another.

The requests are what htmx sends (HX-Request), with the If-None-Match the browser adds
from the answer it kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from roost.core.models import Role, User
from roost.inbox import ingest, services
from roost.inbox.models import Conversation
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

Capture = Callable[..., Any]
QUEUE = reverse("inbox:index") + "?queue=all"
HTMX = {"HTTP_HX_REQUEST": "true"}
# A poll that finds nothing new: session, person with organisation (second factor), grants,
# the rows' count and columns; no template, no saved filters, no people. A change here
# should be a decision.
NOT_MODIFIED_QUERIES = 5


def message_arrives(channel: Any, author: str, text: str) -> None:
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle=author, text=text)
    ingest.channel_ingest(channel=channel)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.get(QUEUE)  # the first request of a session also records when it was seen
    return client


@pytest.fixture
def agent(org, channel, make_user) -> User:
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.mark.django_db
def test_nothing_new_is_304_and_a_new_message_is_the_rows_again(channel, agent):
    message_arrives(channel, "ava", "Where is my order?")
    client = client_for(agent)
    first = client.get(QUEUE, **HTMX)
    assert first.status_code == 200
    assert "ava" in first.content.decode()
    etag = first["ETag"]
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert "HX-Request" in first["Vary"]

    again = client.get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    message_arrives(channel, "bob", "My parcel is late")
    changed = client.get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert changed.status_code == 200
    assert "bob" in changed.content.decode()
    assert changed["ETag"] != etag


@pytest.mark.django_db
def test_a_change_to_a_row_without_a_new_message_is_the_rows_again(channel, agent, admin):
    message_arrives(channel, "ava", "Where is my order?")
    client = client_for(agent)
    etag = client.get(QUEUE, **HTMX)["ETag"]
    conversation = Conversation.objects.get(author_handle="ava")
    services.conversation_assign(actor=admin, conversation=conversation, assignee=agent)
    changed = client.get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert changed.status_code == 200
    assert agent.name in changed.content.decode()


@pytest.mark.django_db
def test_another_person_never_gets_a_304_from_someone_elses_etag(channel, agent, make_user, org):
    """Same organisation, same channel group, same queue, same rows: still their own page."""
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    message_arrives(channel, "ava", "Where is my order?")
    etag = client_for(agent).get(QUEUE, **HTMX)["ETag"]
    theirs = client_for(colleague).get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert theirs.status_code == 200
    assert "ava" in theirs.content.decode()
    assert theirs["ETag"] != etag


@pytest.mark.django_db
def test_a_person_of_another_organisation_never_gets_a_304(channel, agent, other_org, make_user):
    outsider = make_user(other_org, Role.COMMUNITY_MANAGER)
    message_arrives(channel, "ava", "Where is my order?")
    etag = client_for(agent).get(QUEUE, **HTMX)["ETag"]
    theirs = client_for(outsider).get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert theirs.status_code == 200
    assert "ava" not in theirs.content.decode()


@pytest.mark.django_db
def test_the_whole_page_is_never_answered_304(channel, agent):
    """A full page carries one-off messages and a form token: it is always rendered."""
    message_arrives(channel, "ava", "Where is my order?")
    client = client_for(agent)
    etag = client.get(QUEUE, **HTMX)["ETag"]
    page = client.get(QUEUE, HTTP_IF_NONE_MATCH=etag)
    assert page.status_code == 200
    assert "ETag" not in page


@pytest.mark.django_db
def test_a_poll_that_finds_nothing_new_costs_few_queries_however_big_the_queue(
    channel, agent, django_assert_num_queries: Capture
):
    from roost.inbox.tests.test_query_counts import add_conversations

    message_arrives(channel, "ava", "Where is my order?")
    client = client_for(agent)
    etag = client.get(QUEUE, **HTMX)["ETag"]
    with django_assert_num_queries(NOT_MODIFIED_QUERIES):
        assert client.get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX).status_code == 304

    add_conversations(channel, count=60)
    etag = client.get(QUEUE, **HTMX)["ETag"]
    with django_assert_num_queries(NOT_MODIFIED_QUERIES):
        assert client.get(QUEUE, HTTP_IF_NONE_MATCH=etag, **HTMX).status_code == 304
