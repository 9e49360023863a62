"""Surges: many people writing nearly the same thing about one topic in a short time
("where is my order?", "the app is down"), shown as one group a person can handle at
once (assign, tag, answer with one saved reply, close) while each customer still gets a
reply of their own (`roost.inbox.bulk`).

Kept deliberately simple: each conversation's latest message from the audience is
reduced to its words (lower case, without links, mentions, numbers and punctuation),
and two messages are alike when their sets of words overlap enough (Jaccard index).
Messages join the first group whose first message they resemble, oldest first, so the
grouping of the same messages is always the same.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from roost.core.models import User
from roost.inbox import selectors
from roost.inbox.filters import ConversationFilter
from roost.inbox.models import Conversation
from roost.inbox.surge_incidents import SurgeIncident

# What "near-identical" means: at least this share of the two messages' words in common.
SIMILARITY = 0.6
# A surge is at least this many conversations...
MIN_GROUP = 3
# ...whose latest messages arrived within this window before now.
WINDOW = dt.timedelta(hours=6)
# The most recent conversations looked at; a surge bigger than this still shows, partly.
MAX_LOOKED_AT = 400
# Messages with fewer words than this are too short to say two people mean the same.
MIN_WORDS = 3

_LINK = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_NOT_A_WORD = re.compile(r"[^\w\s]|\d|_")


def words_of(text: str) -> frozenset[str]:
    """The words of a message that say what it is about, without case, links, mentions,
    hashtags, numbers (order numbers differ) or punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _MENTION.sub(" ", _LINK.sub(" ", text))
    text = _NOT_A_WORD.sub(" ", text)
    return frozenset(word for word in text.split() if len(word) > 1)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class Surge:
    sample: str
    """The first message of the group, as the audience wrote it."""
    words: frozenset[str]
    conversations: list[Conversation] = field(default_factory=list)
    # The incident its conversations are linked to, if any (`roost.inbox.surge_incidents`).
    incident: SurgeIncident | None = None

    @property
    def ids(self) -> list[int]:
        return [c.pk for c in self.conversations]

    @property
    def size(self) -> int:
        return len(self.conversations)


def surges_group(
    items: Iterable[tuple[Conversation, str]],
    *,
    threshold: float = SIMILARITY,
    min_group: int = MIN_GROUP,
) -> list[Surge]:
    """Group (conversation, latest text) pairs, given oldest first, into surges of at
    least `min_group`; the biggest first."""
    groups: list[Surge] = []
    for conversation, text in items:
        words = words_of(text)
        if len(words) < MIN_WORDS:
            continue
        for group in groups:
            if similarity(words, group.words) >= threshold:
                group.conversations.append(conversation)
                break
        else:
            groups.append(Surge(sample=text, words=words, conversations=[conversation]))
    surges = [group for group in groups if group.size >= min_group]
    return sorted(surges, key=lambda group: -group.size)


def surge_list(
    *, viewer: User, filters: ConversationFilter, now: dt.datetime | None = None
) -> list[Surge]:
    """The surges among the viewer's queue (`filters`, so tenancy and channel groups
    apply) in the last `WINDOW`. One query."""
    since = (now or timezone.now()) - WINDOW
    recent = (
        selectors.conversation_queue(viewer=viewer, filters=filters)
        .filter(last_message_at__gte=since)
        .order_by("-last_message_at", "-pk")[:MAX_LOOKED_AT]
    )
    pairs: Sequence[tuple[Conversation, str]] = [
        (c, getattr(c, "latest_text", None) or "") for c in recent
    ]
    return surges_group(reversed(pairs))
