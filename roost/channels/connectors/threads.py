"""The connector for Threads, through Meta's Threads API (graph.threads.net/v1.0).

One channel is one Threads profile, with the placement `post`. The secret is the
profile's long-lived Threads user access token (the JSON the OAuth connect flow
keeps, or a bare token); the channel's external id is the Threads user id.

Publishing is Meta's container protocol (Threads API reference, "Posts"):

1. `POST /{user-id}/threads` creates a media container: `TEXT` (with a
   `link_attachment` for a link), `IMAGE` or `VIDEO` with the address Threads
   downloads the media from (`MediaItem.url`), or a `CAROUSEL` of 2 to 20 item
   containers made first with `is_carousel_item=true`;
2. `GET /{container-id}?fields=status,error_message` until the container is
   `FINISHED` (bounded: `poll_attempts` reads `poll_interval_s` apart);
3. `POST /{user-id}/threads_publish` with `creation_id` publishes it.

Threads downloads media itself, so nothing is uploaded in chunks, and a post with
media needs Roost's public address (`ROOST_BASE_URL`). Nothing before step 3 can
publish anything, so a failure there is `NotAccepted`. Threads cannot find a post
by a key Roost chooses, so the connector declares neither `LOOKUP` nor
`IDEMPOTENT_PUBLISH`: a publish cut off at step 3 leaves the post unconfirmed.

Every failure leaves as one of the typed errors of `connectors.base` (Meta's error
codes through `meta_graph.graph_error`). No token appears in a message or a log line.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import httpx

from roost.channels.connectors.base import (
    Account,
    AppCredentials,
    Capability,
    ChannelRef,
    ChannelStats,
    ConnectableAccount,
    Connector,
    ConnectorError,
    FetchPage,
    Inbound,
    InboundKind,
    MediaItem,
    NotAccepted,
    OAuthSpec,
    PermanentError,
    PostMetrics,
    Published,
    PublishRequest,
    RefreshedTokens,
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import DEFAULT_TIMEOUT, NetworkHttp, access_token_of
from roost.channels.connectors.meta_graph import graph_error

logger = logging.getLogger(__name__)

NETWORK = "Threads"
GRAPH = "https://graph.threads.net"
API = f"{GRAPH}/v1.0"
PLACEMENT = "post"
# The permissions the connector uses, as the Threads API's permission list names them.
SCOPES: tuple[str, ...] = (
    "threads_basic",
    "threads_content_publish",
    "threads_manage_replies",
    "threads_read_replies",
    "threads_manage_insights",
    "threads_manage_mentions",
    "threads_delete",
)
# A carousel holds 2 to 20 images and videos (Threads API, "Carousel posts").
CAROUSEL_MAX = 20
# Container states (Threads API, "Media container status"); IN_PROGRESS means wait.
READY_STATES = {"FINISHED", "PUBLISHED"}
FAILED_STATES = {"ERROR", "EXPIRED"}
REPLY_FIELDS = (
    "id,text,username,permalink,timestamp,replied_to,root_post,is_reply_owned_by_me,is_verified"
)
MENTION_FIELDS = "id,text,username,permalink,timestamp,is_verified"
POST_METRICS = ("views", "likes", "replies", "reposts", "quotes")
# A post's own account shows up in its conversation; so do reposts of others in its list.
REPOST = "REPOST_FACADE"


def _explain(response: httpx.Response) -> ConnectorError | None:
    return graph_error(response, network=NETWORK)


def _client(token: str | None = None) -> NetworkHttp:
    return NetworkHttp(
        network=NETWORK, token=token, explain=_explain, timeout=ThreadsConnector.timeout
    )


def parse_time(value: Any) -> dt.datetime | None:
    """A Threads timestamp (`2024-07-05T17:09:48+0000`) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _position(cursor: str | None) -> tuple[dt.datetime, str] | None:
    """The (time, id) of the newest item a cursor stands for; None for no cursor."""
    if not cursor:
        return None
    when, _, item_id = cursor.partition(" ")
    moment = parse_time(when)
    if moment is None:
        raise PermanentError(f"{cursor!r} is not a Threads inbox cursor.")
    return moment, item_id


def _after(moment: dt.datetime, item_id: str, position: tuple[dt.datetime, str] | None) -> bool:
    if position is None:
        return True
    # Ids are numbers in strings: the longer one is the larger.
    return (moment, len(item_id), item_id) > (position[0], len(position[1]), position[1])


def _metric_value(entry: Mapping[str, Any]) -> int | None:
    """An insights entry's figure: `total_value.value`, else the last of `values`."""
    total = entry.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int | float):
        return int(total["value"])
    values = entry.get("values")
    if isinstance(values, list) and values and isinstance(values[-1], dict):
        value = values[-1].get("value")
        if isinstance(value, int | float):
            return int(value)
    return None


def _metrics(body: Any) -> dict[str, int]:
    entries = body.get("data") if isinstance(body, dict) else None
    found: dict[str, int] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            value = _metric_value(entry)
            if value is not None:
                found[entry["name"]] = value
    return found


def _id_of(body: Any, what: str) -> str:
    value = body.get("id") if isinstance(body, dict) else None
    if not value:
        raise TransientError(f"Threads answered {what} without an id.")
    return str(value)


class ThreadsConnector(Connector):
    """A Threads profile: posts, replies, hiding replies, mentions and insights."""

    name = "threads"
    # No direct messages (the Threads API has none), no LOOKUP or IDEMPOTENT_PUBLISH (no
    # post can be found by a key Roost chooses), no PUBLIC_PROFILES (profile discovery
    # needs a permission of its own; not done).
    capabilities = frozenset(
        {
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_LINK,
            Capability.REPLY,
            Capability.DELETE,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.HIDE,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
            Capability.FIRST_COMMENT,
        }
    )
    oauth = OAuthSpec(
        authorize_url="https://threads.com/oauth/authorize",
        token_url=f"{GRAPH}/oauth/access_token",
        scopes=SCOPES,
        # The Authorization Window takes no code challenge; the app secret stays on the server.
        pkce=False,
        client_auth="post",
        scope_separator=",",
    )
    timeout: ClassVar[httpx.Timeout] = DEFAULT_TIMEOUT
    # Meta suggests reading a container's status about once a minute for up to five
    # minutes; text and images are ready at once, video takes longer.
    poll_interval_s: ClassVar[float] = 5.0
    poll_attempts: ClassVar[int] = 60
    page_size: ClassVar[int] = 25
    max_pages: ClassVar[int] = 5
    # Replies are read under the account's posts of this long ago and newer, at most
    # `max_posts` of them (each is one more request per fetch).
    reply_window: ClassVar[dt.timedelta] = dt.timedelta(days=7)
    max_posts: ClassVar[int] = 25
    # Without a cursor, the inbox starts this far back.
    first_fetch_window: ClassVar[dt.timedelta] = dt.timedelta(days=1)

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._http: NetworkHttp | None = None

    # Plumbing.

    def _api(self) -> NetworkHttp:
        if self._http is None:
            self._http = _client(access_token_of(self._secret, network=NETWORK))
        return self._http

    def _user(self) -> str:
        """The path of the channel's profile: its Threads user id, else `me`."""
        return self.channel.external_id or "me"

    def _pages(self, url: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """The items of a paged list, following `paging.cursors.after` while `paging.next`
        says there is more, at most `max_pages` pages. Stop iterating to stop reading."""
        after: str | None = None
        for _ in range(self.max_pages):
            query = {**params, "limit": self.page_size}
            if after:
                query["after"] = after
            body = self._api().json("GET", url, params=query)
            items = body.get("data") if isinstance(body, dict) else None
            yield from (item for item in items or [] if isinstance(item, dict))
            paging = body.get("paging") if isinstance(body, dict) else None
            cursors = paging.get("cursors") if isinstance(paging, dict) else None
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not after or not isinstance(paging, dict) or not paging.get("next"):
                return

    # Identity and connecting.

    def verify(self) -> Account:
        body = self._api().json("GET", f"{API}/me", params={"fields": "id,username,name"})
        return Account(
            external_id=_id_of(body, "the profile"),
            handle=f"@{body.get('username') or ''}",
            display_name=str(body.get("name") or ""),
        )

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """Exchange the hour-long token of the sign-in for a 60-day one
        (`GET /access_token`, `th_exchange_token`), then read the profile it belongs to."""
        http = _client()
        try:
            body = http.json(
                "GET",
                f"{GRAPH}/access_token",
                params={
                    "grant_type": "th_exchange_token",
                    "client_secret": app.client_secret,
                    "access_token": access_token,
                },
            )
        finally:
            http.close()
        long_lived = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(long_lived, str) or not long_lived:
            raise TransientError("Threads exchanged the token for nothing.")
        lasts = body.get("expires_in")
        profile = _client(long_lived)
        try:
            me = profile.json("GET", f"{API}/me", params={"fields": "id,username,name"})
        finally:
            profile.close()
        return (
            ConnectableAccount(
                external_id=_id_of(me, "the profile"),
                handle=f"@{me.get('username') or ''}",
                display_name=str(me.get("name") or ""),
                placements=(PLACEMENT,),
                access_token=long_lived,
                expires_in=lasts if isinstance(lasts, int) and lasts > 0 else None,
            ),
        )

    @classmethod
    def oauth_refresh(
        cls, *, access_token: str, refresh_token: str | None, app: AppCredentials
    ) -> RefreshedTokens | None:
        """Threads has no refresh token: a long-lived token at least a day old and not
        yet expired is itself exchanged for a new one (`GET /refresh_access_token`,
        `th_refresh_token`), valid 60 days from then."""
        http = _client()
        try:
            body = http.json(
                "GET",
                f"{GRAPH}/refresh_access_token",
                params={"grant_type": "th_refresh_token", "access_token": access_token},
            )
        finally:
            http.close()
        renewed = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(renewed, str) or not renewed:
            raise TransientError("Threads answered the refresh without a token.")
        expires_in = body.get("expires_in")
        return RefreshedTokens(
            access_token=renewed,
            refresh_token=None,
            expires_in=int(expires_in) if isinstance(expires_in, int | float) else None,
        )

    # Publishing.

    def publish(self, request: PublishRequest) -> Published:
        if self.channel.placement != PLACEMENT:
            raise PermanentError(
                f"Threads has no placement {self.channel.placement!r}; it publishes {PLACEMENT!r}."
            )
        self._check_media(request.media)
        container = self._container(request)
        published = self._publish_container(container)
        if request.first_comment and request.first_comment.strip():
            warning = self._first_comment(published.external_id, request.first_comment.strip())
            published = replace(published, warning=warning)
        return published

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        """A text reply under a post or reply (`reply_to_id`), published like a post."""
        container = self._create(
            {"media_type": "TEXT", "text": text, "reply_to_id": to_external_id}
        )
        return self._publish_container(container)

    @staticmethod
    def _check_media(media: Sequence[MediaItem]) -> None:
        """Refuse, before anything is sent, what Threads cannot take."""
        if len(media) > CAROUSEL_MAX:
            raise PermanentError(f"Threads takes at most {CAROUSEL_MAX} images and videos a post.")
        for item in media:
            if not item.mime_type.startswith(("image/", "video/")):
                raise PermanentError(f"Threads takes images and videos, not {item.mime_type}.")
            if not item.url:
                raise PermanentError(
                    "Threads downloads media from a public address, and Roost has none: "
                    "set ROOST_BASE_URL to Roost's https address."
                )

    def _container(self, request: PublishRequest) -> str:
        """Create the post's container (after its carousel items') and return its id."""
        text = request.text
        fields: dict[str, str] = {}
        if request.reply_to:
            fields["reply_to_id"] = request.reply_to
        media = request.media
        if not media:
            fields.update(media_type="TEXT", text=text)
            if request.link:
                # A link attachment is for text-only posts; it becomes the preview card.
                fields["link_attachment"] = request.link
            return self._create(fields)
        if request.link and request.link not in text:
            # With media there is no link card: the link goes in the text.
            text = f"{text}\n\n{request.link}" if text else request.link
        if text:
            fields["text"] = text
        if len(media) == 1:
            return self._create({**fields, **self._media_fields(media[0])})
        children = [
            self._create({**self._media_fields(item), "is_carousel_item": "true"}) for item in media
        ]
        for child in children:
            self._wait_until_ready(child)
        return self._create({**fields, "media_type": "CAROUSEL", "children": ",".join(children)})

    @staticmethod
    def _media_fields(item: MediaItem) -> dict[str, str]:
        if item.mime_type.startswith("video/"):
            fields = {"media_type": "VIDEO", "video_url": item.url}
        else:
            fields = {"media_type": "IMAGE", "image_url": item.url}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def _create(self, fields: Mapping[str, str]) -> str:
        """`POST /{user-id}/threads`: a container, which publishes nothing by itself."""
        try:
            body = self._api().json("POST", f"{API}/{self._user()}/threads", data=dict(fields))
            return _id_of(body, "the media container")
        except TransientError as error:
            if isinstance(error, NotAccepted):
                raise
            # A container left behind is never published and expires within a day.
            raise NotAccepted(f"Threads did not confirm a media container: {error}") from error

    def _wait_until_ready(self, container: str) -> None:
        """Read the container's status until it is FINISHED (bounded)."""
        for attempt in range(self.poll_attempts):
            try:
                body = self._api().json(
                    "GET", f"{API}/{container}", params={"fields": "status,error_message"}
                )
            except TransientError as error:
                raise NotAccepted(
                    f"Threads did not say whether the media is ready: {error}"
                ) from error
            status = str(body.get("status") or "") if isinstance(body, dict) else ""
            if status in READY_STATES:
                return
            if status in FAILED_STATES:
                said = str(body.get("error_message") or status)
                raise PermanentError(
                    f"Threads could not prepare the post's media: {said}", network_message=said
                )
            if attempt + 1 < self.poll_attempts:
                time.sleep(self.poll_interval_s)
        raise NotAccepted(
            f"Threads was still preparing the post's media after {self.poll_attempts} checks; "
            "nothing was published."
        )

    def _publish_container(self, container: str) -> Published:
        self._wait_until_ready(container)
        # From here on a lost answer leaves the post's fate unknown (TransientError).
        body = self._api().json(
            "POST", f"{API}/{self._user()}/threads_publish", data={"creation_id": container}
        )
        media_id = _id_of(body, "the publish")
        return Published(external_id=media_id, url=self._permalink(media_id))

    def _permalink(self, media_id: str) -> str:
        """The post's address; "" when Threads does not give it (the post exists either way)."""
        try:
            body = self._api().json("GET", f"{API}/{media_id}", params={"fields": "permalink"})
        except ConnectorError as error:
            logger.warning(
                "Threads post %s published; its address could not be read: %s",
                media_id,
                type(error).__name__,
            )
            return ""
        return str(body.get("permalink") or "") if isinstance(body, dict) else ""

    def _first_comment(self, media_id: str, text: str) -> str:
        """The account's own first reply under the new post. The post is published
        already, so a failure here is logged and does not undo or repeat it."""
        try:
            self.reply(to_external_id=media_id, text=text, idempotency_key="")
        except ConnectorError as error:
            logger.warning(
                "Threads post %s published without its first comment: %s", media_id, error
            )
            return first_comment_refused("Threads", error)
        return ""

    def delete(self, external_id: str) -> None:
        body = self._api().json("DELETE", f"{API}/{external_id}")
        if isinstance(body, dict) and body.get("success") is False:
            raise PermanentError(f"Threads did not delete {external_id}.")

    # Moderation.

    def hide(self, external_id: str) -> None:
        """Hide a top-level reply under the account's post (its nested replies with it)."""
        self._manage_reply(external_id, hide=True)

    def unhide(self, external_id: str) -> None:
        self._manage_reply(external_id, hide=False)

    def _manage_reply(self, external_id: str, *, hide: bool) -> None:
        body = self._api().json(
            "POST", f"{API}/{external_id}/manage_reply", data={"hide": "true" if hide else "false"}
        )
        if isinstance(body, dict) and body.get("success") is False:
            what = "hide" if hide else "show"
            raise PermanentError(f"Threads did not {what} the reply {external_id}.")

    # Inbox.

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Replies under the account's recent posts and mentions of it, newer than `cursor`,
        oldest first. The cursor is the time and id of the newest item returned.

        Threads has no list of notifications: the connector lists the account's posts of
        the last `reply_window` (`GET /{user-id}/threads`, at most `max_posts`), reads the
        conversation of each that has replies (newest first, until it reaches the cursor),
        then `GET /{user-id}/mentions`.
        """
        position = _position(cursor)
        now = dt.datetime.now(dt.UTC)
        floor = position[0] if position else now - self.first_fetch_window
        items = [*self._replies(position, floor, now), *self._mentions(position, floor)]
        unique = {item.external_id: item for item in items}
        ordered = sorted(
            unique.values(), key=lambda i: (i.created_at, len(i.external_id), i.external_id)
        )
        if not ordered:
            return FetchPage(items=(), cursor=cursor)
        newest = ordered[-1]
        return FetchPage(
            items=tuple(ordered), cursor=f"{newest.created_at.isoformat()} {newest.external_id}"
        )

    def _replies(
        self, position: tuple[dt.datetime, str] | None, floor: dt.datetime, now: dt.datetime
    ) -> list[Inbound]:
        since = int((now - self.reply_window).timestamp())
        posts = self._pages(
            f"{API}/{self._user()}/threads",
            {"fields": "id,timestamp,media_type,has_replies", "since": since},
        )
        found: list[Inbound] = []
        for post in itertools.islice(posts, self.max_posts):
            if post.get("media_type") == REPOST or post.get("has_replies") is False:
                continue
            if not post.get("id"):
                continue
            try:
                found.extend(self._conversation(str(post["id"]), position, floor))
            except PermanentError as error:
                # One post Threads will not show the replies of must not hold up the rest.
                logger.warning("Threads replies under %s were not read: %s", post["id"], error)
        return found

    def _conversation(
        self, post_id: str, position: tuple[dt.datetime, str] | None, floor: dt.datetime
    ) -> list[Inbound]:
        found: list[Inbound] = []
        conversation = self._pages(
            f"{API}/{post_id}/conversation", {"fields": REPLY_FIELDS, "reverse": "true"}
        )
        for reply in conversation:
            moment = parse_time(reply.get("timestamp"))
            reply_id = str(reply.get("id") or "")
            if moment is None or not reply_id:
                continue
            if moment < floor or not _after(moment, reply_id, position):
                break  # newest first: the rest were seen before
            if not reply.get("is_reply_owned_by_me"):
                found.append(self._inbound(reply, moment, root=post_id))
        return found

    def _mentions(
        self, position: tuple[dt.datetime, str] | None, floor: dt.datetime
    ) -> list[Inbound]:
        found: list[Inbound] = []
        mentions = self._pages(
            f"{API}/{self._user()}/mentions",
            {"fields": MENTION_FIELDS, "since": int(floor.timestamp())},
        )
        for mention in mentions:
            moment = parse_time(mention.get("timestamp"))
            mention_id = str(mention.get("id") or "")
            if moment is None or not mention_id:
                continue
            if moment < floor or not _after(moment, mention_id, position):
                break
            found.append(self._inbound(mention, moment, root=None))
        return found

    @staticmethod
    def _inbound(item: Mapping[str, Any], moment: dt.datetime, *, root: str | None) -> Inbound:
        """A reply (`root`: the account's post it is under) or a mention (`root` None)."""
        parent = item.get("replied_to")
        parent_id = str(parent.get("id") or "") if isinstance(parent, dict) else ""
        if root is None:
            kind = InboundKind.MENTION
        else:
            # Directly under the account's post: a comment; under a reply: a reply.
            kind = InboundKind.COMMENT if parent_id in ("", root) else InboundKind.REPLY
            parent_id = parent_id or root
        username = str(item.get("username") or "")
        return Inbound(
            external_id=str(item["id"]),
            kind=kind,
            author_handle=f"@{username}" if username else "",
            text=str(item.get("text") or ""),
            created_at=moment,
            parent_external_id=parent_id,
            url=str(item.get("permalink") or ""),
            author_verified=item.get("is_verified") is True,
        )

    # Figures.

    def metrics(self, external_id: str) -> PostMetrics:
        """Lifetime `views`, `likes`, `replies`, `reposts` and `quotes` of the account's
        own post (`GET /{media-id}/insights`). Threads gives no reach, saves or clicks."""
        body = self._api().json(
            "GET", f"{API}/{external_id}/insights", params={"metric": ",".join(POST_METRICS)}
        )
        found = _metrics(body)
        return PostMetrics(
            likes=found.get("likes", 0),
            reposts=found.get("reposts", 0),
            replies=found.get("replies", 0),
            quotes=found.get("quotes", 0),
            impressions=found.get("views"),
        )

    def channel_stats(self) -> ChannelStats:
        """Followers (`followers_count` of `GET /{user-id}/threads_insights`). Threads
        counts profile views per day since April 2024 only, never as a running total,
        so `profile_views` stays None."""
        body = self._api().json(
            "GET", f"{API}/{self._user()}/threads_insights", params={"metric": "followers_count"}
        )
        return ChannelStats(followers=_metrics(body).get("followers_count"))
