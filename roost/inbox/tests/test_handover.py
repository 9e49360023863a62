"""Handing a leaver's assigned conversations to a successor."""

from __future__ import annotations

import pytest

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox.handover import CANNOT_HANDLE, inbox_hand_over, inbox_held
from roost.inbox.models import Conversation, ConversationStatus


def _conversation(channel, n, *, assignee, status=ConversationStatus.OPEN):
    return Conversation.objects.create(
        organization_id=channel.organization_id, channel=channel, key=f"dm:fan{n}",
        kind="direct_message", author_handle=f"fan{n}", assignee=assignee, status=status,
    )  # fmt: skip


@pytest.mark.django_db
def test_open_conversations_move_and_closed_ones_keep_the_leaver(org, admin, channel, make_user):
    leaver = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    successor = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    open_one = _conversation(channel, 1, assignee=leaver)
    waiting = _conversation(channel, 2, assignee=leaver, status=ConversationStatus.WAITING)
    closed = _conversation(channel, 3, assignee=leaver, status=ConversationStatus.CLOSED)

    held = inbox_held(actor=admin, leaver=leaver, successor=successor)
    assert {line.target_id for line in held} == {open_one.pk, waiting.pk}

    moved = inbox_hand_over(actor=admin, leaver=leaver, successor=successor)

    assert {line.target_id for line in moved} == {open_one.pk, waiting.pk}
    assignees = dict(Conversation.objects.values_list("pk", "assignee_id"))
    assert assignees == {open_one.pk: successor.pk, waiting.pk: successor.pk, closed.pk: leaver.pk}
    events = AuditEvent.objects.filter(organization=org, action="inbox.conversation.assigned")
    assert {e.after["assignee"] for e in events} == {successor.email}
    assert inbox_hand_over(actor=admin, leaver=leaver, successor=successor) == []


@pytest.mark.django_db
def test_a_successor_who_cannot_handle_the_channel_leaves_it_in_the_queue(
    org, admin, channel, make_user
):
    leaver = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    successor = make_user(org, Role.COMMUNITY_MANAGER, channel_group=elsewhere)
    conversation = _conversation(channel, 1, assignee=leaver)

    [line] = inbox_hand_over(actor=admin, leaver=leaver, successor=successor)

    assert line.review == CANNOT_HANDLE
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None


@pytest.mark.django_db
def test_another_organisations_successor_is_not_found(org, other_org, admin, channel, make_user):
    leaver = make_user(org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group)
    conversation = _conversation(channel, 1, assignee=leaver)
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        inbox_hand_over(actor=admin, leaver=leaver, successor=stranger)
    assert refused.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ApplicationError) as refused:
        inbox_hand_over(actor=stranger, leaver=leaver, successor=admin)
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == leaver.pk
