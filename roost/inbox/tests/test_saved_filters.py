"""Saved filters: a person's named queue views, beside the built-in queues, theirs alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.inbox import ingest
from roost.inbox.filters import ConversationFilter, filter_from_query
from roost.inbox.models import Conversation, SavedFilter
from roost.inbox.saved_filters import saved_filter_create, saved_filter_delete
from roost.inbox.selectors import Queue
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ConversationFilter()),
        (
            {"queue": "mine", "q": " refund ", "status": "waiting", "priority": "high"},
            ConversationFilter(Queue.MINE, "refund", "waiting", "high"),
        ),
        ({"queue": "nonsense", "status": "closed", "priority": "meh"}, ConversationFilter()),
        ({"queue": ["mine"], "q": 42, "extra": "x"}, ConversationFilter()),
        ({"q": "x" * 500}, ConversationFilter(search="x" * 200)),
    ],
)
def test_filters_keep_what_they_know_and_drop_the_rest(query, expected):
    assert filter_from_query(query) == expected


def test_a_filter_as_a_query_names_only_what_is_set():
    assert ConversationFilter(Queue.TEAM, search="late").as_query() == {
        "queue": "team",
        "q": "late",
    }
    assert ConversationFilter(priority="urgent").urlencode() == "queue=all&priority=urgent"


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


def receive(channel, author, text):
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle=author, text=text)
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(author_handle=author)


@pytest.mark.django_db
def test_saving_listing_and_deleting_a_filter_on_the_page(channel, agent, signed_in):
    urgent = receive(channel, "liam", "Where is my refund?")
    calm = receive(channel, "emma", "Where is my refund, no rush")
    Conversation.objects.filter(pk=urgent.pk).update(priority="urgent")
    Conversation.objects.filter(pk=calm.pk).update(priority="low")
    client = signed_in(agent)
    response = client.post(
        reverse("inbox:saved_filter_add"),
        {"name": "Urgent refunds", "queue": "all", "q": "refund", "priority": "urgent", "x": "1"},
    )
    saved = SavedFilter.objects.get()
    assert saved.query == {"queue": "all", "q": "refund", "priority": "urgent"}
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Urgent refunds" in page
    assert 'aria-current="page">Urgent refunds' in page
    assert ">liam</a>" in page
    assert ">emma</a>" not in page
    assert AuditEvent.objects.filter(action="inbox.saved_filter.created", actor=agent).exists()
    client.post(reverse("inbox:saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()
    page = client.get(reverse("inbox:index")).content.decode()
    assert "Deleted the filter “Urgent refunds”." in page
    assert 'aria-label="Saved filters"' not in page
    assert AuditEvent.objects.filter(action="inbox.saved_filter.deleted", actor=agent).exists()


@pytest.mark.django_db
def test_a_filter_is_its_owners_alone(agent, org, channel, make_user, signed_in, other_org):
    saved = saved_filter_create(actor=agent, name="Mine to keep", query={"queue": "mine"})
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    client = signed_in(colleague)
    assert "Mine to keep" not in client.get(reverse("inbox:index")).content.decode()
    assert client.post(reverse("inbox:saved_filter_delete", args=[saved.pk])).status_code == 404
    with pytest.raises(ApplicationError) as refused:
        saved_filter_delete(actor=colleague, saved_filter=saved)
    assert refused.value.code is ErrorCode.NOT_FOUND
    stranger = make_user(other_org, Role.ADMIN)
    response = signed_in(stranger).post(reverse("inbox:saved_filter_delete", args=[saved.pk]))
    assert response.status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the filter a name."),
        ("   ", "Give the filter a name."),
        ("x" * 81, "A name is at most 80 characters."),
        ("MY QUEUE", "You already have a filter called"),
    ],
)
def test_bad_names_are_refused_with_a_4xx_and_nothing_saved(agent, signed_in, name, message):
    saved_filter_create(actor=agent, name="My queue", query={})
    response = signed_in(agent).post(
        reverse("inbox:saved_filter_add"), {"name": name, "queue": "closed"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert SavedFilter.objects.count() == 1


@pytest.mark.django_db
def test_the_same_name_may_be_used_by_another_person(agent, org, channel, make_user):
    saved_filter_create(actor=agent, name="Refunds", query={"q": "refund"})
    colleague = make_user(org, Role.VIEWER, channel_group=channel.channel_group)
    saved_filter_create(actor=colleague, name="Refunds", query={"q": "refund"})
    assert SavedFilter.objects.filter(name="Refunds").count() == 2


@pytest.mark.django_db
def test_someone_without_an_inbox_cannot_save_one(org, make_user):
    with pytest.raises(ApplicationError) as refused:
        saved_filter_create(actor=make_user(org, role=None), name="Nothing", query={})
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_status_and_priority_filters_narrow_the_queue(channel, agent, signed_in):
    waiting = receive(channel, "liam", "One")
    receive(channel, "emma", "Two")
    Conversation.objects.filter(pk=waiting.pk).update(status="waiting", priority="high")
    client = signed_in(agent)
    page = client.get(reverse("inbox:index"), {"status": "waiting"}).content.decode()
    assert ">liam</a>" in page
    assert ">emma</a>" not in page
    page = client.get(reverse("inbox:index"), {"priority": "normal"}).content.decode()
    assert ">emma</a>" in page
    assert ">liam</a>" not in page
    # Unknown values are ignored rather than failing.
    page = client.get(reverse("inbox:index"), {"status": "bogus", "queue": "??"})
    assert page.status_code == 200
    assert ">liam</a>" in page.content.decode()
