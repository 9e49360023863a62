"""Ingestion: at-least-once fetching, exactly-once storage, threading into conversations."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from roost.inbox import ingest
from roost.inbox.models import Conversation, InboxCursor, Message
from roost.inbox.tests.conftest import account
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
