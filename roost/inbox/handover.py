"""Handing a leaver's assigned conversations to a successor.

Every conversation assigned to the leaver that is not closed moves: to the successor
when they may handle conversations on its channel, else back to the queue unassigned
(an assignee who cannot open the conversation would leave it stranded), with a note to
review it. Closed conversations keep the leaver as they were, and so do messages,
replies and notes.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from roost.core import audit
from roost.core.actors import Actor
from roost.core.handover import HandoverLine, handover_check
from roost.core.locks import locked
from roost.core.models import ChannelGroup, User
from roost.core.permissions import Action, can
from roost.inbox.models import Conversation, ConversationStatus

CANNOT_HANDLE = (
    "The successor may not handle conversations on this channel: it is back in the queue, "
    "unassigned."
)


def _assigned(leaver: User) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(organization_id=leaver.organization_id, assignee=leaver)
        .exclude(status=ConversationStatus.CLOSED)
        .select_related("channel__channel_group")
        .order_by("pk")
    )


def _may_handle(successor: User, group: ChannelGroup) -> bool:
    return can(successor, Action.INBOX_HANDLE, channel_group=group)


def _line(conversation: Conversation, detail: str, review: str) -> HandoverLine:
    return HandoverLine(
        kind="conversation",
        target_type=Conversation._meta.label_lower,
        target_id=conversation.pk,
        label=f"{conversation} ({ConversationStatus(conversation.status).label.lower()})",
        detail=detail,
        url=reverse("inbox:conversation", args=[conversation.pk]),
        review=review,
    )


def inbox_held(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """The leaver's open conversations, and where each would go."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    lines = []
    for conversation in _assigned(leaver):
        if _may_handle(successor, conversation.channel.channel_group):
            lines.append(_line(conversation, f"Assignee becomes {successor}", ""))
        else:
            lines.append(_line(conversation, "Goes back to the queue, unassigned", CANNOT_HANDLE))
    return lines


def inbox_hand_over(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """Assign the leaver's open conversations to the successor (or back to the queue),
    audited one by one; answers what moved. Safe to repeat."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    lines: list[HandoverLine] = []
    entries: list[audit.Entry] = []
    to_successor: list[int] = []
    to_queue: list[int] = []
    with transaction.atomic():
        for conversation in locked(_assigned(leaver), of=("self",)):
            if _may_handle(successor, conversation.channel.channel_group):
                to_successor.append(conversation.pk)
                after, line = successor.email, _line(conversation, f"Assigned to {successor}", "")
            else:
                to_queue.append(conversation.pk)
                after, line = None, _line(conversation, "Back in the queue", CANNOT_HANDLE)
            lines.append(line)
            entries.append(
                audit.Entry(
                    action="inbox.conversation.assigned",
                    actor=actor,
                    target=conversation,
                    before={"assignee": leaver.email},
                    after={"assignee": after, "handed_over_from": leaver.email},
                )
            )
        Conversation.objects.filter(pk__in=to_successor).update(assignee=successor)
        Conversation.objects.filter(pk__in=to_queue).update(assignee=None)
        audit.record_many(organization=leaver.organization, entries=entries)
    return lines
