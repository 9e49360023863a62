"""Placement channels of one account share one inbox identity: a message that arrives
through both is one message in one conversation, answered once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.connectors.base import Inbound, InboundKind
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Role
from roost.inbox import ingest
from roost.inbox.models import Conversation, InboxIdentity, Message
from roost.inbox.services import conversation_reply
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_inbound_add


def _placement(org, admin, group, owner, placement: str, handle: str = "northwind.eu") -> Channel:
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="instagram", placement=placement,
        handle=handle, channel_group=group, primary_owner=owner,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    channel.refresh_from_db()
    return channel


@pytest.fixture
def placements(org, admin, make_user):
    """An Instagram account's portrait and reels channels, and a community manager."""
    group = ChannelGroup.objects.create(organization=org, name="Consumer EMEA")
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    portrait = _placement(org, admin, group, agent, "portrait")
    reels = _placement(org, admin, group, agent, "reels")
    return portrait, reels, agent


def _account(channel: Channel) -> SandboxAccount:
    return SandboxAccount.objects.get(external_id=channel.external_id)


@pytest.mark.django_db
def test_a_message_fetched_through_two_placements_is_one_conversation(placements):
    portrait, reels, _ = placements
    assert _account(portrait) == _account(reels)  # the network has one account
    sandbox_inbound_add(
        account=_account(portrait), kind="direct_message", author_handle="ola", text="Hello?"
    )
    comment = sandbox_inbound_add(
        account=_account(portrait), kind="mention", author_handle="ben", text="@northwind.eu"
    )
    sandbox_inbound_add(
        account=_account(portrait), kind="reply", author_handle="ben", text="Anyone?",
        parent_external_id=comment.external_id,
    )  # fmt: skip
    first = ingest.channel_ingest(channel=portrait)
    second = ingest.channel_ingest(channel=reels)
    assert (first.fetched, first.stored) == (3, 3)
    assert (second.fetched, second.stored) == (3, 0)  # fetched again, stored once
    assert Message.objects.count() == 3
    conversations = Conversation.objects.order_by("key")
    assert [c.key for c in conversations] == ["dm:ola", f"mention:{comment.external_id}"]
    assert {c.channel_id for c in conversations} == {portrait.pk}  # where it first arrived
    assert InboxIdentity.objects.count() == 1


@pytest.mark.django_db
def test_the_reply_to_a_message_seen_through_two_placements_goes_out_once(placements):
    portrait, reels, agent = placements
    sandbox_inbound_add(
        account=_account(portrait), kind="direct_message", author_handle="ola", text="Hello?"
    )
    # The reels channel is polled first this time, the portrait channel after it.
    ingest.channel_ingest(channel=reels)
    ingest.channel_ingest(channel=portrait)
    (conversation,) = Conversation.objects.all()
    conversation_reply(actor=agent, conversation=conversation, text="Hi Ola, how can we help?")
    replies = SandboxPost.objects.filter(account=_account(portrait)).exclude(reply_to="")
    assert replies.count() == 1
    # The customer writes again; both channels fetch it; it joins the one conversation.
    sandbox_inbound_add(
        account=_account(portrait), kind="direct_message", author_handle="ola", text="Thanks!"
    )
    ingest.channel_ingest(channel=portrait)
    ingest.channel_ingest(channel=reels)
    assert Conversation.objects.count() == 1
    assert conversation.messages.filter(direction="inbound").count() == 2


@pytest.mark.django_db
def test_the_same_batch_stored_through_both_placements_at_once_is_stored_once(placements):
    """The webhook path: each channel's delivery carries the same items."""
    portrait, reels, _ = placements
    now = timezone.now()
    items = [
        Inbound(
            external_id=f"ig-{n}",
            kind=InboundKind.COMMENT,
            author_handle=f"fan{n}",
            text="Love it",
            created_at=now - dt.timedelta(minutes=n),
            parent_external_id="p1",
        )
        for n in range(4)
    ]
    assert ingest.messages_store(channel=reels, items=items) == 4
    assert ingest.messages_store(channel=portrait, items=items) == 0
    assert Conversation.objects.count() == 4
    assert Message.objects.count() == 4


@pytest.mark.django_db
def test_handles_differing_only_in_case_or_at_sign_are_one_account(org, admin, make_user):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    owner = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    feed = channel_services.channel_create(
        actor=admin, organization=org, network="instagram", placement="square",
        handle="Northwind", channel_group=group, primary_owner=owner,
    )  # fmt: skip
    reels = channel_services.channel_create(
        actor=admin, organization=org, network="instagram", placement="reels",
        handle="@northwind", channel_group=group, primary_owner=owner,
    )  # fmt: skip
    assert InboxIdentity.objects.for_channel(feed) == InboxIdentity.objects.for_channel(reels)


@pytest.mark.django_db
def test_the_same_handle_on_another_network_or_organisation_is_another_account(
    placements, org, other_org, admin, make_user
):
    portrait, _, _ = placements
    group = ChannelGroup.objects.get(organization=org, name="Consumer EMEA")
    threads = channel_services.channel_create(
        actor=admin, organization=org, network="threads", placement="post",
        handle="northwind.eu", channel_group=group, primary_owner=portrait.primary_owner,
    )  # fmt: skip
    other_admin = make_user(other_org, Role.ADMIN)
    other_group = ChannelGroup.objects.create(organization=other_org, name="Consumer EMEA")
    elsewhere = channel_services.channel_create(
        actor=other_admin, organization=other_org, network="instagram", placement="portrait",
        handle="northwind.eu", channel_group=other_group, primary_owner=other_admin,
    )  # fmt: skip
    identities = {
        InboxIdentity.objects.for_channel(channel).pk for channel in (portrait, threads, elsewhere)
    }
    assert len(identities) == 3


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_what_two_placements_stored_twice(placements):
    """Data stored before identities existed: the same thread and message stored once per
    placement channel. Migrating keeps the first conversation, moves the later copy's reply
    into it, drops the duplicate messages, and marks the VIP conversation."""
    portrait, reels, agent = placements
    executor = MigrationExecutor(connection)
    executor.migrate([("inbox", "0006_inbox_identity")])
    old = executor.loader.project_state([("inbox", "0006_inbox_identity")]).apps
    OldConversation = old.get_model("inbox", "Conversation")
    OldMessage = old.get_model("inbox", "Message")
    OldEvent = old.get_model("inbox", "ConversationEvent")
    now = timezone.now()
    copies = []
    for n, channel in enumerate((portrait, reels)):
        conversation = OldConversation.objects.create(
            organization_id=channel.organization_id, channel_id=channel.pk, key="dm:ola",
            kind="direct_message", author_handle="ola", status="waiting",
            first_message_at=now + dt.timedelta(seconds=n), last_message_at=now,
        )  # fmt: skip
        OldMessage.objects.create(
            organization_id=channel.organization_id, conversation_id=conversation.pk,
            channel_id=channel.pk, external_id="dm-1", kind="direct_message",
            author_handle="ola", author_followers=80_000, text="Hello?", created_at=now,
        )  # fmt: skip
        OldEvent.objects.create(
            organization_id=channel.organization_id, conversation_id=conversation.pk,
            kind="customer_message", at=now,
        )  # fmt: skip
        copies.append(conversation)
    # The later copy was answered; its reply must survive the merge.
    OldMessage.objects.create(
        organization_id=reels.organization_id, conversation_id=copies[1].pk,
        channel_id=reels.pk, external_id="sent-1", kind="direct_message", direction="outbound",
        author_handle="northwind.eu", sent_by_id=agent.pk, text="Hi!", created_at=now,
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    (kept,) = Conversation.objects.all()
    assert kept.pk == copies[0].pk and kept.vip
    assert sorted(kept.messages.values_list("external_id", flat=True)) == ["dm-1", "sent-1"]
    assert kept.events.count() == 1
    assert kept.identity == InboxIdentity.objects.for_channel(reels)
    assert set(Message.objects.values_list("identity_id", flat=True)) == {kept.identity_id}
