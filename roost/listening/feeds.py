"""News feeds (RSS and Atom) as a source: each organisation's feeds, polled on the
worker's clock with conditional requests, their entries run through that
organisation's monitors only.

Feeds are fetched only from public servers over https (`roost.channels.destinations`:
the same rule as every address a person names). A feed answers 304 when nothing changed
since its ETag or Last-Modified; otherwise every entry is matched again and the unique
matches keep it from being stored twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any

import feedparser
import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from roost.channels.destinations import guarded_transport
from roost.core.web_links import web_link
from roost.listening.matching import Post, matches_store, monitors_active, posts_match
from roost.listening.models import Feed, MatchSource

logger = logging.getLogger(__name__)
TIMEOUT = 15.0
MAX_BYTES = 5_000_000
POLL_EVERY = dt.timedelta(minutes=15)
USER_AGENT = "Roost listening (feed reader)"


def _entry_time(entry: Any, fallback: dt.datetime) -> dt.datetime:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)
    return fallback


def feed_posts(feed: Feed, content: bytes, *, now: dt.datetime) -> list[Post]:
    """The feed's entries as posts: title and summary are the text; the entry's id (or
    its link) is its identity."""
    parsed = feedparser.parse(content)
    posts = []
    for entry in parsed.entries:
        identity = entry.get("id") or entry.get("link") or entry.get("title")
        if not identity:
            continue
        text = " ".join(
            part for part in (entry.get("title", ""), strip_tags(entry.get("summary", ""))) if part
        )
        posts.append(
            Post(
                source=MatchSource.FEED,
                external_id=f"{feed.pk}:{identity}",
                text=text,
                at=min(_entry_time(entry, now), now),
                url=web_link(entry.get("link", "")),
                author=entry.get("author", "") or parsed.feed.get("title", ""),
                language=(parsed.feed.get("language") or "")[:2].lower(),
            )
        )
    return posts


def feed_poll(*, feed: Feed, now: dt.datetime | None = None) -> int:
    """Fetch the feed (conditionally) and store its new matches; return how many.

    Precondition: not inside a transaction (fetching calls the network)."""
    now = now or timezone.now()
    headers = {"User-Agent": USER_AGENT}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    try:
        # A feed's address is a person's say-so: only public servers are called.
        with httpx.Client(transport=guarded_transport(), timeout=TIMEOUT) as client:
            answer = client.get(feed.url, headers=headers, follow_redirects=True)
    except httpx.HTTPError as error:
        Feed.objects.filter(pk=feed.pk).update(polled_at=now, last_error=str(error)[:300])
        return 0
    if answer.status_code == 304:
        Feed.objects.filter(pk=feed.pk).update(polled_at=now, last_error="")
        return 0
    if answer.status_code >= 400 or len(answer.content) > MAX_BYTES:
        Feed.objects.filter(pk=feed.pk).update(
            polled_at=now, last_error=f"The feed answered {answer.status_code}."[:300]
        )
        return 0
    posts = feed_posts(feed, answer.content, now=now)
    with transaction.atomic():
        monitors = monitors_active(organization_id=feed.organization_id)
        stored = matches_store(posts_match(posts=posts, monitors=monitors))
        feed.etag = answer.headers.get("ETag", "")[:200]
        feed.modified = answer.headers.get("Last-Modified", "")[:100]
        feed.polled_at, feed.last_error = now, ""
        feed.save(update_fields=["etag", "modified", "polled_at", "last_error"])
    return stored


def feeds_poll_due(*, now: dt.datetime | None = None) -> int:
    """Poll every active feed not polled within `POLL_EVERY`; return the new matches."""
    now = now or timezone.now()
    stored = 0
    due = Feed.objects.filter(active=True).exclude(polled_at__gt=now - POLL_EVERY).order_by("pk")
    for feed in due:
        try:
            stored += feed_poll(feed=feed, now=now)
        except Exception:
            logger.exception("polling feed %s failed", feed.pk)
    return stored
