"""Ingestion: at-least-once fetching, exactly-once storage, threading into conversations."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from django.db import DataError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.models import Channel
from roost.core.models import AuditEvent, ChannelGroup, Role, Team
from roost.inbox import ingest
from roost.inbox.models import (
    AssignmentMode,
    Conversation,
    ConversationStatus,
    InboxCursor,
    Message,
    RoutingRule,
)
from roost.inbox.tests.conftest import account
from roost.sandbox.models import SandboxInbound
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.django_db
def test_messages_thread_into_conversations_and_are_stored_once(channel):
    comment = sandbox_inbound_add(
        account=account(),
        kind="comment",
        author_handle="ola",
        text="Kiedy dostawa?",
        parent_external_id="",
    )
    sandbox_inbound_add(
        account=account(),
        kind="reply",
        author_handle="ola",
        text="Halo?",
        parent_external_id=comment.external_id,
    )
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Hi, order 123?"
    )
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="liam", text="Anyone there?"
    )
    sandbox_inbound_add(
        account=account(), kind="mention", author_handle="mia", text="@acme love it"
    )
    result = ingest.channel_ingest(channel=channel)
    assert (result.fetched, result.stored) == (5, 5)
    assert Message.objects.count() == 5
    conversations = {c.key: c.messages.count() for c in Conversation.objects.all()}
    assert conversations[f"mention:{comment.external_id}"] == 2  # the reply joined its parent
    assert conversations["dm:liam"] == 2  # one conversation per author and channel
    assert len(conversations) == 3
    again = ingest.channel_ingest(channel=channel)
    assert again.stored == 0 and Message.objects.count() == 5
    assert InboxCursor.objects.get(channel=channel).cursor


@pytest.mark.django_db
def test_a_crash_before_commit_keeps_the_cursor_so_nothing_is_lost(channel, monkeypatch):
    for n in range(3):
        sandbox_inbound_add(account=account(), kind="mention", author_handle=f"fan{n}", text="hi")
    real = ingest.messages_store

    def crash(**kwargs):
        real(**kwargs)
        raise RuntimeError("worker died before commit")

    monkeypatch.setattr(ingest, "messages_store", crash)
    with pytest.raises(RuntimeError):
        ingest.channel_ingest(channel=channel)
    assert Message.objects.count() == 0
    assert InboxCursor.objects.get(channel=channel).cursor == ""
    monkeypatch.setattr(ingest, "messages_store", real)
    assert ingest.channel_ingest(channel=channel).stored == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_ingesting_the_same_batch_on_postgres_store_each_message_once(channel):
    for n in range(120):
        sandbox_inbound_add(
            account=account(),
            kind="comment",
            author_handle=f"fan{n % 7}",
            text=f"Q {n}?",
            parent_external_id=f"post{n % 5}",
        )
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(ingest.channel_ingest(channel=channel))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Message.objects.count() == 120
    assert sum(r.stored for r in results) == 120
    assert Conversation.objects.count() == 35  # 5 posts x 7 authors


@pytest.mark.django_db
def test_messages_are_classified_on_arrival(channel):
    sandbox_inbound_add(
        account=account(),
        kind="direct_message",
        author_handle="kasia",
        text="Zamówienie spóźnia się już dwa tygodnie, nikt nie odpowiada. Jestem wściekła!",
    )
    ingest.channel_ingest(channel=channel)
    message = Message.objects.get()
    assert (message.language, message.sentiment, message.intent) == ("pl", "negative", "complaint")
    conversation = message.conversation
    conversation.refresh_from_db()
    assert conversation.priority in ("high", "urgent")
    assert conversation.intent == "complaint"


# Batches: what one call to messages_store does with many items --------------------------

BASE_TIME = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def inbound(kind="direct_message", author="ola", text="Hello?", parent="", at=None):
    n = next(_ids)
    return Inbound(
        external_id=f"x{n}",
        kind=InboundKind(kind),
        author_handle=author,
        text=text,
        created_at=at or BASE_TIME + dt.timedelta(minutes=n),
        parent_external_id=parent,
    )


def store(channel, items):
    with transaction.atomic():
        return ingest.messages_store(channel=channel, items=items)


def events_of(conversation):
    return list(conversation.events.order_by("at", "pk").values_list("kind", flat=True))


@pytest.fixture
def routed_team(org, channel, make_user):
    """A rule sending refunds to a team of two, round robin."""
    team = Team.objects.create(organization=org, name="Billing")
    for _ in range(2):
        team.members.add(
            make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
        )
    RoutingRule.objects.create(
        organization=org, name="Refunds", keyword="refund", team=team,
        assignment=AssignmentMode.ROUND_ROBIN, tags=["billing"],
    )  # fmt: skip
    return team


def mixed_batch(channel, size):
    """`size` conversations continued, `size` opened (half of them about a refund), and a
    redelivered message: the same shape at any size."""
    ongoing = [inbound(author=f"old{size}-{n}") for n in range(size)]
    store(channel, ongoing)
    items = [inbound(author=f"old{size}-{n}", text="Still there?") for n in range(size)]
    items += [
        inbound(author=f"new{size}-{n}", text="I want a refund" if n % 2 else "Hi")
        for n in range(size)
    ]
    return [*items, ongoing[0]]


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_4_or_36_messages(channel, routed_team):
    small, large = mixed_batch(channel, 2), mixed_batch(channel, 18)
    with CaptureQueriesContext(connection) as small_queries:
        assert store(channel, small) == 4
    with CaptureQueriesContext(connection) as large_queries:
        assert store(channel, large) == 36
    assert len(large_queries) == len(small_queries)
    routed = Conversation.objects.filter(team=routed_team)
    assert routed.count() == 1 + 9
    assert AuditEvent.objects.filter(action="inbox.conversation.routed").count() == 10


@pytest.mark.django_db
def test_a_redelivered_item_in_the_same_batch_is_stored_once(channel):
    first = inbound(author="ola")
    assert store(channel, [first, first, inbound(author="ola")]) == 2
    assert store(channel, [first]) == 0
    assert Message.objects.filter(external_id=first.external_id).count() == 1
    assert store(channel, []) == 0


@pytest.mark.django_db
def test_a_reply_joins_its_parent_arriving_earlier_in_the_same_batch(channel):
    comment = inbound(kind="comment", author="ola", parent="post-1")
    reply = inbound(kind="reply", author="kuba", parent=comment.external_id)
    other = inbound(kind="comment", author="kuba", parent="post-1")
    # Out of order on the page: stored oldest first all the same.
    assert store(channel, [reply, other, comment]) == 3
    by_id = {m.external_id: m.conversation for m in Message.objects.all()}
    assert by_id[reply.external_id] == by_id[comment.external_id]
    assert by_id[other.external_id] != by_id[comment.external_id]
    assert by_id[comment.external_id].key == "post:post-1:ola"
    conversation = by_id[comment.external_id]
    assert events_of(conversation) == ["opened", "customer_message", "customer_message"]


@pytest.mark.django_db
def test_a_reply_never_joins_a_conversation_of_another_organisation(channel, other_org, make_user):
    group = ChannelGroup.objects.create(organization=other_org, name="Theirs")
    theirs = Channel.objects.create(
        organization=other_org, network="x", placement="post", connector="sandbox",
        handle="globex", channel_group=group,
        primary_owner=make_user(other_org, Role.COMMUNITY_MANAGER),
    )  # fmt: skip
    parent = inbound(kind="comment", author="mia", parent="post-9")
    store(theirs, [parent])
    reply = inbound(kind="reply", author="mia", parent=parent.external_id)
    store(channel, [reply])
    ours = Message.objects.get(channel=channel).conversation
    assert ours.organization_id == channel.organization_id
    assert ours.key == f"post:{parent.external_id}:mia"  # its own, not theirs


@pytest.mark.django_db
def test_customer_messages_reopen_a_closed_conversation_and_end_a_wait_once(channel):
    closed_first, waiting_first = inbound(author="ola"), inbound(author="liam")
    store(channel, [closed_first, waiting_first])
    closed = Conversation.objects.get(key="dm:ola")
    waiting = Conversation.objects.get(key="dm:liam")
    Conversation.objects.filter(pk=closed.pk).update(
        status=ConversationStatus.CLOSED, closed_at=BASE_TIME
    )
    Conversation.objects.filter(pk=waiting.pk).update(status=ConversationStatus.WAITING)
    later = BASE_TIME + dt.timedelta(days=1)
    batch = [
        inbound(author="ola", text="Hello again", at=later),
        inbound(author="ola", text="Anyone?", at=later + dt.timedelta(minutes=1)),
        inbound(author="liam", text="Here is the photo", at=later),
    ]
    assert store(channel, batch) == 3
    closed.refresh_from_db()
    waiting.refresh_from_db()
    assert (closed.status, closed.closed_at) == (ConversationStatus.OPEN, None)
    assert closed.last_message_at == later + dt.timedelta(minutes=1)
    assert events_of(closed)[-3:] == ["reopened", "customer_message", "customer_message"]
    assert waiting.status == ConversationStatus.OPEN
    assert events_of(waiting)[-2:] == ["waiting_ended", "customer_message"]


@pytest.mark.django_db
def test_only_new_conversations_are_routed(channel, routed_team):
    store(channel, [inbound(author="ola", text="Hi")])
    store(channel, [inbound(author="ola", text="I want a refund")])  # not new: not routed
    store(channel, [inbound(author="kuba", text="Refund please")])
    assert Conversation.objects.get(key="dm:ola").team is None
    kuba = Conversation.objects.get(key="dm:kuba")
    assert (kuba.team, kuba.tags) == (routed_team, ["billing"])
    assert kuba.assignee in routed_team.members.all()
    assert AuditEvent.objects.filter(action="inbox.conversation.routed").count() == 1


@pytest.mark.django_db
def test_round_robin_takes_turns_within_one_batch(channel, routed_team):
    batch = [inbound(author=f"fan{n}", text="refund?") for n in range(4)]
    assert store(channel, batch) == 4
    members = list(routed_team.members.order_by("pk"))
    assignees = [Conversation.objects.get(key=f"dm:fan{n}").assignee for n in range(4)]
    assert assignees == [members[0], members[1], members[0], members[1]]
    rule = RoutingRule.objects.get()
    assert rule.last_assigned == members[1]


@pytest.mark.django_db
def test_one_poll_stores_several_pages_with_the_cursor_after_the_last(channel):
    for n in range(230):  # the sandbox serves 100 a page
        sandbox_inbound_add(account=account(), kind="mention", author_handle=f"fan{n}", text="hi")
    result = ingest.channel_ingest(channel=channel)
    assert (result.fetched, result.stored) == (230, 230)
    cursor = InboxCursor.objects.get(channel=channel)
    assert cursor.cursor == str(SandboxInbound.objects.order_by("sequence").last().sequence)
    assert cursor.last_error == ""
    assert ingest.channel_ingest(channel=channel).stored == 0


@pytest.mark.django_db
def test_two_messages_in_one_batch_wake_a_snoozed_conversation_once(channel):
    store(channel, [inbound(author="ola")])
    conversation = Conversation.objects.get(key="dm:ola")
    Conversation.objects.filter(pk=conversation.pk).update(
        status=ConversationStatus.SNOOZED, snoozed_until=BASE_TIME + dt.timedelta(days=7)
    )
    later = BASE_TIME + dt.timedelta(days=1)
    batch = [
        inbound(author="ola", text="Any news?", at=later),
        inbound(author="ola", text="Hello?", at=later + dt.timedelta(minutes=5)),
    ]
    assert store(channel, batch) == 2
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (ConversationStatus.OPEN, None)
    assert events_of(conversation)[-3:] == ["waiting_ended", "customer_message", "customer_message"]
    assert AuditEvent.objects.filter(action="inbox.conversation.woken").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_value_longer_than_its_column_fails_the_batch_and_is_not_cut_short(channel):
    """Rows are copied in as written: the database refuses an over-long value (as
    Django's error), and nothing of the batch is stored."""
    fits, too_long = inbound(author="ola"), inbound(author="a" * 201)
    with pytest.raises(DataError, match="too long"):
        store(channel, [fits, too_long])
    assert not Message.objects.filter(channel=channel).exists()
    assert not Conversation.objects.filter(channel=channel).exists()
