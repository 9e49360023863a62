"""The connector for Facebook Pages, through Meta's Graph API.

One channel is one Page and one placement of the catalogue: `feed` (text, link,
photos or one video), `reels` (one vertical video) or `stories` (one photo or one
video). The secret is the Page access token that `oauth_accounts` hands over
(a bare token or the JSON of `TokenSet.to_secret`); a Page token made from a
long-lived user token does not expire, so there is nothing to refresh.

Every call goes through `NetworkHttp` with the token in an `Authorization: OAuth`
header (never in a URL), and every failure leaves as one of the typed errors of
`connectors.base`: Meta's error codes are read by `meta_graph.graph_error`.

The Graph API cannot find a post by anything Roost chose, so the connector does
not declare `LOOKUP`: a publish whose answer was lost stays unconfirmed for a
person to settle. References (developers.facebook.com): Facebook Login "Manually
Build a Login Flow" and "Long-Lived Access Tokens"; Pages API "Posts" and "Get
Started"; Graph API reference Page feed, Page photos, Page videos, Comment,
Page conversations; Video API "Publish with the Video API" and "Reels Publishing
API"; "Facebook Stories API"; Messenger Platform "Send API"; Page Insights.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from django.conf import settings

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
    PushTarget,
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import (
    DEFAULT_TIMEOUT,
    MESSAGE_LIMIT,
    NetworkHttp,
    access_token_of,
    json_body,
)
from roost.channels.connectors.meta_graph import (
    GRAPH_VERSION,
    META_PAGE_SCOPE,
    graph_error,
    graph_error_fields,
    long_lived_user_token,
    remove_page_subscription,
)
from roost.core.web_links import web_link

logger = logging.getLogger(__name__)

NETWORK = "Facebook"
GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}"
WEB = "https://www.facebook.com"

FEED, REELS, STORIES = "feed", "reels", "stories"
PLACEMENTS: tuple[str, ...] = (FEED, REELS, STORIES)
# The catalogue's feed placement: up to 10 photos, or one video, never both.
MAX_FEED_PHOTOS = 10

# The Page task a person needs to publish as the Page (Pages API, "Get Started").
CREATE_CONTENT = "CREATE_CONTENT"
# A Messenger reply outside the 24-hour window is refused with code 10 and one of
# these subcodes; it is the conversation's state, not a missing permission.
MESSAGING_WINDOW_SUBCODES = {"2018278", "2018108", "2018109"}
# Messenger message ids begin so; comment and post ids are numbers joined by "_".
MESSAGE_ID_PREFIX = "m_"

COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url"
MESSAGE_FIELDS = "id,message,created_time,from{id,name,email}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(body: Any, key: str = "id") -> str:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise TransientError(f"{NETWORK} answered without the {key!r} it promises.")
    return str(value)


def _author(entry: Mapping[str, Any]) -> dict[str, Any]:
    author = entry.get("from")
    return author if isinstance(author, dict) else {}


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _summary_total(body: Mapping[str, Any], edge: str) -> int:
    node = body.get(edge)
    summary = node.get("summary") if isinstance(node, dict) else None
    return _count(summary.get("total_count")) if isinstance(summary, dict) else 0


def graph_time(value: Any) -> dt.datetime | None:
    """A Graph API time (`2026-12-01T09:30:00+0000`) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def explain(response: httpx.Response) -> ConnectorError | None:
    """The typed error a Facebook answer means (see `meta_graph`), with the refusals
    that mean something else on Facebook than elsewhere."""
    fields = graph_error_fields(response)
    if fields is not None:
        code, subcode = str(fields.get("code")), str(fields.get("error_subcode"))
        if code == "10" and subcode in MESSAGING_WINDOW_SUBCODES:
            said = str(fields.get("error_user_msg") or fields.get("message") or "")
            said = said[:MESSAGE_LIMIT]
            return PermanentError(
                f"{NETWORK} accepts a reply to this message only within its messaging "
                f"window: {said}",
                network_message=said,
            )
        return graph_error(response, network=NETWORK)
    # The upload host (rupload.facebook.com) answers `{"debug_info": {"type", "message"}}`.
    body = json_body(response)
    info = body.get("debug_info") if isinstance(body, dict) else None
    if isinstance(info, dict) and response.status_code < 500 and response.status_code != 429:
        said = str(info.get("message") or info.get("type") or "")[:MESSAGE_LIMIT]
        return PermanentError(f"{NETWORK} refused the upload: {said}", network_message=said)
    return None


# The Page's webhook fields Roost subscribes its app to: comments and posts on the feed,
# mentions of the Page, and Messenger messages.
PUSHED_FIELDS = ("feed", "mention", "messages")


class FacebookConnector(Connector):
    """A Facebook Page, in one placement: feed, reels or stories."""

    name = "facebook"
    # No LOOKUP or IDEMPOTENT_PUBLISH: the Graph API keeps no key of the caller's.
    capabilities = frozenset(
        {
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_LINK,
            Capability.FIRST_COMMENT,
            Capability.REPLY,
            Capability.DELETE,
            Capability.HIDE,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.FETCH_MESSAGES,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
        }
    )
    # Facebook Login's manual flow for a web server: the app secret at the token
    # endpoint, no PKCE (offered only for the OpenID Connect flow, still in testing).
    oauth = OAuthSpec(
        authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
        token_url=f"{GRAPH}/oauth/access_token",
        scopes=(
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_posts",
            "pages_manage_engagement",
            "pages_read_user_content",
            "read_insights",
            "pages_messaging",
            "pages_manage_metadata",
            "business_management",
        ),
        pkce=False,
        client_auth="post",
        scope_separator=",",
    )

    timeout: ClassVar[httpx.Timeout] = DEFAULT_TIMEOUT
    # Reels: how often and how long to watch Facebook publish the reel after `finish`.
    poll_interval_s: ClassVar[float] = 2.0
    poll_attempts: ClassVar[int] = 30
    # Inbox reading: the newest posts whose comments are read, and pages per list.
    recent_posts: ClassVar[int] = 25
    page_size: ClassVar[int] = 50
    max_pages: ClassVar[int] = 5
    max_account_pages: ClassVar[int] = 20

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._http: NetworkHttp | None = None

    # Plumbing.

    @classmethod
    def _client(cls, token: str | None = None) -> NetworkHttp:
        return NetworkHttp(
            network=NETWORK,
            token=token,
            token_scheme="OAuth",  # noqa: S106 (the word Meta puts before a token)
            explain=explain,
            timeout=cls.timeout,
        )

    @property
    def http(self) -> NetworkHttp:
        if self._http is None:
            self._http = self._client(access_token_of(self._secret, network=NETWORK))
        return self._http

    def _page_id(self) -> str:
        return self.channel.external_id or "me"

    def _placement(self) -> str:
        placement = self.channel.placement or FEED
        if placement not in PLACEMENTS:
            raise PermanentError(
                f"Facebook has no placement {placement!r}; it has {', '.join(PLACEMENTS)}."
            )
        return placement

    def _get(self, path: str, **params: Any) -> Any:
        return self.http.json("GET", f"{GRAPH}/{path}", params=params)

    def _post(self, path: str, **kwargs: Any) -> Any:
        return self.http.json("POST", f"{GRAPH}/{path}", **kwargs)

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """Exchange the sign-in's token for a long-lived one, then list the Pages the
        person may publish to (`CREATE_CONTENT`), each with its own Page token.

        A Page token read with a long-lived user token does not expire (Facebook
        Login, "Long-Lived Access Tokens"); it ends when the person loses the task,
        changes their password or removes the app.
        """
        exchange = cls._client()
        try:
            long_lived = long_lived_user_token(
                access_token=access_token, app=app, http=exchange
            ).access_token
        finally:
            exchange.close()
        http = cls._client(long_lived)
        accounts: list[ConnectableAccount] = []
        try:
            params: dict[str, Any] = {"fields": "id,name,username,access_token,tasks"}
            for _ in range(cls.max_account_pages):
                page = http.json("GET", f"{GRAPH}/me/accounts", params=params)
                for entry in page.get("data") or []:
                    account = cls._connectable(entry)
                    if account is not None:
                        accounts.append(account)
                after = _after(page)
                if after is None:
                    break
                params = {**params, "after": after}
        finally:
            http.close()
        return tuple(accounts)

    @staticmethod
    def _connectable(entry: Any) -> ConnectableAccount | None:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("access_token"):
            return None
        tasks = entry.get("tasks")
        if isinstance(tasks, list) and CREATE_CONTENT not in tasks:
            return None
        name = _text(entry.get("name"))
        username = _text(entry.get("username"))
        return ConnectableAccount(
            external_id=str(entry["id"]),
            handle=f"@{username}" if username else name or str(entry["id"]),
            display_name=name,
            placements=PLACEMENTS,
            access_token=str(entry["access_token"]),
        )

    # Identity.

    def verify(self) -> Account:
        page = self._get(self._page_id(), fields="id,name,username")
        username = _text(page.get("username"))
        name = _text(page.get("name"))
        return Account(
            external_id=_id(page),
            handle=f"@{username}" if username else name,
            display_name=name,
        )

    # Webhooks.

    def push_subscribe(self, target: PushTarget) -> bool:
        """Subscribe the app to the Page's webhooks (`POST /{page-id}/subscribed_apps`,
        Graph API reference "Page Subscribed Apps"), so Meta notifies it of the Page's
        feed (comments, posts tagging it) and Messenger messages."""
        answer = self._post(
            f"{self._page_id()}/subscribed_apps",
            data={"subscribed_fields": ",".join(PUSHED_FIELDS)},
        )
        return bool(isinstance(answer, dict) and answer.get("success"))

    def push_unsubscribe(self, target: PushTarget) -> bool:
        return remove_page_subscription(self.http, GRAPH, self._page_id(), network="Facebook")

    @classmethod
    def push_scope(cls, channel: ChannelRef) -> str:
        # The subscription is the Page's, whichever placement connected it.
        return f"{META_PAGE_SCOPE}{channel.external_id}"

    # Publishing.

    def publish(self, request: PublishRequest) -> Published:
        placement = self._placement()
        if placement == REELS:
            published = self._publish_reel(request)
        elif placement == STORIES:
            published = self._publish_story(request)
        else:
            published = self._publish_feed(request)
        if request.first_comment and request.first_comment.strip():
            warning = self._first_comment(published.external_id, request.first_comment, placement)
            published = replace(published, warning=warning)
        return published

    def _first_comment(self, post_id: str, text: str, placement: str) -> str:
        """The Page's own first comment. The post already stands, so a refusal here is
        logged and the post still counts as published: failing it would make Roost
        publish the post a second time."""
        if placement == STORIES:
            logger.info("Facebook stories take no comments; the first comment was skipped")
            return "Published, but Facebook stories take no comments: the first one was not posted."
        try:
            self._post(f"{post_id}/comments", data={"message": text})
        except ConnectorError as error:
            logger.warning(
                "Facebook published %s but refused its first comment: %s",
                post_id,
                type(error).__name__,
            )
            return first_comment_refused("Facebook", error)
        return ""

    @staticmethod
    def _feed_text(request: PublishRequest) -> str:
        """The text, with the link added where the post cannot carry it as a link."""
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text.strip() else request.link
        return text

    def _publish_feed(self, request: PublishRequest) -> Published:
        media = request.media
        videos = [item for item in media if item.mime_type.startswith("video/")]
        images = [item for item in media if item.mime_type.startswith("image/")]
        if len(videos) + len(images) != len(media):
            raise PermanentError("Facebook feed posts take photos or a video, nothing else.")
        if videos and (images or len(videos) > 1):
            raise PermanentError("A Facebook feed post takes one video on its own.")
        if len(images) > MAX_FEED_PHOTOS:
            raise PermanentError(f"A Facebook feed post takes at most {MAX_FEED_PHOTOS} photos.")
        page = self._page_id()
        if videos:
            video_id = self._upload_page_video(videos[0], description=self._feed_text(request))
            return Published(external_id=video_id, url=web_link(f"{WEB}/{page}/videos/{video_id}"))
        if len(images) == 1:
            answer = self._upload_photo(images[0], published=True, message=self._feed_text(request))
            post_id = str(answer.get("post_id") or _id(answer))
            return Published(external_id=post_id, url=web_link(f"{WEB}/{post_id}"))
        form: dict[str, Any] = {}
        if images:
            # Several photos: each uploaded unpublished, then one post attaches them.
            with _nothing_posted():
                for index, item in enumerate(images):
                    photo_id = _id(self._upload_photo(item, published=False))
                    form[f"attached_media[{index}]"] = f'{{"media_fbid":"{photo_id}"}}'
            form["message"] = self._feed_text(request)
        else:
            if request.text:
                form["message"] = request.text
            if request.link:
                form["link"] = request.link
        if not form:
            raise PermanentError("A Facebook post needs text, a link or media.")
        post_id = _id(self._post(f"{page}/feed", data=form))
        return Published(external_id=post_id, url=web_link(f"{WEB}/{post_id}"))

    def _upload_photo(
        self, item: MediaItem, *, published: bool, message: str = ""
    ) -> dict[str, Any]:
        """POST /{page-id}/photos with the bytes as `source`; published=false keeps the
        photo out of the feed until a post (or a story) uses it."""
        form = {"published": "true" if published else "false"}
        if message:
            form["message"] = message
        if item.alt_text:
            form["alt_text_custom"] = item.alt_text
        answer = self._post(
            f"{self._page_id()}/photos",
            data=form,
            files={"source": ("photo", item.data, item.mime_type)},
        )
        return answer if isinstance(answer, dict) else {}

    def _upload_page_video(self, item: MediaItem, *, description: str) -> str:
        """Page videos' chunked upload: `start` names the size, each `transfer` sends
        the byte range Facebook asks for next, `finish` publishes. On graph.facebook.com:
        the Video API overview retires the graph-video host, and its Resumable Upload
        API (/{app-id}/uploads) needs a user token, which a Page channel does not keep."""
        path = f"{self._page_id()}/videos"
        with _nothing_posted():
            video_id, session = self._transfer_page_video(path, item)
        form = {"upload_phase": "finish", "upload_session_id": session}
        if description:
            form["description"] = description
        finished = self._post(path, data=form)
        if isinstance(finished, dict) and finished.get("success") is False:
            raise PermanentError(f"{NETWORK} did not publish the uploaded video.")
        return video_id

    def _transfer_page_video(self, path: str, item: MediaItem) -> tuple[str, str]:
        """The `start` and `transfer` phases: (video id, upload session id)."""
        size = len(item.data)
        started = self._post(path, data={"upload_phase": "start", "file_size": str(size)})
        video_id, session = _id(started, "video_id"), _id(started, "upload_session_id")
        start, end = _offsets(started)
        # Each answer names a later range; the bound stops a server that never advances.
        for _ in range(size + 2):
            if start >= end or start >= size:
                return video_id, session
            answer = self._post(
                path,
                data={
                    "upload_phase": "transfer",
                    "upload_session_id": session,
                    "start_offset": str(start),
                },
                files={"video_file_chunk": ("chunk", item.data[start:end], item.mime_type)},
            )
            next_start, next_end = _offsets(answer)
            if next_start <= start:
                raise TransientError(f"{NETWORK} did not take the video past byte {start}.")
            start, end = next_start, next_end
        raise TransientError(f"{NETWORK} kept asking for more of the video.")

    def _upload_hosted(self, upload_url: str, item: MediaItem) -> None:
        """Send the whole file to the upload address a reel or video story was given."""
        if not _upload_address_trusted(upload_url):
            # The Page token goes with the file: only to Facebook's own upload host.
            raise PermanentError(f"{NETWORK} named an upload address outside facebook.com.")
        answer = self.http.json(
            "POST",
            upload_url,
            content=item.data,
            headers={
                "offset": "0",
                "file_size": str(len(item.data)),
                "Content-Type": "application/octet-stream",
            },
        )
        if isinstance(answer, dict) and answer.get("success") is False:
            raise TransientError(f"{NETWORK} did not confirm the upload.")

    @staticmethod
    def _one_video(request: PublishRequest, what: str) -> MediaItem:
        videos = [item for item in request.media if item.mime_type.startswith("video/")]
        if len(request.media) != 1 or len(videos) != 1:
            raise PermanentError(f"A Facebook {what} takes exactly one video.")
        return videos[0]

    def _publish_reel(self, request: PublishRequest) -> Published:
        video = self._one_video(request, "reel")
        path = f"{self._page_id()}/video_reels"
        with _nothing_posted():
            started = self._post(path, data={"upload_phase": "start"})
            video_id = _id(started, "video_id")
            self._upload_hosted(_text(started.get("upload_url")), video)
        form = {"upload_phase": "finish", "video_id": video_id, "video_state": "PUBLISHED"}
        description = self._feed_text(request)
        if description:
            form["description"] = description
        finished = self._post(path, data=form)
        if isinstance(finished, dict) and finished.get("success") is False:
            raise PermanentError(f"{NETWORK} did not accept the reel for publishing.")
        self._watch_reel(video_id)
        return Published(external_id=video_id, url=web_link(f"{WEB}/reel/{video_id}"))

    def _watch_reel(self, video_id: str) -> None:
        """Wait, a bounded while, for Facebook to process and publish the reel.

        A reel still in progress at the end of the wait is left to Facebook: it has
        the video and publishes it when processing ends. One that Facebook reports
        as failed is refused with its words.
        """
        for attempt in range(self.poll_attempts):
            if attempt:
                time.sleep(self.poll_interval_s)
            try:
                body = self._get(video_id, fields="status")
            except ConnectorError as error:
                # `finish` was accepted: the reel is Facebook's to publish now, and a
                # status that cannot be read says nothing against it.
                logger.info("Facebook reel %s status unread: %s", video_id, type(error).__name__)
                return
            status = body.get("status") if isinstance(body, dict) else None
            if not isinstance(status, dict):
                return
            failed = _failed_phase(status)
            if failed:
                raise PermanentError(
                    f"{NETWORK} could not publish the reel: {failed}", network_message=failed
                )
            publishing = status.get("publishing_phase")
            if str(status.get("video_status")) in ("ready", "published") or (
                isinstance(publishing, dict) and publishing.get("status") == "complete"
            ):
                return

    def _publish_story(self, request: PublishRequest) -> Published:
        if len(request.media) != 1:
            raise PermanentError("A Facebook story takes exactly one photo or video.")
        item = request.media[0]
        page = self._page_id()
        if item.mime_type.startswith("image/"):
            with _nothing_posted():
                photo_id = _id(self._upload_photo(item, published=False))
            answer = self._post(f"{page}/photo_stories", data={"photo_id": photo_id})
        elif item.mime_type.startswith("video/"):
            with _nothing_posted():
                started = self._post(f"{page}/video_stories", data={"upload_phase": "start"})
                video_id = _id(started, "video_id")
                self._upload_hosted(_text(started.get("upload_url")), item)
            answer = self._post(
                f"{page}/video_stories", data={"upload_phase": "finish", "video_id": video_id}
            )
        else:
            raise PermanentError("A Facebook story takes a photo or a video.")
        if isinstance(answer, dict) and answer.get("success") is False:
            raise PermanentError(f"{NETWORK} did not publish the story.")
        post_id = _id(answer, "post_id")
        return Published(external_id=post_id, url=web_link(f"{WEB}/stories/{page}"))

    # Conversations.

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        """A comment under a post or comment, or a Messenger answer to a message."""
        if to_external_id.startswith(MESSAGE_ID_PREFIX):
            return self._message_reply(to_external_id, text)
        answer = self._post(f"{to_external_id}/comments", data={"message": text})
        comment_id = _id(answer)
        return Published(external_id=comment_id, url=web_link(f"{WEB}/{comment_id}"))

    def _message_reply(self, message_id: str, text: str) -> Published:
        message = self._get(message_id, fields="from,to")
        page = self.channel.external_id
        sender = message.get("from") if isinstance(message, dict) else None
        recipient = str(sender.get("id") or "") if isinstance(sender, dict) else ""
        if not recipient or recipient == page:
            to = message.get("to") if isinstance(message, dict) else None
            people = to.get("data") if isinstance(to, dict) else None
            others = [
                str(p.get("id"))
                for p in people or []
                if isinstance(p, dict) and p.get("id") and str(p.get("id")) != page
            ]
            recipient = others[0] if others else ""
        if not recipient:
            raise PermanentError(f"{NETWORK} names nobody to answer for message {message_id}.")
        answer = self._post(
            f"{self._page_id()}/messages",
            json={
                "recipient": {"id": recipient},
                "messaging_type": "RESPONSE",
                "message": {"text": text},
            },
        )
        return Published(external_id=_id(answer, "message_id"), url="")

    def delete(self, external_id: str) -> None:
        self.http.json("DELETE", f"{GRAPH}/{external_id}")

    def hide(self, external_id: str) -> None:
        self._post(external_id, data={"is_hidden": "true"})

    def unhide(self, external_id: str) -> None:
        self._post(external_id, data={"is_hidden": "false"})

    # The inbox.

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Comments on the Page's newest posts, posts that tag the Page, and Messenger
        messages, from the times in `cursor` on, oldest first.

        The cursor keeps one time per kind (`c`omments, `t`ags, `m`essages, epoch
        seconds), each the newest item seen of that kind. Times are compared
        inclusively, so items of the same second are read again (Roost keeps each
        once). The Graph API lists newest first; within a list, the connector reads
        further pages (`paging.cursors.after`) until it meets an item older than
        the cursor, at most `max_pages`.
        """
        marks = _read_cursor(cursor)
        page = self.channel.external_id
        items: list[Inbound] = []
        items.extend(self._comments(since=marks["c"], page=page))
        items.extend(self._mentions(since=marks["t"], page=page))
        items.extend(self._messages(since=marks["m"], page=page))
        for item in items:
            key = CURSOR_KEY_OF[item.kind]
            marks[key] = max(marks[key], int(item.created_at.timestamp()))
        items.sort(key=lambda item: item.created_at)
        return FetchPage(items=tuple(items), cursor=_write_cursor(marks))

    def _newer(self, first: Any, path: str, params: dict[str, Any], since: int) -> Iterator[Any]:
        """Entries of a newest-first list from `since` on: this page, then the next
        ones by `after` while the oldest entry read is still new."""
        body = first
        for number in range(self.max_pages):
            if number:
                after = _after(body)
                if after is None:
                    return
                body = self._get(path, **{**params, "after": after})
            entries = body.get("data") if isinstance(body, dict) else None
            older = False
            for entry in entries or []:
                at = graph_time(entry.get("created_time")) if isinstance(entry, dict) else None
                if at is None or at.timestamp() < since:
                    older = True
                    continue
                yield entry
            if older or not entries:
                return

    def _comments(self, *, since: int, page: str) -> list[Inbound]:
        nested = (
            f"comments.filter(stream).order(reverse_chronological).limit({self.page_size})"
            f"{{{COMMENT_FIELDS}}}"
        )
        feed = self._get(
            f"{self._page_id()}/feed",
            fields=f"id,permalink_url,{nested}",
            limit=self.recent_posts,
        )
        found: list[Inbound] = []
        for post in feed.get("data") or []:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            post_id = str(post["id"])
            params = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "reverse_chronological",
                "limit": self.page_size,
            }
            first = post.get("comments") or {}
            for comment in self._newer(first, f"{post_id}/comments", params, since):
                author = _author(comment)
                if page and str(author.get("id") or "") == page:
                    continue
                parent = comment.get("parent")
                parent_id = str(parent.get("id")) if isinstance(parent, dict) else ""
                found.append(
                    self._inbound(
                        comment,
                        kind=InboundKind.REPLY if parent_id else InboundKind.COMMENT,
                        parent=parent_id or post_id,
                    )
                )
        return found

    def _mentions(self, *, since: int, page: str) -> list[Inbound]:
        params = {
            "fields": "id,message,created_time,from{id,name},permalink_url",
            "limit": self.page_size,
        }
        path = f"{self._page_id()}/tagged"
        first = self._get(path, **params)
        found = []
        for post in self._newer(first, path, params, since):
            author = _author(post)
            if page and str(author.get("id") or "") == page:
                continue
            found.append(self._inbound(post, kind=InboundKind.MENTION, parent=""))
        return found

    def _messages(self, *, since: int, page: str) -> list[Inbound]:
        params = {
            "platform": "messenger",
            "fields": f"id,updated_time,messages.limit({self.page_size}){{{MESSAGE_FIELDS}}}",
            "limit": self.page_size,
        }
        path = f"{self._page_id()}/conversations"
        found: list[Inbound] = []
        body = self._get(path, **params)
        # Conversations come most recently updated first: stop at the first older one.
        for number in range(self.max_pages):
            if number:
                after = _after(body)
                if after is None:
                    break
                body = self._get(path, **{**params, "after": after})
            conversations = body.get("data") or []
            older = False
            for conversation in conversations:
                updated = graph_time(conversation.get("updated_time"))
                if updated is None or updated.timestamp() < since:
                    older = True
                    continue
                message_params = {"fields": MESSAGE_FIELDS, "limit": self.page_size}
                message_path = f"{conversation.get('id')}/messages"
                first = conversation.get("messages") or {}
                for message in self._newer(first, message_path, message_params, since):
                    author = _author(message)
                    if page and str(author.get("id") or "") == page:
                        continue
                    found.append(self._inbound(message, kind=InboundKind.DIRECT_MESSAGE, parent=""))
            if older or not conversations:
                break
        return found

    @staticmethod
    def _inbound(entry: Mapping[str, Any], *, kind: InboundKind, parent: str) -> Inbound:
        author = _author(entry)
        created = graph_time(entry.get("created_time")) or dt.datetime.now(tz=dt.UTC)
        return Inbound(
            external_id=str(entry.get("id")),
            kind=kind,
            # Facebook shows people by name only; the id it gives is scoped to the app
            # or the Page, and is what keeps two people of the same name apart.
            author_handle=str(author.get("id") or ""),
            author_name=_text(author.get("name")),
            text=_text(entry.get("message")),
            created_at=created,
            parent_external_id=parent,
            url=web_link(_text(entry.get("permalink_url"))),
        )

    # Figures.

    def metrics(self, external_id: str) -> PostMetrics:
        """Reactions, comments and shares of a post or video, with its views and reach
        from Page Insights where Facebook gives them (None where it does not)."""
        placement = self._placement()
        if placement == STORIES:
            raise PermanentError("Facebook gives no figures for Page stories through its API.")
        is_post = "_" in external_id
        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        if is_post:
            fields += ",shares"
        body = self._get(external_id, fields=fields)
        shares = body.get("shares") if isinstance(body, dict) else None
        views, reach = self._insights(external_id, is_post=is_post, placement=placement)
        return PostMetrics(
            likes=_summary_total(body, "reactions"),
            replies=_summary_total(body, "comments"),
            reposts=_count(shares.get("count")) if isinstance(shares, dict) else 0,
            impressions=views if is_post else None,
            reach=reach,
            video_views=None if is_post else views,
        )

    def _insights(self, object_id: str, *, is_post: bool, placement: str) -> tuple[int | None, ...]:
        """(views, reach) from the object's insights; (None, None) where Facebook has
        none for it (Pages under 100 likes, metrics it retired)."""
        if is_post:
            edge, metrics = "insights", ("post_media_view", "post_total_media_view_unique")
        elif placement == REELS:
            edge, metrics = "video_insights", ("blue_reels_play_count", "post_impressions_unique")
        else:
            edge, metrics = (
                "video_insights",
                ("total_video_views", "total_video_impressions_unique"),
            )
        try:
            body = self._get(f"{object_id}/{edge}", metric=",".join(metrics))
        except PermanentError:
            return None, None
        values: dict[str, int] = {}
        for entry in body.get("data") or []:
            if not isinstance(entry, dict):
                continue
            points = entry.get("values")
            if isinstance(points, list) and points and isinstance(points[-1], dict):
                value = points[-1].get("value")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    values[str(entry.get("name"))] = max(int(value), 0)
        return values.get(metrics[0]), values.get(metrics[1])

    def channel_stats(self) -> ChannelStats:
        """The Page's followers (`followers_count`); Facebook shows no profile views."""
        body = self._get(self._page_id(), fields="followers_count,fan_count")
        followers = body.get("followers_count")
        if followers is None:
            followers = body.get("fan_count")
        return ChannelStats(followers=None if followers is None else _count(followers))


def _upload_address_trusted(url: str) -> bool:
    """Whether an upload address a Graph answer named may receive the Page token: an
    https address on facebook.com, or one of the servers `ROOST_NETWORK_ENDPOINTS`
    sends Facebook's addresses to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == "facebook.com" or host.endswith(".facebook.com")):
        return True
    overrides = getattr(settings, "ROOST_NETWORK_ENDPOINTS", {}) or {}
    origin = f"{parts.scheme}://{parts.netloc}"
    return any(str(target).rstrip("/") == origin for target in overrides.values())


@contextlib.contextmanager
def _nothing_posted() -> Iterator[None]:
    """Around the uploads that come before the publishing call: until that call, the
    Page shows nothing, so a lost answer there proves no post was made. It becomes
    `NotAccepted`, which Roost may send again, instead of an unconfirmed outcome."""
    try:
        yield
    except NotAccepted:
        raise
    except TransientError as error:
        raise NotAccepted(f"{error} Nothing was posted yet.") from error


def _after(body: Any) -> str | None:
    """The `after` cursor of a Graph API list, when a next page exists."""
    paging = body.get("paging") if isinstance(body, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


def _offsets(body: Any) -> tuple[int, int]:
    if not isinstance(body, dict):
        raise TransientError(f"{NETWORK} answered the upload without byte offsets.")
    try:
        return int(body["start_offset"]), int(body["end_offset"])
    except (KeyError, TypeError, ValueError):
        raise TransientError(f"{NETWORK} answered the upload without byte offsets.") from None


def _failed_phase(status: Mapping[str, Any]) -> str:
    """Facebook's words for a failed upload, processing or publishing phase, or ""."""
    if str(status.get("video_status")) == "error":
        return "the video could not be processed"
    for phase in ("uploading_phase", "processing_phase", "publishing_phase"):
        entry = status.get(phase)
        if isinstance(entry, dict) and entry.get("status") == "error":
            errors = entry.get("errors")
            first = errors[0] if isinstance(errors, list) and errors else None
            message = first.get("message") if isinstance(first, dict) else None
            return str(message or f"{phase.replace('_', ' ')} failed")[:MESSAGE_LIMIT]
    return ""


CURSOR_KEYS = ("c", "t", "m")
CURSOR_KEY_OF = {
    InboundKind.COMMENT: "c",
    InboundKind.REPLY: "c",
    InboundKind.MENTION: "t",
    InboundKind.DIRECT_MESSAGE: "m",
}


def _read_cursor(cursor: str | None) -> dict[str, int]:
    marks = dict.fromkeys(CURSOR_KEYS, 0)
    for part in (cursor or "").split(";"):
        key, _, value = part.partition(":")
        if key in marks and value.isdigit():
            marks[key] = int(value)
    return marks


def _write_cursor(marks: Mapping[str, int]) -> str:
    return ";".join(f"{key}:{marks[key]}" for key in CURSOR_KEYS)
