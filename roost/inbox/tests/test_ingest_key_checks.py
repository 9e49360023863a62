"""How PostgreSQL checks the references of the rows a batch stores.

The foreign keys are checked when the batch commits, by a query the server plans once
per connection and keeps. Planned while the conversations table holds a few rows, it
reads the whole table; kept while the table grows, every stored message would then
read every conversation (a new installation's first hours of polling). A batch has
them planned by primary-key index whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from roost.inbox.ingest import channel_ingest
from roost.inbox.models import Message
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def plans() -> Iterator[list[str]]:
    """The plans of every statement the connection runs, nested ones included (the
    reference checks), as the server's `auto_explain` reports them to the client; the
    connection forgets the plans it kept before, so that what follows plans afresh."""
    found: list[str] = []

    def keep(diagnostic) -> None:  # type: ignore[no-untyped-def]
        found.append(diagnostic.message_primary or "")

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DISCARD PLANS")
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_nested_statements = on")
        cursor.execute("SET auto_explain.log_level = notice")
        cursor.execute("SET auto_explain.log_min_duration = 0")
    connection.connection.add_notice_handler(keep)
    try:
        yield found
    finally:
        connection.connection.remove_notice_handler(keep)
        with connection.cursor() as cursor:
            cursor.execute("SET auto_explain.log_min_duration = -1")
            cursor.execute("DISCARD PLANS")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_checks_its_references_by_index_though_planned_on_a_small_table(
    channel, plans
) -> None:
    for n in range(12):
        sandbox_inbound_add(
            account=account(), kind="direct_message", author_handle=f"fan{n}", text="Hello?"
        )
    with connection.cursor() as cursor:  # as autovacuum leaves the table of a new installation
        cursor.execute("ANALYZE inbox_conversation")
    assert channel_ingest(channel=channel).stored == 12
    assert Message.objects.filter(channel=channel).count() == 12
    checks = [
        plan
        for plan in plans
        if 'FROM ONLY "public"."inbox_conversation" x' in plan and "FOR KEY SHARE" in plan
    ]
    assert len(checks) >= 12  # each message's reference to its conversation, at the commit
    by_scan = [plan for plan in checks if "Seq Scan" in plan]
    assert not by_scan, by_scan[0]
    assert all("Index Scan using inbox_conversation_pkey" in plan for plan in checks)
