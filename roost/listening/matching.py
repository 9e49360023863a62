"""Running monitors over posts from any source, and storing what they matched.

Every source (the inbox, the public Bluesky stream, news feeds) turns what it read into
`Post`s and hands a batch to `posts_match`, which evaluates all the monitors given at
once with one compiled matcher, then to `matches_store`. A match is unique per monitor,
source and the source's own id, so a batch read twice stores nothing twice.

Tenancy: the monitors given decide whose matches are made. The inbox and the feeds of
an organisation are run through that organisation's monitors only; the public stream,
being public, through every monitor that asked for it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel
from roost.inbox.models import Direction, Message
from roost.listening.models import Match, MatchSource, Monitor, SourceCursor
from roost.listening.query import Document, Matcher, QuerySyntaxError, parse

MAX_TEXT = 4000


@dataclass(frozen=True)
class Post:
    """Something a source read, as the monitors see it."""

    source: MatchSource
    external_id: str
    text: str
    at: dt.datetime
    url: str = ""
    author: str = ""
    language: str = ""
    channel: str = ""
    sentiment: str = ""
    intent: str = ""

    def document(self) -> Document:
        return Document(
            text=self.text,
            language=self.language,
            channel=self.channel,
            sentiment=self.sentiment,
            intent=self.intent,
        )


# Compiled matchers by the exact monitors they hold: a matcher is rebuilt only when a
# monitor is added, changed or removed (compiling thousands of queries is not free), and
# the compiled patterns are kept on disk, so a restart does not compile them again.
_compiled: dict[frozenset[tuple[int, str]], Matcher[int]] = {}
_compiled_lock = threading.Lock()
MAX_COMPILED = 64


def matcher_for(monitors: Sequence[Monitor]) -> Matcher[int]:
    key = frozenset((m.pk, m.query) for m in monitors)
    with _compiled_lock:
        found = _compiled.get(key)
    if found is not None:
        return found
    queries = {}
    for monitor in monitors:
        try:
            queries[monitor.pk] = parse(monitor.query)
        except QuerySyntaxError:
            continue  # saved before a stricter parser; the monitor's page shows the error
    matcher = Matcher.compile(queries, cache_dir=settings.VAR_DIR / "matchers")
    with _compiled_lock:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        _compiled[key] = matcher
    return matcher


def posts_match(*, posts: Sequence[Post], monitors: Sequence[Monitor]) -> list[Match]:
    """The matches (not stored) of the posts by the monitors, in one pass of the
    compiled matcher over the batch."""
    if not posts or not monitors:
        return []
    by_id = {m.pk: m for m in monitors}
    found = matcher_for(monitors).match_many([post.document() for post in posts])
    matches = []
    for post, monitor_ids in zip(posts, found, strict=True):
        for monitor_id in sorted(monitor_ids):
            monitor = by_id[monitor_id]
            matches.append(
                Match(
                    organization_id=monitor.organization_id,
                    monitor_id=monitor.pk,
                    source=post.source,
                    external_id=post.external_id[:400],
                    url=post.url[:800],
                    text=post.text[:MAX_TEXT],
                    author=post.author[:200],
                    language=post.language[:8],
                    sentiment=post.sentiment[:10],
                    at=post.at,
                )
            )
    return matches


def matches_store(matches: Iterable[Match]) -> int:
    """Store the matches not stored yet; return how many were new."""
    matches = list(matches)
    if not matches:
        return 0
    keys = {(m.monitor_id, m.source, m.external_id) for m in matches}
    monitor_ids = {m.monitor_id for m in matches}
    stored = set(
        Match.objects.filter(
            monitor_id__in=monitor_ids, external_id__in={k[2] for k in keys}
        ).values_list("monitor_id", "source", "external_id")
    )
    Match.objects.bulk_create(matches, ignore_conflicts=True)
    return len(keys - stored)


def monitors_active(*, organization_id: int | None = None, public: bool = False) -> list[Monitor]:
    """The monitors that read a source: an organisation's, or (`public`) every monitor
    that reads the public stream."""
    monitors = Monitor.objects.filter(active=True)
    if organization_id is not None:
        monitors = monitors.filter(organization_id=organization_id)
    if public:
        monitors = monitors.filter(public_stream=True)
    return list(monitors.order_by("pk"))


# --- the inbox as a source ---------------------------------------------------------

INBOX_CURSOR = "inbox"
INBOX_BATCH = 2000
# Messages are numbered when they are built and committed a moment later, so a message
# may commit after one with a higher number was read: the last minutes are read again
# (what was matched already is not stored twice).
INBOX_RESCAN = dt.timedelta(minutes=5)


def inbox_post(message: Message, channel_handle: str) -> Post:
    return Post(
        source=MatchSource.INBOX,
        external_id=str(message.pk),
        text=message.text,
        at=message.created_at,
        url=message.url,
        author=message.author_handle,
        language=message.language,
        channel=channel_handle,
        sentiment=message.sentiment,
        intent=message.intent,
    )


def _inbox_match(messages: list[Message]) -> int:
    handles = dict(
        Channel.objects.filter(pk__in={m.channel_id for m in messages}).values_list("pk", "handle")
    )
    by_org: dict[int, list[Post]] = {}
    for message in messages:
        by_org.setdefault(message.organization_id, []).append(
            inbox_post(message, handles.get(message.channel_id, ""))
        )
    stored = 0
    for organization_id, posts in by_org.items():
        monitors = monitors_active(organization_id=organization_id)
        stored += matches_store(posts_match(posts=posts, monitors=monitors))
    return stored


def inbox_scan(*, now: dt.datetime | None = None) -> int:
    """Run the inbound messages stored since the last scan through their organisation's
    monitors; return how many matches were new. Safe to run twice and from two workers
    (they take turns on the cursor)."""
    now = now or timezone.now()
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    total = 0
    with transaction.atomic():
        cursor, _ = SourceCursor.objects.get_or_create(name=INBOX_CURSOR)
        cursor = SourceCursor.objects.select_for_update().get(pk=cursor.pk)
        recent = list(inbound.filter(pk__lte=cursor.position, received_at__gte=now - INBOX_RESCAN))
        if recent:
            total += _inbox_match(recent)
    while True:
        with transaction.atomic():
            cursor = SourceCursor.objects.select_for_update().get(name=INBOX_CURSOR)
            messages = list(inbound.filter(pk__gt=cursor.position).order_by("pk")[:INBOX_BATCH])
            if not messages:
                return total
            total += _inbox_match(messages)
            cursor.position, cursor.updated_at = messages[-1].pk, now
            cursor.save(update_fields=["position", "updated_at"])
        if len(messages) < INBOX_BATCH:
            return total


BACKFILL = dt.timedelta(days=7)


def monitor_backfill(*, monitor_id: int, now: dt.datetime | None = None) -> int:
    """Run a new or changed monitor over its organisation's inbound messages of the last
    `BACKFILL`, so that it shows what it would have found; return the new matches. Safe
    to run twice."""
    monitor = Monitor.objects.filter(pk=monitor_id, active=True).first()
    if monitor is None:
        return 0
    now = now or timezone.now()
    messages = list(
        Message.objects.filter(
            organization_id=monitor.organization_id,
            direction=Direction.INBOUND,
            created_at__gte=now - BACKFILL,
        ).order_by("pk")[: INBOX_BATCH * 5]
    )
    if not messages:
        return 0
    handles = dict(
        Channel.objects.filter(pk__in={m.channel_id for m in messages}).values_list("pk", "handle")
    )
    posts = [inbox_post(m, handles.get(m.channel_id, "")) for m in messages]
    return matches_store(posts_match(posts=posts, monitors=[monitor]))
