"""Reads of listening: always within the viewer's organisation, and only for those the
policy lets read monitors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.inbox.models import Direction, Message
from roost.listening.matching import Post, inbox_post
from roost.listening.models import Alert, Feed, Match, MatchSource, Monitor
from roost.listening.query import Matcher, Query

PREVIEW_DAYS = 7
PREVIEW_SCAN = 5000  # the most recent messages and stored matches looked at
PREVIEW_SHOWN = 20


def monitor_list(*, viewer: User) -> QuerySet[Monitor]:
    require(viewer, Action.LISTENING_VIEW)
    return (
        Monitor.objects.filter(organization_id=viewer.organization_id)
        .select_related("brand")
        .annotate(match_count=Count("matches"))
    )


def monitor_get(*, viewer: User, monitor_id: int) -> Monitor:
    require(viewer, Action.LISTENING_VIEW)
    found = (
        Monitor.objects.filter(organization_id=viewer.organization_id, pk=monitor_id)
        .select_related("brand", "organization")
        .first()
    )
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Monitor not found.")
    return found


def match_list(*, viewer: User, monitor: Monitor) -> QuerySet[Match]:
    require(viewer, Action.LISTENING_VIEW)
    if monitor.organization_id != viewer.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Monitor not found.")
    return Match.objects.filter(organization_id=viewer.organization_id, monitor=monitor)


def alert_list(*, viewer: User, monitor: Monitor | None = None) -> QuerySet[Alert]:
    require(viewer, Action.LISTENING_VIEW)
    alerts = Alert.objects.filter(organization_id=viewer.organization_id).select_related(
        "monitor", "incident"
    )
    return alerts.filter(monitor=monitor) if monitor is not None else alerts


def alert_get(*, viewer: User, alert_id: int) -> Alert:
    found = alert_list(viewer=viewer).filter(pk=alert_id).first()
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Alert not found.")
    return found


def feed_list(*, viewer: User) -> QuerySet[Feed]:
    require(viewer, Action.LISTENING_VIEW)
    return Feed.objects.filter(organization_id=viewer.organization_id)


def feed_get(*, viewer: User, feed_id: int) -> Feed:
    found = feed_list(viewer=viewer).filter(pk=feed_id).first()
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Feed not found.")
    return found


@dataclass
class Preview:
    """What a query would have matched in the last days, from the organisation's inbox
    and what its monitors stored from the public stream and the feeds."""

    looked_at: int = 0
    matched: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_day: list[tuple[dt.date, int]] = field(default_factory=list)
    examples: list[Post] = field(default_factory=list)


def _stored_post(match: Match) -> Post:
    return Post(
        source=MatchSource(match.source),
        external_id=match.external_id,
        text=match.text,
        at=match.at,
        url=match.url,
        author=match.author,
        language=match.language,
        sentiment=match.sentiment,
    )


def query_preview(*, viewer: User, query: Query, now: dt.datetime | None = None) -> Preview:
    """Run a query (saved or not) over the last `PREVIEW_DAYS` days."""
    require(viewer, Action.LISTENING_VIEW)
    now = now or timezone.now()
    since = now - dt.timedelta(days=PREVIEW_DAYS)
    messages = list(
        Message.objects.filter(
            organization_id=viewer.organization_id,
            direction=Direction.INBOUND,
            created_at__gte=since,
        )
        .select_related("channel")
        .order_by("-created_at")[:PREVIEW_SCAN]
    )
    posts = [inbox_post(m, m.channel.handle) for m in messages]
    # Stored matches from other sources, each post once whichever monitors found it.
    seen: set[tuple[str, str]] = set()
    stored = (
        Match.objects.filter(organization_id=viewer.organization_id, at__gte=since)
        .exclude(source=MatchSource.INBOX)
        .order_by("-at")[:PREVIEW_SCAN]
    )
    for match in stored:
        key = (match.source, match.external_id)
        if key not in seen:
            seen.add(key)
            posts.append(_stored_post(match))
    matcher = Matcher.compile({0: query})
    found = matcher.match_many([post.document() for post in posts])
    hits = sorted(
        (post for post, ids in zip(posts, found, strict=True) if ids),
        key=lambda p: p.at,
        reverse=True,
    )
    preview = Preview(looked_at=len(posts), matched=len(hits), examples=hits[:PREVIEW_SHOWN])
    for post in hits:
        label = MatchSource(post.source).label
        preview.by_source[label] = preview.by_source.get(label, 0) + 1
    days: dict[dt.date, int] = {}
    for post in hits:
        day = timezone.localtime(post.at).date()
        days[day] = days.get(day, 0) + 1
    today = timezone.localtime(now).date()
    preview.by_day = [
        (today - dt.timedelta(days=n), days.get(today - dt.timedelta(days=n), 0))
        for n in range(PREVIEW_DAYS - 1, -1, -1)
    ]
    return preview
