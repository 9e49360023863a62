"""Which SLA policy times a conversation: urgent and VIP conversations get the urgent
target unless a policy names both their channel and their priority."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.core.models import Role
from roost.inbox import ingest
from roost.inbox.classify import Priority
from roost.inbox.models import Conversation, SlaPolicy
from roost.inbox.selectors import Queue, conversation_list
from roost.inbox.sla.services import (
    DEFAULT_TARGET,
    URGENT_TARGET,
    conversation_sla_refresh,
    fallback_target,
    policy_among,
    target_for,
)
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

HERE, ELSEWHERE = 1, 2
# name: (channel, priority, intent); the dictionary's order is the policies' age.
POLICIES = {
    "any": (None, "", ""),
    "this channel": (HERE, "", ""),
    "urgent": (None, Priority.URGENT, ""),
    "high": (None, Priority.HIGH, ""),
    "complaints": (None, "", "complaint"),
    "urgent complaints": (None, Priority.URGENT, "complaint"),
    "this channel, urgent": (HERE, Priority.URGENT, ""),
    "this channel, high": (HERE, Priority.HIGH, ""),
    "elsewhere, urgent": (ELSEWHERE, Priority.URGENT, ""),
    "this channel, urgent complaints": (HERE, Priority.URGENT, "complaint"),
}


def policies(*names: str) -> list[SlaPolicy]:
    made = []
    for pk, (name, (channel, priority, intent)) in enumerate(POLICIES.items(), start=1):
        if name in names:
            made.append(
                SlaPolicy(pk=pk, name=name, channel_id=channel, priority=priority, intent=intent)
            )
    return made


# (priority, intent, vip, the policies there are, the one chosen; None: built-in target)
TABLE = [
    # Ordinary conversations: the channel first, then the priority, then the intent.
    ("normal", "question", False, ["any", "this channel", "high"], "this channel"),
    ("high", "question", False, ["any", "this channel", "high"], "this channel"),
    ("high", "question", False, ["any", "high", "complaints"], "high"),
    ("normal", "complaint", False, ["any", "complaints"], "complaints"),
    ("normal", "question", False, ["elsewhere, urgent"], None),
    # Urgent: a channel's own policy does not beat the priority...
    ("urgent", "question", False, ["any", "this channel", "urgent"], "urgent"),
    ("urgent", "question", False, ["any", "this channel", "complaints"], None),
    ("urgent", "complaint", False, ["complaints", "urgent"], "urgent"),
    ("urgent", "complaint", False, ["urgent", "urgent complaints"], "urgent complaints"),
    ("urgent", "question", False, ["elsewhere, urgent", "urgent"], "urgent"),
    ("urgent", "question", False, ["elsewhere, urgent", "this channel"], None),
    # ... unless the policy names both the channel and the priority.
    ("urgent", "question", False, ["urgent", "this channel, urgent"], "this channel, urgent"),
    (
        "urgent",
        "complaint",
        False,
        ["this channel, urgent", "this channel, urgent complaints"],
        "this channel, urgent complaints",
    ),
    # A VIP's conversation is timed as an urgent one, whatever its priority ...
    ("high", "question", True, ["any", "this channel", "high", "urgent"], "urgent"),
    ("normal", "question", True, ["this channel", "high"], None),
    ("high", "question", True, ["urgent", "this channel, high"], "this channel, high"),
    ("high", "question", True, ["urgent", "this channel, urgent"], "urgent"),
    # ... except spam, which is low whoever sends it.
    ("low", "question", True, ["this channel", "urgent"], "this channel"),
]


@pytest.mark.parametrize(("priority", "intent", "vip", "there", "chosen"), TABLE)
def test_the_precedence_table(priority, intent, vip, there, chosen):
    found = policy_among(
        policies(*there), channel_id=HERE, priority=priority, intent=intent, vip=vip
    )
    assert (found.name if found else None) == chosen


@pytest.mark.parametrize(
    ("priority", "vip", "target"),
    [
        ("urgent", False, URGENT_TARGET),
        ("high", True, URGENT_TARGET),
        ("normal", True, URGENT_TARGET),
        ("low", True, DEFAULT_TARGET),
        ("high", False, DEFAULT_TARGET),
        ("normal", False, DEFAULT_TARGET),
    ],
)
def test_the_built_in_target_when_no_policy_applies(priority, vip, target):
    assert fallback_target(priority=priority, vip=vip) == target
    assert URGENT_TARGET.first_response_seconds == 3600


def _arrive(org, channel, make_user, *, author: str, text: str) -> Conversation:
    sandbox_inbound_add(account=account(), kind="mention", author_handle=author, text=text)
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get(author_handle=author)
    conversation.assignee = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group
    )
    conversation.save(update_fields=["assignee"])
    return conversation


@pytest.mark.django_db
def test_an_urgent_conversation_under_a_channel_office_hours_policy_breaches_soon(
    org, channel, make_user
):
    """The channel's office-hours policy (closed all week) would give it days; the urgent
    target gives it an hour, so three quarters of an hour on it is under Breaching soon."""
    SlaPolicy.objects.create(
        organization=org, name="Office hours", channel=channel, first_response_minutes=4 * 60,
        time_zone="Europe/Warsaw", business_hours={"0": ["09:00-10:00"]},
    )  # fmt: skip
    urgent = _arrive(
        org, channel, make_user, author="legal_eagle",
        text="We are filing a lawsuit over the recall unless someone calls us today.",
    )  # fmt: skip
    assert urgent.priority == Priority.URGENT
    assert target_for(urgent) == URGENT_TARGET
    arrived = urgent.first_message_at
    conversation_sla_refresh(conversation=urgent, now=arrived + dt.timedelta(minutes=10))
    assert urgent.sla_state == "ok"
    assert urgent.sla_due_at == arrived + dt.timedelta(hours=1)
    viewer = urgent.assignee
    assert urgent not in conversation_list(viewer=viewer, queue=Queue.BREACHING)
    conversation_sla_refresh(conversation=urgent, now=arrived + dt.timedelta(minutes=46))
    assert urgent.sla_state == "warning"
    assert list(conversation_list(viewer=viewer, queue=Queue.BREACHING)) == [urgent]


@pytest.mark.django_db
def test_a_vip_conversation_is_marked_on_arrival_and_gets_the_urgent_policy(
    org, channel, make_user, signed_in
):
    SlaPolicy.objects.create(organization=org, name="This channel", channel=channel)
    SlaPolicy.objects.create(
        organization=org, name="Urgent", priority=Priority.URGENT, first_response_minutes=30
    )
    # A verified magazine with 182,000 followers on the sandbox network (its profiles).
    vip = _arrive(
        org, channel, make_user, author="nordic_outdoor_mag", text="Quick question for you"
    )
    ordinary = _arrive(org, channel, make_user, author="ola", text="Quick question for you")
    assert vip.vip and not ordinary.vip
    assert target_for(vip).first_response_seconds == 30 * 60
    assert target_for(ordinary).first_response_seconds == 24 * 60 * 60  # "This channel"
    client = signed_in(vip.assignee)
    assert "priority · VIP" in client.get(f"/inbox/c/{vip.pk}/").content.decode()
    assert "· VIP" not in client.get(f"/inbox/c/{ordinary.pk}/").content.decode()
