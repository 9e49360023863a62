"""The busy inbox pages cost a fixed number of queries, however big the inbox grows.

Each test renders a page on a small inbox, grows the inbox (more conversations in the
queue, more messages in the thread, more of the author's earlier conversations), and
renders it again with the same number of queries. A new N+1 (a template touching a
relation the selector does not join) fails here before it reaches a large inbox.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import Organization, Role, Team, User
from roost.inbox.models import Conversation, ConversationStatus, Direction, Message

Capture = Callable[..., Any]
# What each page costs today. A change here should be a decision, not an accident.
TEAM_QUEUE_QUERIES = 8
BREACHING_QUEUE_QUERIES = 7
CONVERSATION_QUERIES = 10  # with who else has it open

_numbers = itertools.count(1)


@pytest.fixture
def team(org: Organization) -> Team:
    return Team.objects.create(organization=org, name="Social EMEA")


@pytest.fixture
def agents(org: Organization, channel: Channel, team: Team, make_user: Callable[..., User]):
    """Three community managers of the channel's group, all in the team."""
    people = [
        make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
        for _ in range(3)
    ]
    team.members.set(people)
    return people


def add_conversations(
    channel: Channel,
    *,
    count: int,
    team: Team | None = None,
    assignees: list[User] | None = None,
    sla_state: str = "",
    status: str = ConversationStatus.OPEN,
    author: str = "",
) -> list[Conversation]:
    """`count` conversations on the channel, each with an inbound message and a reply."""
    now = timezone.now()
    made = []
    for k in range(count):
        n = next(_numbers)
        made.append(
            Conversation.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                key=f"dm:fan{n}",
                kind="direct_message",
                author_handle=author or f"fan{n}",
                status=status,
                team=team,
                assignee=assignees[k % len(assignees)] if assignees else None,
                last_message_at=now - dt.timedelta(minutes=n),
                sla_state=sla_state,
                sla_due_at=now + dt.timedelta(minutes=n) if sla_state else None,
            )
        )
    for conversation in made:
        add_messages(conversation, count=2, agents=assignees or [])
    return made


def add_messages(conversation: Conversation, *, count: int, agents: list[User]) -> None:
    """Alternate the customer's messages with replies and notes by the agents."""
    start = conversation.last_message_at - dt.timedelta(hours=1)
    rows = []
    for k in range(count):
        n = next(_numbers)
        direction = Direction.INBOUND if k % 2 == 0 or not agents else Direction.OUTBOUND
        if direction == Direction.OUTBOUND and k % 4 == 3:
            direction = Direction.NOTE
        rows.append(
            Message(
                organization_id=conversation.organization_id,
                conversation=conversation,
                identity_id=conversation.identity_id,
                channel_id=conversation.channel_id,
                external_id=f"m{n}",
                kind=conversation.kind,
                direction=direction,
                author_handle=conversation.author_handle,
                sent_by=agents[k % len(agents)] if direction != Direction.INBOUND else None,
                text=f"Message {n}",
                created_at=start + dt.timedelta(minutes=k),
            )
        )
    Message.objects.bulk_create(rows)


def signed_in_agent(signed_in: Callable[[User], Any], agent: User) -> Any:
    """A client signed in as the agent, past the first request of its session (which
    also records when the session was last seen: a write the pages do once a minute)."""
    client = signed_in(agent)
    client.get(reverse("inbox:index"))
    return client


def rows_shown(response: Any) -> int:
    assert response.status_code == 200
    return response.content.decode().count('class="conversation-row"')


@pytest.mark.django_db
def test_the_team_queue_costs_the_same_queries_for_3_or_60_conversations(
    channel, team, agents, other_org, signed_in, django_assert_num_queries: Capture
):
    add_conversations(channel, count=3, team=team, assignees=agents)
    add_conversations(channel, count=2, team=None)  # not the team's
    add_conversations(channel, count=2, team=team, status=ConversationStatus.CLOSED)
    client = signed_in_agent(signed_in, agents[0])
    url = reverse("inbox:index") + "?queue=team"
    with django_assert_num_queries(TEAM_QUEUE_QUERIES):
        assert rows_shown(client.get(url)) == 3

    add_conversations(channel, count=57, team=team, assignees=agents)
    with django_assert_num_queries(TEAM_QUEUE_QUERIES):
        assert rows_shown(client.get(url)) == 50  # a page
    with django_assert_num_queries(TEAM_QUEUE_QUERIES):
        assert rows_shown(client.get(url + "&page=2")) == 10


@pytest.mark.django_db
def test_the_team_queue_shows_no_other_organisations_team(
    channel, team, agents, other_org, make_user, signed_in
):
    outsider = make_user(other_org, Role.COMMUNITY_MANAGER)
    foreign_team = Team.objects.create(organization=other_org, name="Social EMEA")
    foreign_team.members.add(outsider)
    add_conversations(channel, count=4, team=team, assignees=agents)
    page = signed_in(outsider).get(reverse("inbox:index") + "?queue=team")
    assert rows_shown(page) == 0


@pytest.mark.django_db
def test_a_bad_page_or_queue_costs_no_more_and_is_not_an_error(
    channel, team, agents, signed_in, django_assert_num_queries: Capture
):
    add_conversations(channel, count=60, team=team, assignees=agents)
    client = signed_in_agent(signed_in, agents[0])
    with django_assert_num_queries(TEAM_QUEUE_QUERIES):
        last = client.get(reverse("inbox:index") + "?queue=team&page=99")
    assert rows_shown(last) == 10  # past the end: the last page
    assert rows_shown(client.get(reverse("inbox:index") + "?queue=team&page=abc")) == 50
    assert client.get(reverse("inbox:index") + "?queue=nonsense").status_code == 200


@pytest.mark.django_db
def test_the_breaching_queue_costs_the_same_queries_for_4_or_70_conversations(
    channel, team, agents, signed_in, django_assert_num_queries: Capture
):
    add_conversations(channel, count=2, team=team, assignees=agents, sla_state="warning")
    add_conversations(channel, count=2, sla_state="breached")
    add_conversations(channel, count=3, team=team, sla_state="ok")  # not breaching
    client = signed_in_agent(signed_in, agents[0])
    url = reverse("inbox:index") + "?queue=breaching"
    with django_assert_num_queries(BREACHING_QUEUE_QUERIES):
        assert rows_shown(client.get(url)) == 4

    add_conversations(channel, count=33, team=team, assignees=agents, sla_state="warning")
    add_conversations(channel, count=33, sla_state="breached")
    with django_assert_num_queries(BREACHING_QUEUE_QUERIES):
        assert rows_shown(client.get(url)) == 50


@pytest.mark.django_db
def test_the_conversation_page_costs_the_same_queries_for_a_short_or_long_thread(
    channel, team, agents, signed_in, django_assert_num_queries: Capture
):
    (conversation,) = add_conversations(channel, count=1, team=team, assignees=agents)
    add_conversations(channel, count=1, author=conversation.author_handle)  # history
    client = signed_in_agent(signed_in, agents[0])
    url = reverse("inbox:conversation", args=[conversation.pk])
    with django_assert_num_queries(CONVERSATION_QUERIES):
        short = client.get(url)
    assert short.status_code == 200
    assert short.content.decode().count("message-item") == 2

    add_messages(conversation, count=40, agents=agents)
    add_conversations(channel, count=15, author=conversation.author_handle, assignees=agents)
    with django_assert_num_queries(CONVERSATION_QUERIES):
        long = client.get(url)
    body = long.content.decode()
    assert body.count("message-item") == 42
    assert body.count("earlier conversations") == 1


@pytest.mark.django_db
def test_another_organisation_cannot_open_the_conversation(
    channel, team, agents, other_org, make_user, signed_in
):
    (conversation,) = add_conversations(channel, count=1, team=team, assignees=agents)
    outsider = make_user(other_org, Role.ADMIN)
    response = signed_in(outsider).get(reverse("inbox:conversation", args=[conversation.pk]))
    assert response.status_code == 404
