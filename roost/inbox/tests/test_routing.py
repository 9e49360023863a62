"""Routing rules and assignment modes, including shift-aware assignment across time zones."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.core.models import Brand, Role, Team, User
from roost.inbox import ingest
from roost.inbox.classify import Priority
from roost.inbox.models import AssignmentMode, Conversation, RoutingRule
from roost.inbox.routing import route as routing
from roost.inbox.routing.route import is_working
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

# Monday 23 November 2026, 14:00 UTC: 15:00 in Warsaw, 09:00 in New York, 23:00 in Tokyo.
MONDAY_1400_UTC = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def team(org, channel, make_user):
    team = Team.objects.create(organization=org, name="Social EMEA")
    for tz in ("Europe/Warsaw", "America/New_York", "Asia/Tokyo"):
        person = make_user(
            org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, time_zone=tz
        )
        team.members.add(person)
    return team


def rule(org, **fields):
    return RoutingRule.objects.create(organization=org, name=fields.pop("name", "rule"), **fields)


def arrive(channel, text="Hello?", author="ola", kind="mention", language="en"):
    sandbox_inbound_add(
        account=account(), kind=kind, author_handle=author, text=text, language=language
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.order_by("-pk").first()


@pytest.mark.django_db
def test_a_keyword_rule_routes_and_raises_priority(org, channel, team):
    rule(org, keyword="refund", team=team, priority=Priority.HIGH, tags=["refunds"])
    matched = arrive(channel, "I want a REFUND now", author="b")
    assert (matched.team, matched.priority, matched.tags) == (team, Priority.HIGH, ["refunds"])
    other = arrive(channel, "hello there", author="c")
    assert (other.team, other.priority, other.tags) == (None, Priority.NORMAL, [])


@pytest.mark.django_db
def test_a_language_rule_routes_by_the_messages_language(org, channel, team):
    rule(org, language="pl", team=team, tags=["polish"])
    assert arrive(channel, "Kiedy dostawa?", author="ola", language="pl").tags == ["polish"]
    assert arrive(channel, "When is delivery?", author="liam", language="en").tags == []


@pytest.mark.django_db
def test_channel_and_brand_conditions(org, channel, team):
    other_brand = Brand.objects.create(organization=org, name="Other")
    rule(org, name="other brand", brand=other_brand, team=None, tags=["wrong"])
    rule(org, name="this channel", channel=channel, team=team, tags=["right"])
    conversation = arrive(channel)
    assert conversation.tags == ["right"] and conversation.team == team


@pytest.mark.django_db
def test_round_robin_takes_turns(org, channel, team):
    rule(org, team=team, assignment=AssignmentMode.ROUND_ROBIN)
    assignees = [arrive(channel, author=f"fan{n}").assignee for n in range(4)]
    members = list(team.members.order_by("pk"))
    assert assignees == [members[0], members[1], members[2], members[0]]


@pytest.mark.django_db
def test_load_balanced_picks_the_fewest_open(org, channel, team):
    busy, free, _ = list(team.members.order_by("pk"))
    for n in range(2):
        conversation = arrive(channel, author=f"old{n}")
        conversation.assignee = busy
        conversation.save(update_fields=["assignee"])
    rule(org, team=team, assignment=AssignmentMode.LOAD_BALANCED)
    assert arrive(channel, author="new").assignee in (free, _)
    assert arrive(channel, author="newer").assignee != busy


@pytest.mark.parametrize(
    ("tz", "working"),
    [("Europe/Warsaw", True), ("America/New_York", True), ("Asia/Tokyo", False)],
)
def test_working_hours_are_read_in_each_persons_time_zone(tz, working):
    person = User(time_zone=tz, work_days="01234", work_start=dt.time(9), work_end=dt.time(17))
    assert is_working(person, MONDAY_1400_UTC) is working
    saturday = MONDAY_1400_UTC + dt.timedelta(days=5)
    assert is_working(person, saturday) is False


@pytest.mark.django_db
def test_shift_aware_assigns_only_people_on_shift_and_falls_back_out_of_hours(
    org, channel, team, monkeypatch
):
    fallback = Team.objects.create(organization=org, name="Fallback")
    rule(org, team=team, assignment=AssignmentMode.SHIFT_AWARE, fallback_team=fallback)
    tokyo = team.members.get(time_zone="Asia/Tokyo")
    real = routing.conversation_route
    monkeypatch.setattr(ingest, "conversation_route", lambda **kw: real(now=MONDAY_1400_UTC, **kw))
    assigned = arrive(channel, author="day").assignee
    assert assigned is not None and assigned != tokyo
    sunday_night = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(ingest, "conversation_route", lambda **kw: real(now=sunday_night, **kw))
    night = arrive(channel, author="night")
    assert night.assignee is None and night.team == fallback
