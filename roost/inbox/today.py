"""The inbox's card on Today (declared in `apps.py`, see `roost.core.today`): the viewer's
conversations whose reply is due within the hour or overdue, soonest first, and the
counts of the queues they work from. A selector: the viewer's organisation and channel
groups only, a fixed number of queries however many conversations there are."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import Truncator

from roost.core.models import User
from roost.core.today import ITEMS_SHOWN, TodayCard, TodayCount, TodayItem
from roost.inbox.classify import Priority
from roost.inbox.filters import QUEUE_LABELS, Queue
from roost.inbox.models import Direction, Message
from roost.inbox.selectors import conversation_list, handles_inbox
from roost.inbox.sla.clocks import SlaState

DUE_SOON = dt.timedelta(hours=1)
PRESSING = (SlaState.WARNING, SlaState.BREACHED)


def _queue_url(queue: Queue) -> str:
    return f"{reverse('inbox:index')}?{urlencode({'queue': queue.value})}"


def today_conversations(*, viewer: User, now: dt.datetime) -> TodayCard | None:
    """None for whoever may handle conversations nowhere."""
    if not handles_inbox(viewer):
        return None
    working = conversation_list(viewer=viewer, queue=Queue.ALL)
    mine_pressing = Q(assignee=viewer) & (
        Q(sla_state__in=PRESSING) | Q(sla_due_at__lte=now + DUE_SOON)
    )
    team_ids = list(viewer.teams.values_list("pk", flat=True))
    tally = working.order_by().aggregate(
        mine=Count("pk", filter=Q(assignee=viewer)),
        team=Count("pk", filter=Q(team_id__in=team_ids)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        breaching=Count("pk", filter=Q(sla_state__in=PRESSING)),
        pressing=Count("pk", filter=mine_pressing),
    )
    latest = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.INBOUND
    ).order_by("-created_at", "-pk")
    pressing = (
        working.filter(mine_pressing)
        .annotate(latest_text=Subquery(latest.values("text")[:1]))
        .order_by(F("sla_due_at").asc(nulls_last=True), "pk")
    )
    items = []
    for conversation in pressing[:ITEMS_SHOWN]:
        due = conversation.sla_due_at
        breached = conversation.sla_state == SlaState.BREACHED or (due is not None and due < now)
        who = conversation.author_name or f"@{conversation.author_handle}"
        first_line = (conversation.latest_text or "").strip().splitlines()
        items.append(
            TodayItem(
                label=f"{who} on {conversation.channel.handle} ({conversation.channel.network})",
                url=reverse("inbox:conversation", args=[conversation.pk]),
                detail=Truncator(first_line[0]).chars(90) if first_line else "",
                at=due,
                at_label="Breached" if breached else "Reply due",
                tone="late" if breached else "soon",
                badge=conversation.get_priority_display()
                if conversation.priority in (Priority.URGENT, Priority.HIGH)
                else "",
            )
        )
    counts = [
        TodayCount(label=QUEUE_LABELS[Queue.MINE], count=tally["mine"], url=_queue_url(Queue.MINE)),
        TodayCount(label=QUEUE_LABELS[Queue.TEAM], count=tally["team"], url=_queue_url(Queue.TEAM)),
        TodayCount(
            label=QUEUE_LABELS[Queue.UNASSIGNED],
            count=tally["unassigned"],
            url=_queue_url(Queue.UNASSIGNED),
        ),
        TodayCount(
            label=QUEUE_LABELS[Queue.BREACHING],
            count=tally["breaching"],
            url=_queue_url(Queue.BREACHING),
            tone="late" if tally["breaching"] else "",
        ),
    ]
    return TodayCard(
        key="conversations",
        title="Your conversations due soon",
        items=items,
        total=tally["pressing"],
        url=_queue_url(Queue.MINE),
        url_label="Your queue",
        empty="None of your conversations is due within the hour.",
        counts=counts,
    )
