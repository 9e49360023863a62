"""The public Bluesky stream (`com.atproto.sync.subscribeRepos`) as a source.

    roost listen --service wss://bsky.network/xrpc

One consumer reads the repository event stream through the atproto SDK's firehose
client, keeps the new posts (`app.bsky.feed.post` records created), runs them through
every monitor that reads the public stream, and stores the matches.

Nothing is lost or doubled across a restart: the stream's sequence number (the
cursor) is stored in the same transaction as the matches of the events up to it, and
a restarted consumer asks the stream to resume after it. Events read but not yet
stored when the consumer stops are read again; a match is unique per monitor, source
and post, so reading one twice stores it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from atproto import CAR, FirehoseSubscribeReposClient, models, parse_subscribe_repos_message
from django.db import close_old_connections, transaction
from django.utils import timezone

from roost.inbox.classify import UNDETERMINED, classify
from roost.listening.matching import Post, matches_store, monitors_active, posts_match
from roost.listening.models import MatchSource, Monitor, SourceCursor

logger = logging.getLogger(__name__)
POST_COLLECTION = "app.bsky.feed.post"
DEFAULT_SERVICE = "wss://bsky.network/xrpc"
FLUSH_EVERY = 0.5  # seconds: how long read events may wait before they are stored
FLUSH_SIZE = 500  # posts: store at once when this many are waiting
MONITORS_EVERY = 30.0  # seconds: how often the list of monitors is read again
WEB_URL = "https://bsky.app/profile/{did}/post/{rkey}"


def cursor_name(service: str) -> str:
    return f"bluesky:{service.rstrip('/')}"


def cursor_read(service: str) -> int | None:
    found = SourceCursor.objects.filter(name=cursor_name(service)).first()
    return found.position if found is not None and found.position else None


def _created_at(value: str, fallback: dt.datetime) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return fallback
    if moment.tzinfo is None:
        return fallback
    # A client's clock may be wrong: a post is never later than when it was seen.
    return min(moment, fallback)


def commit_posts(commit: Any, *, now: dt.datetime) -> list[Post]:
    """The posts a repository commit created."""
    if not commit.blocks:
        return []
    wanted = [
        op
        for op in commit.ops
        if op.action == "create" and op.path.startswith(POST_COLLECTION + "/") and op.cid
    ]
    if not wanted:
        return []
    car = CAR.from_bytes(commit.blocks)
    posts = []
    for op in wanted:
        record = car.blocks.get(op.cid)
        if not isinstance(record, dict) or record.get("$type") != POST_COLLECTION:
            continue
        text = str(record.get("text") or "")
        if not text:
            continue
        rkey = op.path.split("/", 1)[1]
        languages = record.get("langs") or []
        labels = classify(text, language_hint=str(languages[0]) if languages else "")
        language = labels.language if labels.language != UNDETERMINED else ""
        posts.append(
            Post(
                source=MatchSource.BLUESKY,
                external_id=f"at://{commit.repo}/{op.path}",
                text=text,
                at=_created_at(str(record.get("createdAt") or ""), now),
                url=WEB_URL.format(did=commit.repo, rkey=rkey),
                author=commit.repo,
                language=language or (str(languages[0])[:8] if languages else ""),
                sentiment=labels.sentiment.value,
                intent=labels.intent.value,
            )
        )
    return posts


class StreamConsumer:
    """Reads the stream until stopped; `run()` blocks, `stop()` ends it (from any
    thread) after storing what was read."""

    def __init__(
        self,
        *,
        service: str = DEFAULT_SERVICE,
        on_stored: Callable[[int, int], None] | None = None,
    ) -> None:
        self.service = service.rstrip("/")
        self.on_stored = on_stored  # (sequence stored, matches new): for logs and tests
        self._lock = threading.Lock()
        self._pending: list[Post] = []
        self._seq: int | None = None  # the last sequence number read
        self._stored_seq: int | None = None
        self._monitors: list[Monitor] = []
        self._monitors_read = 0.0
        self._stopped = threading.Event()
        self._client: FirehoseSubscribeReposClient | None = None

    # -- reading -------------------------------------------------------------------

    def run(self) -> None:
        start = cursor_read(self.service)
        self._stored_seq = start
        params = models.ComAtprotoSyncSubscribeRepos.Params(cursor=start) if start else None
        self._client = FirehoseSubscribeReposClient(params, base_uri=self.service)
        flusher = threading.Thread(target=self._flush_loop, name="roost-stream-flush", daemon=True)
        flusher.start()
        try:
            self._client.start(self._on_message)
        finally:
            self._stopped.set()
            flusher.join(timeout=10)
            self.flush()
            close_old_connections()

    def stop(self) -> None:
        self._stopped.set()
        if self._client is not None:
            self._client.stop()

    def _on_message(self, message: Any) -> None:
        if self._stopped.is_set():
            return
        try:
            event = parse_subscribe_repos_message(message)
        except Exception:
            logger.exception("an event of the stream could not be read; skipped")
            return
        seq = getattr(event, "seq", None)
        if seq is None:
            return
        posts: list[Post] = []
        if isinstance(event, models.ComAtprotoSyncSubscribeRepos.Commit):
            try:
                posts = commit_posts(event, now=timezone.now())
            except Exception:
                # One malformed commit must not stop the stream (nor be read forever).
                logger.exception("commit %s of the stream could not be read; skipped", seq)
        with self._lock:
            self._pending.extend(posts)
            self._seq = seq
            # The client resumes from here if it has to reconnect.
            if self._client is not None:
                self._client.update_params(models.ComAtprotoSyncSubscribeRepos.Params(cursor=seq))
            full = len(self._pending) >= FLUSH_SIZE
        if full:
            self.flush()

    # -- storing -------------------------------------------------------------------

    def _flush_loop(self) -> None:
        while not self._stopped.wait(FLUSH_EVERY):
            try:
                self.flush()
            except Exception:
                logger.exception("storing what the stream read failed; retrying")
        close_old_connections()

    def _monitors_now(self) -> list[Monitor]:
        if time.monotonic() - self._monitors_read > MONITORS_EVERY or not self._monitors_read:
            self._monitors = monitors_active(public=True)
            self._monitors_read = time.monotonic()
        return self._monitors

    def monitors_changed(self) -> None:
        """Read the monitors again before the next batch (after a change)."""
        self._monitors_read = 0.0

    def flush(self) -> int:
        """Store the matches of what was read and the cursor after it, in one
        transaction; return how many matches were new."""
        with self._lock:
            posts, seq = self._pending, self._seq
            if seq is None or seq == self._stored_seq:
                return 0
            self._pending = []
            try:
                stored = self._store(posts, seq)
            except Exception:
                self._pending = posts + self._pending  # kept for the next try
                raise
            self._stored_seq = seq
        if self.on_stored is not None:
            self.on_stored(seq, stored)
        return stored

    def _store(self, posts: list[Post], seq: int) -> int:
        with transaction.atomic():
            stored = matches_store(posts_match(posts=posts, monitors=self._monitors_now()))
            cursor, _ = SourceCursor.objects.select_for_update().get_or_create(
                name=cursor_name(self.service)
            )
            cursor.position, cursor.updated_at = seq, timezone.now()
            cursor.save(update_fields=["position", "updated_at"])
        return stored
