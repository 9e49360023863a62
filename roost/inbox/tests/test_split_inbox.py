"""The split inbox: what needs a person comes first (and the order can be switched), each
queue shows its count, a conversation opens beside the queue (a whole page without
JavaScript, the pane alone for HTMX), "send and open next" lands on the next one, and it
costs a fixed number of queries however big the inbox grows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.models import Role, Team
from roost.inbox import selectors
from roost.inbox.filters import Queue, Sort, filter_from_query
from roost.inbox.models import Conversation, ConversationStatus
from roost.inbox.tests.test_bulk import receive
from roost.inbox.tests.test_query_counts import add_conversations, add_messages

Capture = Callable[..., Any]
# What the split inbox costs. A change here should be a decision, not an accident.
SPLIT_QUEUE_QUERIES = 7
SPLIT_OPEN_QUERIES = 14  # with who else has the conversation open


def row_ids(response: Any) -> list[int]:
    assert response.status_code == 200
    return [
        int(i)
        for i in re.findall(r'class="split-row[^"]*" data-id="(\d+)"', response.content.decode())
    ]


def make(channel, *, author: str, minutes_ago: int, **fields: Any) -> Conversation:
    (conversation,) = add_conversations(channel, count=1, author=author)
    fields["last_message_at"] = timezone.now() - dt.timedelta(minutes=minutes_ago)
    fields.setdefault("sla_state", "")
    fields.setdefault("sla_due_at", None)
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    return conversation


@pytest.fixture
def agent(org, channel, make_user):
    return make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)


@pytest.fixture
def mixed(channel):
    """Five open conversations, newest first: each needs a person to a different degree."""
    now = timezone.now()
    return {
        "plain_new": make(channel, author="plain_new", minutes_ago=1),
        "urgent": make(channel, author="urgent", minutes_ago=2, priority="urgent"),
        "due_later": make(
            channel, author="due_later", minutes_ago=3, sla_state="ok",
            sla_due_at=now + dt.timedelta(hours=5),
        ),
        "due_soon": make(
            channel, author="due_soon", minutes_ago=4, sla_state="warning",
            sla_due_at=now + dt.timedelta(minutes=20),
        ),
        "breached": make(
            channel, author="breached", minutes_ago=5, sla_state="breached",
            sla_due_at=now - dt.timedelta(minutes=10),
        ),
        "plain_old": make(channel, author="plain_old", minutes_ago=90),
    }  # fmt: skip


@pytest.mark.django_db
def test_the_default_order_puts_what_needs_a_person_first(mixed, agent, signed_in):
    expected = ["breached", "due_soon", "due_later", "urgent", "plain_old", "plain_new"]
    response = signed_in(agent).get(reverse("inbox:split"))
    assert row_ids(response) == [mixed[name].pk for name in expected]
    # The table view follows the same default order.
    table = signed_in(agent).get(reverse("inbox:index")).content.decode()
    shown = re.findall(r'class="conversation-row" data-href="[^"]*" data-id="(\d+)"', table)
    assert [int(i) for i in shown] == [mixed[name].pk for name in expected]


@pytest.mark.django_db
def test_the_order_can_be_switched_to_newest_or_oldest(mixed, agent, signed_in):
    by_age = sorted(mixed.values(), key=lambda c: Conversation.objects.get(pk=c.pk).last_message_at)
    client = signed_in(agent)
    newest = row_ids(client.get(reverse("inbox:split") + "?sort=newest"))
    oldest = row_ids(client.get(reverse("inbox:split") + "?sort=oldest"))
    assert oldest == [c.pk for c in by_age]
    assert newest == [c.pk for c in reversed(by_age)]
    # An unknown order falls back to the default instead of failing.
    assert filter_from_query({"sort": "sideways"}).sort is Sort.NEEDS
    assert filter_from_query({"sort": "newest"}).as_query() == {"queue": "all", "sort": "newest"}
    assert filter_from_query({}).as_query() == {"queue": "all"}  # saved filters still match


@pytest.mark.django_db
def test_each_queue_shows_its_count_and_the_active_one_is_marked(
    org, channel, agent, make_user, other_org, signed_in
):
    team = Team.objects.create(organization=org, name="EMEA")
    team.members.add(agent)
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    add_conversations(channel, count=2, assignees=[agent], team=team)  # mine, team
    add_conversations(channel, count=3, assignees=[colleague])
    add_conversations(channel, count=4)  # unassigned
    add_conversations(channel, count=1, sla_state="breached")  # unassigned, breaching
    add_conversations(channel, count=2, status=ConversationStatus.SNOOZED)
    add_conversations(channel, count=5, status=ConversationStatus.CLOSED, assignees=[agent])
    outsider = make_user(other_org, Role.ADMIN)

    counts = selectors.queue_counts(viewer=agent)
    assert counts == {
        Queue.MINE: 2,
        Queue.TEAM: 2,
        Queue.UNASSIGNED: 5,
        Queue.BREACHING: 1,
        Queue.ALL: 10,
        Queue.SNOOZED: 2,
    }
    # Each count is the length of its queue.
    for queue, count in counts.items():
        assert selectors.conversation_list(viewer=agent, queue=queue).count() == count
    assert set(selectors.queue_counts(viewer=outsider).values()) == {0}

    body = signed_in(agent).get(reverse("inbox:split") + "?queue=unassigned").content.decode()
    current = re.findall(r'<a href="[^"]*queue=(\w+)[^"]*" aria-current="page">', body)
    assert current == ["unassigned"]
    assert re.search(r'queue=unassigned"[^>]*>Unassigned <span class="queue-count">5</span>', body)
    assert 'Mine <span class="queue-count">2</span>' in body


@pytest.mark.django_db
def test_a_conversation_opens_beside_the_queue_with_the_authors_details(channel, agent, signed_in):
    first, _second = add_conversations(channel, count=2, author="")
    add_conversations(channel, count=2, author=first.author_handle)  # earlier conversations
    first.messages.filter(direction="inbound").update(author_followers=64500)
    Conversation.objects.filter(pk=first.pk).update(vip=True)
    client = signed_in(agent)
    url = reverse("inbox:split_conversation", args=[first.pk])

    whole = client.get(url).content.decode()
    assert 'id="split-list"' in whole and 'id="split-detail"' in whole  # no JavaScript needed
    assert re.search(
        rf'data-id="{first.pk}">\s*<a class="split-row-link"[^>]*aria-current="true"', whole
    )
    assert "64,500" in whole and "<dt>VIP</dt><dd>Yes" in whole
    assert whole.count('<li><a href="/inbox/work/') >= 2  # earlier conversations

    pane = client.get(url, headers={"HX-Request": "true", "HX-Target": "split-detail"})
    body = pane.content.decode()
    assert 'id="split-list"' not in body and "<html" not in body
    assert f'data-conversation-id="{first.pk}"' in body


@pytest.mark.django_db
def test_the_polled_list_is_a_cacheable_get(channel, agent, signed_in):
    add_conversations(channel, count=2)
    client = signed_in(agent)
    assert client.post(reverse("inbox:split_list")).status_code == 405
    response = client.get(reverse("inbox:split_list") + "?queue=all")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert len(row_ids(response)) == 2
    # The counts come with it, swapped into the queue list above the rows.
    assert 'id="split-queues" class="split-queues" aria-label="Queues" hx-swap-oob="true"' in body
    assert 'All open <span class="queue-count">2</span>' in body


@pytest.mark.django_db
def test_the_polled_list_is_304_until_a_row_or_a_count_changes(
    channel, agent, make_user, signed_in
):
    (first,) = add_conversations(channel, count=1)
    client = signed_in(agent)
    url = reverse("inbox:split_list") + "?queue=all"
    hx = {"HX-Request": "true"}
    answer = client.get(url, headers=hx)
    assert answer.status_code == 200 and row_ids(answer) == [first.pk]
    etag = answer["ETag"]
    assert "no-cache" in answer["Cache-Control"] and "private" in answer["Cache-Control"]
    unchanged = client.get(url, headers=hx | {"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")

    # One person's answer never matches another's page, even for the same rows.
    colleague = signed_in(make_user(agent.organization, Role.COMMUNITY_MANAGER,
                                    channel_group=channel.channel_group))  # fmt: skip
    assert colleague.get(url, headers=hx | {"If-None-Match": etag}).status_code == 200

    # A row that changes (assigned), then a new row, each bring the list again.
    Conversation.objects.filter(pk=first.pk).update(assignee=agent)
    assigned = client.get(url, headers=hx | {"If-None-Match": etag})
    assert assigned.status_code == 200 and agent.name in assigned.content.decode()
    etag = assigned["ETag"]
    (second,) = add_conversations(channel, count=1)
    arrived = client.get(url, headers=hx | {"If-None-Match": etag})
    assert arrived.status_code == 200 and second.pk in row_ids(arrived)

    # Without HTMX (a whole answer), no conditional answer.
    plain = client.get(url, headers={"If-None-Match": arrived["ETag"]})
    assert plain.status_code == 200


@pytest.mark.django_db
def test_send_and_open_next_lands_on_the_next_conversation_of_the_queue(channel, agent, signed_in):
    # Received through the sandbox network, so a reply can go back to it.
    _ava, ben, cid = (receive(channel, name) for name in ("ava", "ben", "cid"))
    second, third = cid, ben  # newest first: cid, ben, ava
    client = signed_in(agent)
    page = client.get(reverse("inbox:split_conversation", args=[second.pk]) + "?sort=newest")
    assert f'name="next_id" value="{third.pk}"' in page.content.decode()

    act = reverse("inbox:act", args=[second.pk])
    response = client.post(
        act + "?then=next",
        {"action": "reply", "text": "Thanks!", "view": "split", "back": "sort=newest",
         "next_id": str(third.pk)},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("inbox:split_conversation", args=[third.pk]) + "?queue=all&sort=newest"
    )
    assert second.messages.filter(direction="outbound", text="Thanks!").exists()
    # A plain "Send reply" stays on the conversation, in the split inbox.
    again = client.post(act, {"action": "note", "text": "noted", "view": "split", "back": ""})
    assert again["Location"] == reverse("inbox:split_conversation", args=[second.pk]) + "?queue=all"


@pytest.mark.django_db
def test_another_organisation_cannot_open_a_conversation_in_the_split_inbox(
    channel, other_org, make_user, signed_in
):
    (conversation,) = add_conversations(channel, count=1)
    outsider = make_user(other_org, Role.ADMIN)
    client = signed_in(outsider)
    assert (
        client.get(reverse("inbox:split_conversation", args=[conversation.pk])).status_code == 404
    )
    assert row_ids(client.get(reverse("inbox:split"))) == []


def _signed_in_agent(signed_in: Callable[..., Any], agent: Any) -> Any:
    client = signed_in(agent)
    client.get(reverse("inbox:split"))  # the session's first request writes "last seen"
    return client


@pytest.mark.django_db
def test_the_split_queue_costs_the_same_queries_for_3_or_60_conversations(
    channel, agent, signed_in, django_assert_num_queries: Capture
):
    add_conversations(channel, count=3, assignees=[agent], sla_state="warning")
    client = _signed_in_agent(signed_in, agent)
    with django_assert_num_queries(SPLIT_QUEUE_QUERIES):
        assert len(row_ids(client.get(reverse("inbox:split")))) == 3

    add_conversations(channel, count=30, assignees=[agent], sla_state="breached")
    add_conversations(channel, count=27)
    with django_assert_num_queries(SPLIT_QUEUE_QUERIES):
        assert len(row_ids(client.get(reverse("inbox:split")))) == 50


@pytest.mark.django_db
def test_the_split_inbox_with_a_conversation_open_costs_the_same_queries_small_or_big(
    channel, agent, signed_in, django_assert_num_queries: Capture
):
    (conversation,) = add_conversations(channel, count=1, assignees=[agent])
    add_conversations(channel, count=2, author=conversation.author_handle)
    client = _signed_in_agent(signed_in, agent)
    url = reverse("inbox:split_conversation", args=[conversation.pk])
    with django_assert_num_queries(SPLIT_OPEN_QUERIES):
        assert client.get(url).status_code == 200

    add_messages(conversation, count=40, agents=[agent])
    add_conversations(channel, count=60, assignees=[agent])
    add_conversations(channel, count=12, author=conversation.author_handle)
    with django_assert_num_queries(SPLIT_OPEN_QUERIES):
        body = client.get(url).content.decode()
    assert body.count("message-item") == 42
