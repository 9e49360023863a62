"""The inbox's card on Today: the viewer's conversations due within the hour or breached,
soonest first, and the counts of their queues; by role, within one organisation."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.core.models import ChannelGroup, Role, Team
from roost.inbox.models import Conversation, Direction, Message
from roost.inbox.today import today_conversations

_numbers = itertools.count(1)


def _conversation(channel, *, assignee=None, team=None, sla_state="", due_in=None, **fields):
    now = timezone.now()
    n = next(_numbers)
    conversation = Conversation.objects.create(
        organization_id=channel.organization_id,
        channel=channel,
        key=f"dm:fan{n}",
        kind="direct_message",
        author_handle=f"fan{n}",
        assignee=assignee,
        team=team,
        sla_state=sla_state,
        sla_due_at=now + due_in if due_in is not None else None,
        **fields,
    )
    Message.objects.create(
        organization_id=channel.organization_id, conversation=conversation,
        identity=conversation.identity, channel=channel, external_id=f"m{n}",
        direction=Direction.INBOUND, author_handle=conversation.author_handle,
        text=f"Where is my order {n}?\nSecond line", created_at=now,
    )  # fmt: skip
    return conversation


@pytest.mark.django_db
def test_my_conversations_due_soon_or_breached_come_first_with_queue_counts(
    org, other_org, admin, channel, make_user
):
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    team = Team.objects.create(organization=org, name="Support")
    team.members.set([agent, colleague])
    hour = dt.timedelta(hours=1)
    warning = _conversation(
        channel, assignee=agent, team=team, sla_state="warning", due_in=hour / 3
    )
    breached = _conversation(channel, assignee=agent, sla_state="breached", due_in=-hour)
    due_soon = _conversation(channel, assignee=agent, sla_state="ok", due_in=hour / 2)
    _conversation(channel, assignee=agent, sla_state="ok", due_in=3 * hour)  # not yet pressing
    _conversation(channel, assignee=agent, sla_state="breached", due_in=-hour, status="closed")
    _conversation(channel, assignee=colleague, team=team, sla_state="breached", due_in=-hour)
    _conversation(channel, sla_state="warning", due_in=hour / 4)  # nobody's yet
    # Another organisation's conversations count nowhere here.
    other_group = ChannelGroup.objects.create(organization=other_org, name="Consumer")
    other_channel = channel_services.channel_create(
        actor=make_user(other_org, Role.ADMIN), organization=other_org, network="x",
        placement="post", handle="globex", channel_group=other_group,
        primary_owner=make_user(other_org, Role.COMMUNITY_MANAGER),
    )  # fmt: skip
    _conversation(other_channel, sla_state="breached", due_in=-hour)

    card = today_conversations(viewer=agent, now=timezone.now())

    assert card is not None
    assert [item.url for item in card.items] == [
        reverse("inbox:conversation", args=[c.pk]) for c in (breached, warning, due_soon)
    ]
    assert card.total == 3
    first = card.items[0]
    assert (first.at_label, first.tone) == ("Breached", "late")
    # The first line of the latest message from the customer.
    assert first.detail == breached.messages.get().text.splitlines()[0]
    assert (card.items[1].at_label, card.items[1].tone) == ("Reply due", "soon")
    counts = {count.label: count.count for count in card.counts}
    assert counts == {"Mine": 4, "My team": 2, "Unassigned": 1, "Breaching soon": 4}
    assert card.counts[0].url == reverse("inbox:index") + "?queue=mine"


@pytest.mark.django_db
def test_the_conversations_card_by_role(org, channel, make_user):
    _conversation(channel, sla_state="breached", due_in=-dt.timedelta(hours=1))
    viewer = make_user(org, Role.VIEWER)
    analyst = make_user(org, Role.ANALYST)
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)

    # Whoever may handle conversations nowhere has no inbox card.
    assert today_conversations(viewer=viewer, now=timezone.now()) is None
    assert today_conversations(viewer=analyst, now=timezone.now()) is None
    # An agent with nothing of their own due: no items, one line, and the queue counts.
    card = today_conversations(viewer=agent, now=timezone.now())
    assert card is not None and card.items == [] and card.total == 0
    assert card.empty == "None of your conversations is due within the hour."
    assert {c.label: c.count for c in card.counts}["Unassigned"] == 1
    assert not card.is_empty


@pytest.mark.django_db
def test_an_agent_of_another_group_sees_nothing_of_this_one(org, admin, channel, make_user):
    elsewhere = ChannelGroup.objects.create(organization=org, name="Elsewhere")
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=elsewhere)
    _conversation(channel, sla_state="breached", due_in=-dt.timedelta(hours=1))

    card = today_conversations(viewer=agent, now=timezone.now())

    assert card is not None and card.is_empty
