"""The queues and what a queue view is filtered by, read from a query string or a saved
filter alike.

Anything unknown is dropped rather than refused: an old bookmark or a saved filter from
before a change still opens, showing more rather than failing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from roost.inbox.models import PRIORITY_CHOICES as MODEL_PRIORITY_CHOICES
from roost.inbox.models import ConversationStatus


class Queue(enum.StrEnum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"
    ALL = "all"
    CLOSED = "closed"
    SNOOZED = "snoozed"


QUEUE_LABELS = {
    Queue.MINE: "Mine",
    Queue.TEAM: "My team",
    Queue.UNASSIGNED: "Unassigned",
    Queue.BREACHING: "Breaching soon",
    Queue.ALL: "All open",
    Queue.CLOSED: "Closed",
    Queue.SNOOZED: "Snoozed",
}


class Sort(enum.StrEnum):
    """How a queue is ordered. NEEDS puts what needs a person first: breached, then the
    soonest response target, then the highest priority, then who has waited longest."""

    NEEDS = "needs"
    NEWEST = "newest"
    OLDEST = "oldest"


SORT_LABELS = {
    Sort.NEEDS: "Needs a person first",
    Sort.NEWEST: "Newest first",
    Sort.OLDEST: "Oldest first",
}

MAX_SEARCH = 200
# The statuses a working queue holds; closed and snoozed have queues of their own.
STATUS_CHOICES = {
    ConversationStatus.OPEN.value: ConversationStatus.OPEN.label,
    ConversationStatus.WAITING.value: ConversationStatus.WAITING.label,
}
PRIORITY_CHOICES = dict(MODEL_PRIORITY_CHOICES)


@dataclass(frozen=True)
class ConversationFilter:
    queue: Queue = Queue.ALL
    search: str = ""
    status: str = ""
    priority: str = ""
    sort: Sort = Sort.NEEDS

    def as_query(self) -> dict[str, str]:
        """The filter as stored and as put in a link: only what is set."""
        query = {"queue": self.queue.value, "q": self.search}
        query |= {"status": self.status, "priority": self.priority}
        # The default order is left out, so filters saved before orders existed still match.
        query["sort"] = "" if self.sort is Sort.NEEDS else self.sort.value
        return {key: value for key, value in query.items() if value}

    def urlencode(self) -> str:
        return urlencode(self.as_query())


def filter_from_query(query: Mapping[str, Any]) -> ConversationFilter:
    def text(key: str) -> str:
        value = query.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    try:
        queue = Queue(text("queue") or Queue.ALL)
    except ValueError:
        queue = Queue.ALL
    try:
        sort = Sort(text("sort") or Sort.NEEDS)
    except ValueError:
        sort = Sort.NEEDS
    status = text("status")
    priority = text("priority")
    return ConversationFilter(
        queue=queue,
        search=text("q")[:MAX_SEARCH],
        status=status if status in STATUS_CHOICES else "",
        priority=priority if priority in PRIORITY_CHOICES else "",
        sort=sort,
    )
