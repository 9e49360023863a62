"""The inbox's row locks: taken only by `roost.inbox.locks`, always in primary-key order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roost.inbox import locks
from roost.inbox.models import Conversation, InboxIdentity, RoutingRule

INBOX = Path(locks.__file__).parent


def test_no_inbox_module_but_locks_takes_row_locks():
    takers = [
        str(path.relative_to(INBOX))
        for path in sorted(INBOX.rglob("*.py"))
        if "tests" not in path.relative_to(INBOX).parts
        and path.name != "locks.py"
        and "select_for_update" in path.read_text(encoding="utf-8")
    ]
    assert takers == []


def _lock_queries(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and table in q["sql"]
    ]


def _in_primary_key_order(sql: str, table: str) -> bool:
    return bool(re.search(rf'ORDER BY "{table}"\."id" ASC', sql))


@pytest.mark.django_db
def test_the_account_is_made_once_and_locked(channel):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        first = locks.identity_locked(channel)
    again = locks.identity_locked(channel)
    assert first.pk == again.pk and InboxIdentity.objects.count() == 1
    [*_, lock] = _lock_queries(captured, "inbox_inboxidentity")
    assert _in_primary_key_order(lock, "inbox_inboxidentity")
    if connection.features.has_select_for_update:
        assert "FOR NO KEY UPDATE" in lock


@pytest.mark.django_db
def test_conversations_and_rules_are_locked_in_primary_key_order(channel):
    identity = InboxIdentity.objects.for_channel(channel)
    now = timezone.now()
    made = [
        Conversation.objects.create(
            organization_id=channel.organization_id, identity=identity, channel=channel,
            key=key, kind="mention", author_handle=key, first_message_at=now,
            last_message_at=now,
        )
        for key in ("c", "a", "b")
    ]  # fmt: skip
    for name in ("second", "first"):
        RoutingRule.objects.create(organization_id=channel.organization_id, name=name)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        conversations = locks.conversations_locked(identity=identity, keys=["b", "c", "a", "b"])
        rules = locks.routing_rules_locked(organization_id=channel.organization_id)
    assert [c.pk for c in conversations] == sorted(c.pk for c in made)
    assert [r.pk for r in rules] == sorted(r.pk for r in RoutingRule.objects.all())
    for table in ("inbox_conversation", "inbox_routingrule"):
        [sql] = _lock_queries(captured, table)
        assert _in_primary_key_order(sql, table)
        if connection.features.has_select_for_update:
            assert "FOR UPDATE" in sql


@pytest.mark.django_db
def test_the_auto_reply_lock_holds_the_conversation_alone(channel):
    identity = InboxIdentity.objects.for_channel(channel)
    now = timezone.now()
    conversation = Conversation.objects.create(
        organization_id=channel.organization_id, identity=identity, channel=channel, key="k",
        kind="mention", author_handle="k", first_message_at=now, last_message_at=now,
    )  # fmt: skip
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        found = locks.conversation_locked_with_channel(conversation.pk)
        gone = locks.conversation_locked_with_channel(conversation.pk + 1000)
    assert found == conversation and gone is None
    assert found.channel.channel_group.organization.pk == channel.organization_id
    if connection.features.has_select_for_update:
        [sql, _] = _lock_queries(captured, "inbox_conversation")
        assert sql.endswith('FOR UPDATE OF "inbox_conversation"')
