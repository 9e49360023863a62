"""The connector for Bluesky and any other AT Protocol server (PDS).

The channel's handle is the login identifier, the secret an app password, and
`channel.settings["service"]` the server (https://bsky.social unless set). Every
call goes to that server; on the real network it forwards the `app.bsky.*`
calls (notifications, post views) to Bluesky's AppView. A bare PDS has no
AppView, so `fetch` and `metrics` raise `PermanentError` there.

Publishing is idempotent: the record key of a post is derived from the
idempotency key, so a retried create collides with the first one and
`lookup` finds the post by that key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
from atproto_client import Client, models
from atproto_client.client.base import is_method_not_served
from atproto_client.exceptions import (
    LoginRequiredError,
    ModelError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from roost.catalogue.text_length import (
    CountMethod,
    OverrunKind,
    TextLimits,
    count_graphemes,
    overruns,
    split_urls,
)
from roost.channels.connectors.base import (
    Account,
    Capability,
    ChannelRef,
    ChannelStats,
    Connector,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    FetchPage,
    Inbound,
    InboundKind,
    MediaItem,
    PermanentError,
    PostMetrics,
    ProfileStats,
    Published,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.destinations import DestinationRefused, guarded_transport, url_check

logger = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_WEB = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
PROFILE_COLLECTION = "app.bsky.actor.profile"
# A thread's gate: who may reply, and which replies its author hid (`hiddenReplies`).
THREADGATE_COLLECTION = "app.bsky.feed.threadgate"

# Limits of the app.bsky.feed.post lexicon (the catalogue's Bluesky text rules agree).
MAX_GRAPHEMES = 300
MAX_TEXT_BYTES = 3000
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
MAX_TAG_GRAPHEMES = 64
TEXT_LIMITS = TextLimits(
    method=CountMethod.GRAPHEMES, limit=MAX_GRAPHEMES, byte_limit=MAX_TEXT_BYTES
)

REQUEST_TIMEOUT_S = 30.0
DEFAULT_RETRY_AFTER_S = 60.0
NOTIFICATION_PAGE_SIZE = 100
# Paging back to the cursor stops here; older notifications are left unread.
MAX_NOTIFICATION_PAGES = 20
# app.bsky.actor.getProfiles takes at most this many actors a call.
PROFILES_PER_CALL = 25
# Another account's recent posts: read its feed back this far, at most this many pages.
PROFILE_RECENT = dt.timedelta(hours=24)
AUTHOR_FEED_PAGE_SIZE = 100
MAX_AUTHOR_FEED_PAGES = 5

# Error names the servers send (XRPC `error` field).
_EXPIRED_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
_REVOKED_ERRORS = frozenset(
    {"AuthenticationRequired", "AccountTakedown", "AccountDeactivated", "AuthFactorTokenRequired"}
)
_NO_APPVIEW_MESSAGE = "No service configured for"

_INBOUND_REASONS: dict[str, InboundKind] = {
    "mention": InboundKind.MENTION,
    "reply": InboundKind.REPLY,
    "quote": InboundKind.MENTION,
}

T = TypeVar("T")


# Text: length, facets, record keys. Pure functions, no network.


def text_problem(text: str) -> str:
    """Why Bluesky would refuse this post text, or "" when it is acceptable."""
    for overrun in overruns(text, TEXT_LIMITS):
        if overrun.kind is OverrunKind.TOO_LONG:
            return f"The text is {overrun.used} graphemes long; Bluesky allows {overrun.limit}."
        return f"The text is {overrun.used} bytes of UTF-8; Bluesky allows {overrun.limit}."
    return ""


@dataclass(frozen=True)
class FacetSpan:
    """A link, mention or hashtag found in post text, with UTF-8 byte offsets.

    `value` is the URL for a link, the handle (without "@") for a mention and
    the tag (without "#") for a hashtag.
    """

    kind: Literal["link", "mention", "tag"]
    byte_start: int
    byte_end: int
    value: str


_MENTION = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)")
_HANDLE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
# Characters that end a hashtag besides whitespace: soft hyphen, word joiner, zero-width
# spaces and joiners, the enclosing keycap.
_TAG_BREAKS = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_HASHTAG = re.compile(rf"(?:^|(?<=\s))[#＃]([^\s{_TAG_BREAKS}]+)")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _span(
    text: str, kind: Literal["link", "mention", "tag"], start: int, end: int, value: str
) -> FacetSpan:
    return FacetSpan(kind, _byte_offset(text, start), _byte_offset(text, end), value)


def _link_spans(text: str) -> list[FacetSpan]:
    spans: list[FacetSpan] = []
    position = 0
    for piece, is_url in split_urls(text):
        if is_url:
            spans.append(_span(text, "link", position, position + len(piece), piece))
        position += len(piece)
    return spans


def _mention_spans(text: str) -> list[FacetSpan]:
    spans: list[FacetSpan] = []
    for match in _MENTION.finditer(text):
        # A handle never ends in "." or "-": those belong to the sentence.
        handle = match.group(1).rstrip(".-")
        if not _HANDLE.match(handle):
            continue
        start = match.start()
        spans.append(_span(text, "mention", start, start + 1 + len(handle), handle.lower()))
    return spans


def _tag_spans(text: str) -> list[FacetSpan]:
    spans: list[FacetSpan] = []
    for match in _HASHTAG.finditer(text):
        tag = match.group(1)
        if tag.startswith("\ufe0f"):  # "#️⃣" is the keycap emoji, not a tag
            continue
        while tag and _is_punctuation(tag[-1]):
            tag = tag[:-1]
        if not tag or count_graphemes(tag) > MAX_TAG_GRAPHEMES:
            continue
        if all(char.isdigit() or _is_punctuation(char) for char in tag):
            continue  # "#1" is a number, not a tag
        start = match.start()
        spans.append(_span(text, "tag", start, start + 1 + len(tag), tag))
    return spans


def detect_facets(text: str) -> list[FacetSpan]:
    """Links (http and https), @mentions and #hashtags in `text`, in order of position.

    Mentions and tags must follow whitespace or the start (a mention may also
    follow "("), so none can fall inside a URL; overlaps are dropped anyway,
    keeping the span that starts first.
    """
    found = sorted(
        _link_spans(text) + _mention_spans(text) + _tag_spans(text),
        key=lambda span: (span.byte_start, span.byte_end),
    )
    spans: list[FacetSpan] = []
    for span in found:
        if spans and span.byte_start < spans[-1].byte_end:
            continue
        spans.append(span)
    return spans


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Derived timestamps fall in the 2^45 microseconds (about 13 months) after 1 Jan 2023.
_TID_EPOCH_US = 1_672_531_200_000_000
_TID_SPAN_BITS = 45


def record_key(idempotency_key: str) -> str:
    """The record key a post published under `idempotency_key` gets: always the same.

    Post keys must be TIDs (13 base32-sortable characters encoding a timestamp in
    microseconds and a 10-bit clock id), so the key's SHA-256 is folded into one:
    the timestamp lies in 2023, which only affects the order of `listRecords`
    (feeds sort by `createdAt`).
    """
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    timestamp = _TID_EPOCH_US + (digest >> (64 - _TID_SPAN_BITS))
    clock_id = digest & 0x3FF
    value = (timestamp << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def _link_title(link: str) -> str:
    """The card title for a link, without fetching the page: the URL without its scheme."""
    parts = urlsplit(link)
    title = parts.netloc + parts.path.rstrip("/")
    if parts.query:
        title += "?" + parts.query
    return title or link


# Errors.


def _xrpc_error(exc: RequestErrorBase) -> tuple[str, str]:
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    return "", ""


def _retry_after(exc: RateLimitExceededError) -> float:
    if exc.reset_at is not None:
        return max(1.0, (exc.reset_at - dt.datetime.now(dt.UTC)).total_seconds())
    if exc.retry_after is not None:
        return max(1.0, exc.retry_after)
    return DEFAULT_RETRY_AFTER_S


def _connector_error(exc: Exception, *, service: str) -> ConnectorError:
    """The typed error for an exception of the SDK or of httpx."""
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        status = exc.response.status_code
        error, message = _xrpc_error(exc)
        detail = f"{error}: {message}" if message else error or str(status)
        if error in _EXPIRED_ERRORS:
            return CredentialExpired(f"The Bluesky session expired ({detail}).")
        if error in _REVOKED_ERRORS or status == 403:
            return CredentialRevoked(f"Bluesky refused the app password ({detail}).")
        if status == 401:
            return CredentialExpired(f"Bluesky asked to sign in again ({detail}).")
        if isinstance(exc, RateLimitExceededError) or status == 429:
            wait = (
                _retry_after(exc)
                if isinstance(exc, RateLimitExceededError)
                else DEFAULT_RETRY_AFTER_S
            )
            return RateLimited(f"Bluesky is rate limiting ({detail}).", retry_after=wait)
        if status >= 500 or status == 408:
            return TransientError(f"Bluesky answered {status} ({detail}).")
        if message.startswith(_NO_APPVIEW_MESSAGE) or is_method_not_served(exc):
            return PermanentError(
                f"The server at {service} has no Bluesky AppView: notifications, replies, "
                "mentions and metrics need one (a bare PDS serves only com.atproto.*).",
                network_message=detail,
            )
        return PermanentError(f"Bluesky refused the request ({detail}).", network_message=detail)
    if isinstance(exc, RequestErrorBase | httpx.HTTPError):
        cause = exc.__cause__ or exc
        return TransientError(f"Bluesky at {service} could not be reached: {cause!r}")
    if isinstance(exc, LoginRequiredError):
        return CredentialExpired("The Bluesky session ended; sign in again.")
    if isinstance(exc, ModelError):
        return PermanentError(f"Bluesky sent an answer Roost cannot read: {exc}")
    return TransientError(f"Bluesky call failed: {exc!r}")


@dataclass
class _Session:
    client: Client
    did: str
    handle: str


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _cursor_position(cursor: str | None) -> tuple[dt.datetime, str] | None:
    """A fetch cursor is "<indexedAt> <uri>" of the newest notification already read."""
    if not cursor:
        return None
    indexed_at, _, uri = cursor.partition(" ")
    try:
        return _parse_time(indexed_at), uri
    except ValueError as exc:
        raise PermanentError(f"Bluesky cannot read cursor {cursor!r}.") from exc


class BlueskyConnector(Connector):
    """Bluesky through the channel's PDS, signed in with an app password."""

    name = "bluesky"
    capabilities = frozenset(
        {
            Capability.PUBLIC_PROFILES,
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_LINK,
            Capability.REPLY,
            Capability.DELETE,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
            Capability.IDEMPOTENT_PUBLISH,
            Capability.LOOKUP,
            Capability.HIDE,
        }
    )

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._session_cache: _Session | None = None

    @property
    def service(self) -> str:
        return str(self.channel.settings.get("service") or DEFAULT_SERVICE).rstrip("/")

    @property
    def web(self) -> str:
        return str(self.channel.settings.get("web") or DEFAULT_WEB).rstrip("/")

    # Session and calls.

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (AtProtocolError, httpx.HTTPError) as exc:
            raise _connector_error(exc, service=self.service) from exc

    def _session(self) -> _Session:
        """Sign in once per connector; later calls reuse the session (a login is slow and
        Bluesky allows 30 an account every five minutes)."""
        if self._session_cache is not None:
            return self._session_cache
        if not self._secret:
            raise CredentialRevoked("No app password is stored for this Bluesky channel.")
        try:
            url_check(self.service)
        except DestinationRefused as exc:
            raise PermanentError(str(exc)) from None
        request = Request(timeout=REQUEST_TIMEOUT_S, transport=guarded_transport(), trust_env=False)
        client = Client(self.service, request=request)
        with self._translated():
            # The profile lives on the AppView, which a bare PDS lacks; getSession does not.
            client.login(login=self.channel.handle, password=self._secret, fetch_bsky_profile=False)
            session = client.com.atproto.server.get_session()
        self._session_cache = _Session(client=client, did=session.did, handle=session.handle)
        return self._session_cache

    def _call(self, operation: Callable[[_Session], T]) -> T:
        """Run `operation` signed in; an expired session is renewed once with the app password."""
        renewable = self._session_cache is not None
        session = self._session()
        try:
            with self._translated():
                return operation(session)
        except CredentialExpired:
            if not renewable:
                raise
        self._session_cache = None
        session = self._session()
        with self._translated():
            return operation(session)

    def _post_url(self, did: str, rkey: str) -> str:
        return f"{self.web}/profile/{did}/post/{rkey}"

    def _published(self, uri: str) -> Published:
        did, _, rkey = _split_post_uri(uri)
        return Published(external_id=uri, url=self._post_url(did, rkey))

    # The interface.

    def verify(self) -> Account:
        def profile(session: _Session) -> str:
            try:
                record = session.client.com.atproto.repo.get_record(
                    {"repo": session.did, "collection": PROFILE_COLLECTION, "rkey": "self"}
                )
            except RequestErrorBase as exc:
                if _xrpc_error(exc)[0] == "RecordNotFound":
                    return ""
                raise
            return str(getattr(record.value, "display_name", None) or "")

        display_name = self._call(profile)
        session = self._session()
        return Account(external_id=session.did, handle=session.handle, display_name=display_name)

    def publish(self, request: PublishRequest) -> Published:
        text = request.text
        images = request.media
        if request.link and images and request.link not in text and not quote_target(request.link):
            # A post carries images or a link card, not both: the link goes into the text.
            text = f"{text}\n{request.link}" if text else request.link
        problem = text_problem(text)
        if problem:
            raise PermanentError(problem)
        _check_images(images)
        if request.reply_to:
            _split_post_uri(request.reply_to)
        rkey = record_key(request.idempotency_key) if request.idempotency_key else None

        def create(session: _Session) -> Published:
            client = session.client
            embed: Any = None
            if images:
                embed = models.AppBskyEmbedImages.Main(
                    images=[
                        models.AppBskyEmbedImages.Image(
                            alt=item.alt_text,
                            image=client.com.atproto.repo.upload_blob(
                                item.data, headers={"Content-Type": item.mime_type}
                            ).blob,
                        )
                        for item in images
                    ]
                )
            quoted = self._quote_ref(client, request.link) if request.link else None
            if quoted is not None:
                record_embed = models.AppBskyEmbedRecord.Main(record=quoted)
                embed = (
                    models.AppBskyEmbedRecordWithMedia.Main(record=record_embed, media=embed)
                    if embed is not None
                    else record_embed
                )
            elif request.link and embed is None:
                embed = models.AppBskyEmbedExternal.Main(
                    external=models.AppBskyEmbedExternal.External(
                        uri=request.link, title=_link_title(request.link), description=""
                    )
                )
            record = models.AppBskyFeedPost.Record(
                text=text,
                created_at=client.get_current_time_iso(),
                facets=self._facets(client, text) or None,
                embed=embed,
                reply=self._reply_ref(client, request.reply_to) if request.reply_to else None,
            )
            created = client.com.atproto.repo.create_record(
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=session.did, collection=POST_COLLECTION, rkey=rkey, record=record
                )
            )
            return self._published(created.uri)

        try:
            return self._call(create)
        except (CredentialExpired, CredentialRevoked, RateLimited):
            raise  # nothing was created
        except ConnectorError:
            # A retry collides with the post the first attempt created (the server
            # answers 500 or 409, not "already exists"): that post is the answer.
            if rkey is not None:
                existing = self.lookup(request.idempotency_key)
                if existing is not None:
                    return existing
            raise

    def lookup(self, idempotency_key: str) -> Published | None:
        rkey = record_key(idempotency_key)

        def find(session: _Session) -> Published | None:
            try:
                record = session.client.com.atproto.repo.get_record(
                    {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey}
                )
            except RequestErrorBase as exc:
                if _xrpc_error(exc)[0] == "RecordNotFound":
                    return None
                raise
            return self._published(record.uri)

        return self._call(find)

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        return self.publish(
            PublishRequest(text=text, idempotency_key=idempotency_key, reply_to=to_external_id)
        )

    def delete(self, external_id: str) -> None:
        did, collection, rkey = _split_post_uri(external_id)

        def remove(session: _Session) -> None:
            if did != session.did:
                raise PermanentError(f"{external_id} belongs to another account.")
            session.client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(
                    repo=session.did, collection=collection, rkey=rkey
                )
            )

        self._call(remove)

    def hide(self, external_id: str) -> None:
        """Hide a reply in a thread the account started, through the thread's gate
        record (`hiddenReplies`): apps then show it to nobody in the thread. A mention or
        a quote is not a reply in the account's thread, so it cannot be hidden."""
        self._hidden_set(external_id, hidden=True)

    def unhide(self, external_id: str) -> None:
        self._hidden_set(external_id, hidden=False)

    def _hidden_set(self, reply_uri: str, *, hidden: bool) -> None:
        did, collection, rkey = _split_post_uri(reply_uri)

        def change(session: _Session) -> None:
            client = session.client
            reply = client.com.atproto.repo.get_record(
                {"repo": did, "collection": collection, "rkey": rkey}
            )
            ref = getattr(reply.value, "reply", None)
            if ref is None:
                raise PermanentError("Only a reply can be hidden on Bluesky, not a post.")
            root_did, _, root_rkey = _split_post_uri(ref.root.uri)
            if root_did != session.did:
                raise PermanentError("The reply is in a thread another account started.")
            try:
                gate = client.com.atproto.repo.get_record(
                    {"repo": session.did, "collection": THREADGATE_COLLECTION, "rkey": root_rkey}
                )
            except RequestErrorBase as exc:
                if _xrpc_error(exc)[0] != "RecordNotFound":
                    raise
                gate = None
            listed = list(getattr(gate.value, "hidden_replies", None) or []) if gate else []
            wanted = [uri for uri in listed if uri != reply_uri] + ([reply_uri] if hidden else [])
            if wanted == listed:
                return  # already so
            record = models.AppBskyFeedThreadgate.Record(
                post=ref.root.uri,
                created_at=gate.value.created_at if gate else client.get_current_time_iso(),
                # No `allow` on the gate: anyone may reply. Kept as the account set it.
                allow=gate.value.allow if gate else None,
                hidden_replies=wanted,
            )
            client.com.atproto.repo.put_record(
                models.ComAtprotoRepoPutRecord.Data(
                    repo=session.did,
                    collection=THREADGATE_COLLECTION,
                    rkey=root_rkey,
                    record=record,
                    # Another change to the gate since it was read makes this one fail.
                    swap_record=gate.cid if gate else None,
                )
            )

        self._call(change)

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Mentions, replies and quotes that arrived after `cursor`, oldest first.

        Bluesky lists notifications newest first, so this pages back until it
        reaches the cursor (at most MAX_NOTIFICATION_PAGES pages). Without a
        cursor it returns the newest page only. Needs an AppView.
        """
        after = _cursor_position(cursor)

        def read(session: _Session) -> list[Any]:
            collected: list[Any] = []
            page_cursor: str | None = None
            for _ in range(MAX_NOTIFICATION_PAGES):
                page = session.client.app.bsky.notification.list_notifications(
                    params=models.AppBskyNotificationListNotifications.Params(
                        limit=NOTIFICATION_PAGE_SIZE,
                        cursor=page_cursor,
                        reasons=sorted(_INBOUND_REASONS),
                    )
                )
                reached = False
                for item in page.notifications:
                    if after is not None and (_parse_time(item.indexed_at), item.uri) <= after:
                        reached = True
                    else:
                        collected.append(item)
                if after is None or reached or not page.cursor:
                    break
                page_cursor = page.cursor
            return collected

        notifications = self._call(read)
        own_did = self._session().did
        notifications.sort(key=lambda item: (_parse_time(item.indexed_at), item.uri))
        followers = self._follower_counts(
            sorted({item.author.did for item in notifications if item.reason in _INBOUND_REASONS})
        )
        items = tuple(
            inbound
            for inbound in (
                self._inbound(item, own_did=own_did, followers=followers) for item in notifications
            )
            if inbound is not None
        )
        if notifications:
            newest = notifications[-1]
            cursor = f"{newest.indexed_at} {newest.uri}"
        return FetchPage(items=items, cursor=cursor)

    def metrics(self, external_id: str) -> PostMetrics:
        _split_post_uri(external_id)

        def read(session: _Session) -> PostMetrics:
            posts = session.client.app.bsky.feed.get_posts(
                params=models.AppBskyFeedGetPosts.Params(uris=[external_id])
            ).posts
            if not posts:
                raise PermanentError(f"Bluesky has no post {external_id}.")
            post = posts[0]
            return PostMetrics(
                likes=post.like_count or 0,
                reposts=post.repost_count or 0,
                replies=post.reply_count or 0,
                quotes=post.quote_count or 0,
            )

        return self._call(read)

    # Public profiles: another account's figures, for competitor tracking.

    def profile_stats(self, handle: str) -> ProfileStats:
        """Followers and posts from app.bsky.actor.getProfile, and the posts of the last
        `PROFILE_RECENT` with their likes, reposts, replies and quotes from the author
        feed (its own posts only: no reposts of others, no replies). Needs an AppView."""
        actor = handle.strip().lstrip("@")
        if not (_HANDLE.match(actor) or actor.startswith("did:")):
            raise PermanentError(f"{handle!r} is not a Bluesky handle or DID.")
        since = dt.datetime.now(dt.UTC) - PROFILE_RECENT

        def read(session: _Session) -> ProfileStats:
            client = session.client
            profile = client.app.bsky.actor.get_profile(
                params=models.AppBskyActorGetProfile.Params(actor=actor)
            )
            posts, engagements = 0, 0
            cursor: str | None = None
            for _ in range(MAX_AUTHOR_FEED_PAGES):
                page = client.app.bsky.feed.get_author_feed(
                    params=models.AppBskyFeedGetAuthorFeed.Params(
                        actor=profile.did,
                        limit=AUTHOR_FEED_PAGE_SIZE,
                        cursor=cursor,
                        filter="posts_no_replies",
                    )
                )
                older = False
                for item in page.feed:
                    post = item.post
                    if item.reason is not None or post.author.did != profile.did:
                        continue  # a repost or a pinned post, not this day's own post
                    created = getattr(post.record, "created_at", None) or post.indexed_at
                    if _parse_time(created) < since:
                        older = True
                        continue
                    posts += 1
                    engagements += sum(
                        count or 0
                        for count in (
                            post.like_count,
                            post.repost_count,
                            post.reply_count,
                            post.quote_count,
                        )
                    )
                if older or not page.cursor:
                    break
                cursor = page.cursor
            return ProfileStats(
                handle=profile.handle,
                display_name=profile.display_name or "",
                followers=profile.followers_count,
                posts=profile.posts_count,
                recent_posts=posts,
                recent_engagements=engagements,
            )

        return self._call(read)

    def channel_stats(self) -> ChannelStats:
        """The account's followers, from its profile on the AppView (Bluesky shows no
        profile views)."""

        def read(session: _Session) -> ChannelStats:
            profile = session.client.app.bsky.actor.get_profile(
                params=models.AppBskyActorGetProfile.Params(actor=session.did)
            )
            return ChannelStats(followers=max(profile.followers_count or 0, 0))

        return self._call(read)

    # Network calls the methods above share.

    def _follower_counts(self, dids: list[str]) -> dict[str, int]:
        """Follower counts by DID, from app.bsky.actor.getProfiles, PROFILES_PER_CALL a call.

        Notifications carry a basic profile without the count, hence this batch, made
        once per fetch. The counts only enrich messages: when the AppView will not give
        them, the authors keep 0 and the messages are stored all the same.
        """
        if not dids:
            return {}

        def read(session: _Session) -> dict[str, int]:
            counts: dict[str, int] = {}
            for start in range(0, len(dids), PROFILES_PER_CALL):
                answer = session.client.app.bsky.actor.get_profiles(
                    params=models.AppBskyActorGetProfiles.Params(
                        actors=dids[start : start + PROFILES_PER_CALL]
                    )
                )
                for profile in answer.profiles:
                    counts[profile.did] = max(profile.followers_count or 0, 0)
            return counts

        try:
            return self._call(read)
        except ConnectorError as error:
            logger.warning(
                "Bluesky channel %s: follower counts unavailable (%s)",
                self.channel.id,
                type(error).__name__,
            )
            return {}

    def _facets(self, client: Client, text: str) -> list[Any]:
        """Facets for `text`; a mention whose handle does not resolve stays plain text."""
        facets: list[Any] = []
        for span in detect_facets(text):
            feature: Any
            if span.kind == "link":
                feature = models.AppBskyRichtextFacet.Link(uri=span.value)
            elif span.kind == "tag":
                feature = models.AppBskyRichtextFacet.Tag(tag=span.value)
            else:
                did = self._resolve_handle(client, span.value)
                if did is None:
                    continue
                feature = models.AppBskyRichtextFacet.Mention(did=did)
            facets.append(
                models.AppBskyRichtextFacet.Main(
                    index=models.AppBskyRichtextFacet.ByteSlice(
                        byte_start=span.byte_start, byte_end=span.byte_end
                    ),
                    features=[feature],
                )
            )
        return facets

    @staticmethod
    def _resolve_handle(client: Client, handle: str) -> str | None:
        try:
            return str(client.com.atproto.identity.resolve_handle({"handle": handle}).did)
        except RequestErrorBase as exc:
            if exc.response is not None and exc.response.status_code == 400:
                return None  # HandleNotFound, or not a handle at all
            raise

    def _quote_ref(self, client: Client, link: str) -> Any:
        """A strong ref to the post a link points at, making the post a quote; else None."""
        target = quote_target(link)
        if target is None:
            return None
        repo, rkey = target
        if not repo.startswith("did:"):
            did = self._resolve_handle(client, repo)
            if did is None:
                raise PermanentError(f"The quoted post's author {repo!r} does not exist.")
            repo = did
        quoted = client.com.atproto.repo.get_record(
            {"repo": repo, "collection": POST_COLLECTION, "rkey": rkey}
        )
        return models.ComAtprotoRepoStrongRef.Main(uri=quoted.uri, cid=quoted.cid)

    @staticmethod
    def _reply_ref(client: Client, parent_uri: str) -> Any:
        """Reply refs need the parent's CID and the thread's root, both read from the parent."""
        did, collection, rkey = _split_post_uri(parent_uri)
        parent = client.com.atproto.repo.get_record(
            {"repo": did, "collection": collection, "rkey": rkey}
        )
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        parent_reply = getattr(parent.value, "reply", None)
        root_ref = parent_reply.root if parent_reply is not None else parent_ref
        return models.AppBskyFeedPost.ReplyRef(parent=parent_ref, root=root_ref)

    def _inbound(self, item: Any, *, own_did: str, followers: dict[str, int]) -> Inbound | None:
        kind = _INBOUND_REASONS.get(item.reason)
        if kind is None:
            return None
        record = item.record
        created = getattr(record, "created_at", None) or item.indexed_at
        try:
            created_at = _parse_time(created)
        except ValueError:
            created_at = _parse_time(item.indexed_at)
        reply = getattr(record, "reply", None)
        parent = reply.parent.uri if reply is not None else _quoted_uri(record)
        if reply is not None and parent.startswith(f"at://{own_did}/"):
            # A reply that also mentions the account is notified as a mention only.
            kind = InboundKind.REPLY
        langs = getattr(record, "langs", None) or []
        did, _, rkey = _split_post_uri(item.uri)
        author = item.author
        verification = getattr(author, "verification", None)
        return Inbound(
            external_id=item.uri,
            kind=kind,
            author_handle=author.handle,
            text=getattr(record, "text", "") or "",
            created_at=created_at,
            parent_external_id=parent,
            url=self._post_url(did, rkey),
            language=langs[0] if langs else "",
            author_name=getattr(author, "display_name", None) or "",
            author_followers=followers.get(author.did, 0),
            author_verified=getattr(verification, "verified_status", None) == "valid",
        )


def _quoted_uri(record: Any) -> str:
    """The post a quote post quotes (a record embed, alone or with media), or ""."""
    embed = getattr(record, "embed", None)
    quoted = getattr(embed, "record", None)
    # With media, the record embed is wrapped once more.
    quoted = getattr(quoted, "record", quoted)
    return str(getattr(quoted, "uri", "") or "")


_APP_POST_URL = re.compile(r"https://(?:[a-z0-9.-]+)/profile/([^/]+)/post/([A-Za-z0-9._:~-]+)/?")
_AT_POST_URI = re.compile(rf"at://([^/]+)/{re.escape(POST_COLLECTION)}/([A-Za-z0-9._:~-]+)")


def quote_target(link: str) -> tuple[str, str] | None:
    """(author handle or DID, record key) when a link names a Bluesky post, else None.

    Both the web app's post URLs (https://bsky.app/profile/<author>/post/<key>)
    and at:// post URIs are quote links; any other link becomes a link card.
    """
    for pattern in (_AT_POST_URI, _APP_POST_URL):
        match = pattern.fullmatch(link.strip())
        if match is not None:
            return match.group(1), match.group(2)
    return None


def _split_post_uri(uri: str) -> tuple[str, str, str]:
    """(did, collection, rkey) of an at:// post URI; PermanentError for anything else."""
    match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/?#]+)", uri or "")
    if match is None or match.group(2) != POST_COLLECTION:
        raise PermanentError(f"{uri!r} is not a Bluesky post URI (at://<did>/{POST_COLLECTION}/…).")
    return match.group(1), match.group(2), match.group(3)


def _check_images(images: tuple[MediaItem, ...]) -> None:
    if len(images) > MAX_IMAGES:
        raise PermanentError(f"A Bluesky post carries at most {MAX_IMAGES} images.")
    for item in images:
        if not item.mime_type.startswith("image/"):
            raise PermanentError(
                f"Bluesky posts from Roost carry images only, not {item.mime_type}."
            )
        if len(item.data) > MAX_IMAGE_BYTES:
            raise PermanentError(
                f"An image is {len(item.data)} bytes; Bluesky allows {MAX_IMAGE_BYTES}."
            )
