"""What a poll of the inbox costs in queries, pinned: a poll stores whatever the network
delivered with the same number of queries, whether it brings a handful of messages or
pages of them, with routing (two rules, teams of three), an organisation's classifier
settings, a moderation rule and the audit all in play.

The numbers are named: a change here should be a decision, not an accident.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roost.core.models import AuditEvent, Role, Team
from roost.inbox import moderation
from roost.inbox.classify import Priority
from roost.inbox.ingest import channel_ingest, channels_ingest_all
from roost.inbox.models import (
    AssignmentMode,
    ClassifierSettings,
    Conversation,
    Message,
    RoutingRule,
)
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

# One poll of one channel that stores new messages: the cursor (read, advanced), the
# credential and the hour's record of its use, the unseen and known messages, the
# classifier settings and adapter, the account and the conversations locked, the inserts,
# the routing (the rules, each matched rule locked and its turn saved, each team's
# members and their grants in one query, the open load), the moderation rules and one
# audit append.
# PostgreSQL adds three: the audit chain's row lock (SQLite's writers take turns anyway),
# the new rows' primary keys reserved before they are copied in (COPY returns none), and
# the setting that has the commit check the batch's references by index.
POLL_QUERIES = 35 + 3 * (connection.vendor == "postgresql")
# A poll of every active channel: one channel's poll and the read of the channels, their
# organisation and channel group joined in (routing and the audit need them).
POLL_ALL_QUERIES = POLL_QUERIES + 1


@pytest.fixture
def routed(org, admin, channel, make_user):
    """Refunds to a load-balanced team of three; Polish to a round-robin team of three;
    an organisation's own classifier settings; a moderation rule on the channel."""
    group = channel.channel_group
    billing = Team.objects.create(organization=org, name="Billing")
    polish = Team.objects.create(organization=org, name="Polska")
    for team in (billing, polish):
        for _ in range(3):
            team.members.add(make_user(org, Role.COMMUNITY_MANAGER, channel_group=group))
    RoutingRule.objects.create(
        organization=org, position=0, name="Refunds", keyword="refund", team=billing,
        priority=Priority.HIGH, assignment=AssignmentMode.LOAD_BALANCED,
    )  # fmt: skip
    RoutingRule.objects.create(
        organization=org, position=1, name="Polish", language="pl", team=polish,
        assignment=AssignmentMode.ROUND_ROBIN,
    )  # fmt: skip
    ClassifierSettings.objects.create(organization=org)
    moderation.moderation_rule_create(
        actor=admin,
        spec=moderation.ModerationRuleSpec(
            name="Spam", intent="spam", min_confidence=0.9, channel_ids=[channel.pk]
        ),
    )
    return billing, polish


def deliver(size: int, tag: str) -> None:
    """`size` new messages, direct messages and mentions, about a refund, in Polish, or
    neither; half of the authors write twice."""
    texts = (
        "I want a refund for my order, it arrived broken.",
        "Dzień dobry, gdzie jest moja paczka? Czekam od tygodnia.",
        "Do you ship to Norway?",
    )
    kinds = ("direct_message", "mention", "direct_message")
    for n in range(size):
        sandbox_inbound_add(
            account=account(),
            kind=kinds[n % len(kinds)],
            author_handle=f"{tag}{n % max(1, size // 2)}",
            text=texts[n % len(texts)],
        )


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The queries, with a bulk INSERT counted once: SQLite splits one into chunks by its
    limit on parameters (PostgreSQL sends it whole), so only there it grows with size."""
    found: list[str] = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith("INSERT") and found and found[-1] == sql.split(" VALUES")[0]:
            continue
        found.append(sql.split(" VALUES")[0] if sql.startswith("INSERT") else sql)
    return found


def warm_up(channel) -> None:
    """A first poll: it creates what only a channel's first poll creates (its cursor, the
    account's row, the hour's record of the credential's use)."""
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="first", text="Hello"
    )
    assert channel_ingest(channel=channel).stored == 1


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 240])
def test_a_poll_costs_the_same_pinned_queries_for_a_few_or_many_messages(
    channel, routed, size
) -> None:
    warm_up(channel)
    deliver(size, tag=f"s{size}-")
    with CaptureQueriesContext(connection) as queries:
        assert channel_ingest(channel=channel).stored == size
    found = statements(queries)
    assert len(found) == POLL_QUERIES, "\n".join(sql[:120] for sql in found)
    # What the queries did: every message stored, the refunds routed and audited.
    assert Message.objects.filter(channel=channel).count() == size + 1
    billing, _ = routed
    routed_here = Conversation.objects.filter(team=billing).count()
    assert routed_here > 0
    assert AuditEvent.objects.filter(action="inbox.conversation.routed").count() >= routed_here


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 240])
def test_polling_every_channel_costs_the_same_pinned_queries(channel, routed, size) -> None:
    warm_up(channel)
    deliver(size, tag=f"a{size}-")
    with CaptureQueriesContext(connection) as queries:
        assert channels_ingest_all() == size
    found = statements(queries)
    assert len(found) == POLL_ALL_QUERIES, "\n".join(sql[:120] for sql in found)
