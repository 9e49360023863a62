"""The connector for Instagram professional accounts, through the Instagram Graph API
with Facebook Login (graph.facebook.com).

One channel is one Instagram professional account (`ChannelRef.external_id` is its
IG user id) linked to a Facebook Page (`settings["page_id"]`). The secret is the
Page's access token that `oauth_accounts` hands over (it does not expire while the
person keeps their role on the Page), or the JSON of a stored token set.

Publishing follows Meta's content publishing protocol, per catalogue placement:

- `square`, `portrait`, `landscape`: one image container (`image_url`, `caption`,
  `alt_text`);
- `carousel`: one container per item (`is_carousel_item=true`), then a `CAROUSEL`
  container naming them as `children`;
- `reels`: a `REELS` container with `upload_type=resumable`, whose video bytes go to
  the upload address Meta hands back (rupload.facebook.com), `offset` and
  `file_size` headers on each part;
- `stories`: a `STORIES` container with an image URL or an uploaded video (stories
  take no caption).

Each container is polled (`status_code`) until FINISHED, boundedly, and then
`media_publish` makes the post. Instagram fetches images itself, so an image needs
`MediaItem.url` (Roost's signed public address); videos are uploaded as bytes.

Comments and replies on the account's media, posts that tag it, and its direct
messages (the Page's Instagram conversations, Messenger Platform) come into the inbox;
answers to comments go to their `replies` edge, answers to messages to the Page's
`messages` edge.

Nothing is visible before `media_publish`: a failure before it is raised as
`NotAccepted` (containers left behind expire after 24 hours), and a cut-off
`media_publish` asks the container whether it was published; only when it was, or
when that cannot be told, is the outcome unknown (`TransientError`). Instagram
offers no search by a key Roost chooses, so such a post becomes "unconfirmed".
"""

from __future__ import annotations

import datetime as dt
import json
import math
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
    ProfileStats,
    Published,
    PublishRequest,
    PushTarget,
    RefreshedTokens,
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import (
    MESSAGE_LIMIT,
    NetworkHttp,
    access_token_of,
    endpoint,
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

NETWORK = "Instagram"
GRAPH = "https://graph.facebook.com"
API = f"{GRAPH}/{GRAPH_VERSION}"
RUPLOAD = "https://rupload.facebook.com"

# Placements of the catalogue, and what each takes.
SINGLE_IMAGE_PLACEMENTS = frozenset({"square", "portrait", "landscape"})
CAROUSEL = "carousel"
REELS = "reels"
STORIES = "stories"
CAROUSEL_MIN, CAROUSEL_MAX = 2, 10

# Container states (IG Container reference, `status_code`).
FINISHED = "FINISHED"
IN_PROGRESS = "IN_PROGRESS"
PUBLISHED = "PUBLISHED"
FAILED_STATES = frozenset({"ERROR", "EXPIRED"})

# IG Media insights, per kind of post (`impressions` gave way to `views` in v22.0).
FEED_METRICS = ("reach", "likes", "comments", "saved", "shares", "views")
STORY_METRICS = ("reach", "replies", "shares", "views")

COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},parent_id,hidden"
PROFILE_RECENT = dt.timedelta(hours=24)
# Read again at the next sweep: this much before the last one began (clock differences).
SWEEP_OVERLAP = dt.timedelta(minutes=5)
NO_PUBLIC_ADDRESS = (
    "Instagram fetches images from a public address, and Roost has none: set "
    "ROOST_BASE_URL to Roost's https address."
)


def graph_time(value: Any) -> dt.datetime | None:
    """A Graph API timestamp (`2017-05-19T23:27:28+0000`) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# Instagram's own "try again" codes (Error Codes reference: -1 "Instagram server error",
# -2 "It takes too long to download the media"), which come with HTTP 400.
RETRY_CODES = frozenset({-1, -2})


# Messenger Platform: code 10 with this subcode is a message sent outside the window in
# which the person may be answered, not a missing permission.
OUTSIDE_WINDOW_SUBCODE = 2018278


def _explain(response: httpx.Response) -> ConnectorError | None:
    error = graph_error_fields(response)
    if error is None:
        return None
    said = str(error.get("error_user_msg") or error.get("message") or "")[:MESSAGE_LIMIT]
    if error.get("code") in RETRY_CODES:
        return TransientError(f"Instagram failed for now: {said}")
    if error.get("error_subcode") == OUTSIDE_WINDOW_SUBCODE:
        return PermanentError(
            f"Instagram no longer lets the account answer this conversation: {said}",
            network_message=said,
        )
    return graph_error(response, network=NETWORK)


def _http(token: str | None, *, timeout: float) -> NetworkHttp:
    return NetworkHttp(
        network=NETWORK,
        token=token,
        explain=_explain,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
    )


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


class _Cursor:
    """Where `fetch` stands: items newer than `since` are new; a sweep through the
    account's media goes one page per call (`after`) and remembers when it began
    (`started`), which, less `SWEEP_OVERLAP`, becomes `since` when the sweep ends.

    Not the newest item seen: a comment can land on a post the sweep has already read,
    and be older than a comment found on a later page. Items read twice are dropped by
    external id when Roost stores them."""

    def __init__(self, since: str = "", after: str = "", started: str = "") -> None:
        self.since, self.after, self.started = since, after, started

    @classmethod
    def read(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            since=str(data.get("since") or ""),
            after=str(data.get("after") or ""),
            started=str(data.get("started") or ""),
        )

    def write(self) -> str:
        data = {"since": self.since, "after": self.after, "started": self.started}
        return json.dumps({key: value for key, value in data.items() if value}, sort_keys=True)


class InstagramConnector(Connector):
    """An Instagram professional account linked to a Facebook Page."""

    name = "instagram"
    # No PUBLISH_TEXT or PUBLISH_LINK: every Instagram post carries media, and links in
    # captions are not clickable (a link is added to the caption as plain text). No
    # LOOKUP and no IDEMPOTENT_PUBLISH: the API finds no post by a key Roost chooses.
    capabilities = frozenset(
        {
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.REPLY,
            Capability.DELETE,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.FETCH_MESSAGES,
            Capability.DIRECT_MESSAGES,
            Capability.HIDE,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
            Capability.PUBLIC_PROFILES,
            Capability.FIRST_COMMENT,
        }
    )
    oauth: ClassVar[OAuthSpec | None] = OAuthSpec(
        authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
        token_url=f"{API}/oauth/access_token",
        scopes=(
            "instagram_basic",
            "instagram_content_publish",
            "instagram_manage_comments",
            "instagram_manage_insights",
            "instagram_manage_messages",
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_metadata",
            "business_management",
        ),
        # Facebook Login's code flow for a web server authenticates with the app secret;
        # its PKCE support is for the OpenID Connect flow, documented as still in testing.
        pkce=False,
        client_auth="post",
        scope_separator=",",
        authorize_params=(
            ("display", "page"),
            # Lets the person make their account professional and link a Page on the way.
            ("extras", '{"setup":{"channel":"IG_API_ONBOARDING"}}'),
        ),
    )

    # Waiting for containers: at most `poll_attempts` reads, `poll_interval_s` apart.
    poll_interval_s: ClassVar[float] = 3.0
    poll_attempts: ClassVar[int] = 100
    # Video bytes go up in parts of this size, each with its `offset`.
    upload_chunk_bytes: ClassVar[int] = 32 * 1024 * 1024
    timeout_s: ClassVar[float] = 60.0
    page_size: ClassVar[int] = 25
    comments_per_media: ClassVar[int] = 50
    # `fetch` reads comments on the account's media of this many days back.
    comment_window: ClassVar[dt.timedelta] = dt.timedelta(days=30)
    min_sweep_interval: ClassVar[dt.timedelta] = dt.timedelta(minutes=1)
    oauth_account_pages: ClassVar[int] = 20

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._client: NetworkHttp | None = None

    # Plumbing.

    def _token(self) -> str:
        return access_token_of(self._secret, network=NETWORK)

    def _api(self) -> NetworkHttp:
        if self._client is None:
            self._client = _http(self._token(), timeout=self.timeout_s)
        return self._client

    def _get(self, path: str, **params: Any) -> Any:
        return self._api().json("GET", f"{API}/{path}", params=params)

    def _post(self, path: str, **data: Any) -> Any:
        return self._api().json("POST", f"{API}/{path}", data=data)

    def _ig_user(self) -> str:
        if not self.channel.external_id:
            raise PermanentError(
                f"Channel {self.channel.id} has no Instagram account id; connect it again."
            )
        return self.channel.external_id

    @staticmethod
    def _id_of(body: Any, what: str) -> str:
        found = body.get("id") if isinstance(body, dict) else None
        if not found:
            raise TransientError(f"Instagram answered {what} without an id.")
        return str(found)

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """The Instagram professional accounts linked to the Pages the person manages.

        The short-lived user token is exchanged for a long-lived one first; Page tokens
        read with a long-lived user token do not expire, and each account gets its
        Page's token (the long-lived user token where the Page gave none)."""
        long_lived = cls._exchange(access_token=access_token, app=app)
        client = _http(long_lived.access_token, timeout=cls.timeout_s)
        accounts: list[ConnectableAccount] = []
        try:
            params: dict[str, Any] = {
                "fields": "id,name,access_token,instagram_business_account{id,username,name}",
                "limit": 100,
            }
            for _ in range(cls.oauth_account_pages):
                body = client.json("GET", f"{API}/me/accounts", params=params)
                for page in body.get("data") or []:
                    linked = page.get("instagram_business_account")
                    if not isinstance(linked, dict) or not linked.get("id"):
                        continue
                    username = str(linked.get("username") or "")
                    accounts.append(
                        ConnectableAccount(
                            external_id=str(linked["id"]),
                            handle=f"@{username}" if username else str(linked["id"]),
                            display_name=str(linked.get("name") or page.get("name") or ""),
                            access_token=str(page.get("access_token") or "")
                            or long_lived.access_token,
                            settings={"page_id": str(page.get("id") or ""), "username": username},
                        )
                    )
                after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
                if not after or not (body.get("paging") or {}).get("next"):
                    break
                params = {**params, "after": after}
        finally:
            client.close()
        return tuple(accounts)

    @classmethod
    def oauth_refresh(
        cls, *, access_token: str, refresh_token: str | None, app: AppCredentials
    ) -> RefreshedTokens | None:
        """Facebook Login has no refresh tokens: a user token still valid is exchanged
        for a new long-lived one (`fb_exchange_token`). Page tokens need no renewal."""
        return cls._exchange(access_token=access_token, app=app)

    @classmethod
    def _exchange(cls, *, access_token: str, app: AppCredentials) -> RefreshedTokens:
        client = _http(None, timeout=cls.timeout_s)
        try:
            return long_lived_user_token(access_token=access_token, app=app, http=client)
        finally:
            client.close()

    # Identity and figures.

    def verify(self) -> Account:
        body = self._get(self._ig_user(), fields="id,username,name")
        return Account(
            external_id=str(body.get("id") or self._ig_user()),
            handle=f"@{body.get('username') or ''}",
            display_name=str(body.get("name") or ""),
        )

    def channel_stats(self) -> ChannelStats:
        """Followers (the API gives profile views only per day, not as a running total)."""
        body = self._get(self._ig_user(), fields="followers_count")
        return ChannelStats(followers=_count(body.get("followers_count")))

    def profile_stats(self, handle: str) -> ProfileStats:
        """Another professional account's figures, through business discovery."""
        username = handle.strip().lstrip("@")
        if not username or any(c.isspace() or c in "{}(),/" for c in username):
            raise PermanentError(f"{handle!r} is not an Instagram username.")
        fields = (
            f"business_discovery.username({username})"
            "{username,name,followers_count,media_count,"
            "media.limit(50){timestamp,like_count,comments_count}}"
        )
        found = self._get(self._ig_user(), fields=fields).get("business_discovery") or {}
        since = dt.datetime.now(dt.UTC) - PROFILE_RECENT
        recent = [
            media
            for media in ((found.get("media") or {}).get("data") or [])
            if (graph_time(media.get("timestamp")) or since) > since
        ]
        return ProfileStats(
            handle=f"@{found.get('username') or username}",
            display_name=str(found.get("name") or ""),
            followers=_count(found.get("followers_count")),
            posts=_count(found.get("media_count")),
            recent_posts=len(recent),
            recent_engagements=sum(
                _count(m.get("like_count")) + _count(m.get("comments_count")) for m in recent
            ),
        )

    def metrics(self, external_id: str) -> PostMetrics:
        story = self.channel.placement == STORIES
        names = STORY_METRICS if story else FEED_METRICS
        body = self._get(f"{external_id}/insights", metric=",".join(names))
        values: dict[str, int] = {}
        for entry in body.get("data") or []:
            if not isinstance(entry, dict):
                continue
            total = (entry.get("total_value") or {}).get("value")
            points = entry.get("values") or []
            if total is None and points and isinstance(points[0], dict):
                total = points[0].get("value")
            values[str(entry.get("name"))] = _count(total)
        views = values.get("views")
        return PostMetrics(
            likes=values.get("likes", 0),
            replies=values.get("replies" if story else "comments", 0),
            reposts=values.get("shares", 0),
            impressions=views,
            reach=values.get("reach"),
            saves=None if story else values.get("saved"),
            video_views=views if self.channel.placement == REELS else None,
        )

    # Publishing.

    def publish(self, request: PublishRequest) -> Published:
        if request.reply_to:
            return self.reply(
                to_external_id=request.reply_to,
                text=request.text,
                idempotency_key=request.idempotency_key,
            )
        placement = self.channel.placement
        caption = request.text.strip()
        if request.link and request.link not in caption:
            caption = f"{caption}\n\n{request.link}" if caption else request.link
        self._check_media(placement, request.media)
        ig_user = self._ig_user()
        try:
            container = self._containers(placement, caption, request.media)
            self._wait_until_ready(container)
        except NotAccepted:
            raise
        except TransientError as error:
            # Nothing is visible before media_publish: sending again cannot double the post.
            raise NotAccepted(f"Instagram did not publish: {error}") from error
        try:
            body = self._post(f"{ig_user}/media_publish", creation_id=container)
        except NotAccepted:
            raise
        except TransientError as error:
            if self._container_state(container) not in (PUBLISHED, None):
                raise NotAccepted(
                    "Instagram's answer to media_publish was lost, and the container "
                    "is not published."
                ) from error
            raise
        media_id = self._id_of(body, "media_publish")
        published = Published(external_id=media_id, url=self._permalink(media_id))
        if request.first_comment and request.first_comment.strip() and placement != STORIES:
            warning = self._first_comment(media_id, request.first_comment.strip())
            published = replace(published, warning=warning)
        return published

    @staticmethod
    def _check_media(placement: str, media: Sequence[MediaItem]) -> None:
        images = [item for item in media if item.mime_type.startswith("image/")]
        videos = [item for item in media if item.mime_type.startswith("video/")]
        if len(images) + len(videos) != len(media):
            raise PermanentError("Instagram takes images and videos only.")
        if placement in SINGLE_IMAGE_PLACEMENTS:
            if len(images) != 1 or videos:
                raise PermanentError(f"An Instagram {placement} post is exactly one image.")
        elif placement == CAROUSEL:
            if not CAROUSEL_MIN <= len(media) <= CAROUSEL_MAX:
                raise PermanentError(
                    f"An Instagram carousel has {CAROUSEL_MIN} to {CAROUSEL_MAX} items."
                )
        elif placement == REELS:
            if len(videos) != 1 or images:
                raise PermanentError("An Instagram reel is exactly one video.")
        elif placement == STORIES:
            if len(media) != 1:
                raise PermanentError("An Instagram story is exactly one image or video.")
        else:
            raise PermanentError(f"Instagram has no placement {placement!r}.")
        if any(not item.url for item in images):
            raise PermanentError(NO_PUBLIC_ADDRESS, network_message=NO_PUBLIC_ADDRESS)

    def _containers(self, placement: str, caption: str, media: Sequence[MediaItem]) -> str:
        """Create the post's container(s) and upload their videos; the id to publish."""
        if placement == CAROUSEL:
            children = [self._container(item, {"is_carousel_item": "true"}) for item in media]
            # Items must be ready before the carousel container can name them.
            for child in children:
                self._wait_until_ready(child)
            fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
            if caption:
                fields["caption"] = caption
            return self._id_of(self._post(f"{self._ig_user()}/media", **fields), "a carousel")
        (item,) = media
        fields = {}
        if placement == STORIES:
            fields["media_type"] = "STORIES"
        elif caption:
            fields["caption"] = caption
        if placement == REELS:
            fields["media_type"] = "REELS"
        return self._container(item, fields)

    def _container(self, item: MediaItem, fields: Mapping[str, str]) -> str:
        data = dict(fields)
        video = item.mime_type.startswith("video/")
        if video:
            data.setdefault("media_type", "VIDEO")
            data["upload_type"] = "resumable"
        else:
            data["image_url"] = item.url
            # Alt text is taken on image posts (and their carousel items), not on stories.
            if item.alt_text and data.get("media_type") != "STORIES":
                data["alt_text"] = item.alt_text
        body = self._post(f"{self._ig_user()}/media", **data)
        container = self._id_of(body, "a media container")
        if video:
            self._upload(container, body.get("uri"), item.data)
        return container

    def _upload(self, container: str, uri: Any, data: bytes) -> None:
        """Send the video's bytes to Meta's upload host, a part at a time; each part says
        where it starts (`offset`) and the whole size (`file_size`)."""
        if isinstance(uri, str) and uri.startswith("https://"):
            # The address Meta hands back (through `endpoint`, which only a configured
            # override of rupload.facebook.com changes).
            target = endpoint(uri)
        else:
            target = endpoint(f"{RUPLOAD}/ig-api-upload/{GRAPH_VERSION}/{container}")
        size = len(data)
        step = max(self.upload_chunk_bytes, 1)
        for offset in range(0, max(size, 1), step):
            part = data[offset : offset + step]
            headers = {
                "Authorization": f"OAuth {self._token()}",
                "offset": str(offset),
                "file_size": str(size),
                "Content-Type": "application/octet-stream",
            }
            self._api().send("POST", target, content=part, headers=headers)

    def _container_state(self, container: str) -> str | None:
        """The container's `status_code`, or None when it cannot be read now."""
        try:
            body = self._get(container, fields="status_code,status")
        except TransientError:
            return None
        state = body.get("status_code")
        if state in FAILED_STATES:
            said = str(body.get("status") or state)
            raise PermanentError(
                f"Instagram could not process the media: {said}", network_message=said
            )
        return str(state) if state else None

    def _wait_until_ready(self, container: str) -> None:
        for attempt in range(max(self.poll_attempts, 1)):
            body = self._get(container, fields="status_code,status")
            state = body.get("status_code")
            if state in (FINISHED, PUBLISHED):
                return
            if state in FAILED_STATES:
                said = str(body.get("status") or state)
                raise PermanentError(
                    f"Instagram could not process the media ({state}): {said}",
                    network_message=said,
                )
            if attempt + 1 < self.poll_attempts:
                time.sleep(self.poll_interval_s)
        waited = math.ceil(self.poll_attempts * self.poll_interval_s)
        raise NotAccepted(f"Instagram was still processing the media after {waited} s.")

    def _permalink(self, media_id: str) -> str:
        # The post exists: a failure to read its address must not look like a failed publish.
        try:
            body = self._get(media_id, fields="permalink")
        except ConnectorError:
            return ""
        return web_link(str(body.get("permalink") or ""))

    def _first_comment(self, media_id: str, text: str) -> str:
        # The post exists: a refused first comment must not make it look unpublished.
        try:
            self._post(f"{media_id}/comments", message=text)
        except ConnectorError as error:
            return first_comment_refused("Instagram", error)
        return ""

    # Conversations under the account's posts.

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        """Answer a comment on the account's media, or a direct message.

        Comment ids are numbers; message ids are not (Messenger Platform ids such as
        `aWdfZAG1f...`), and an answer to a message goes to its sender through the Page's
        `messages` edge. Instagram threads comments one level deep, so a reply to a
        reply answers its parent comment."""
        if not to_external_id.isdigit():
            return self._message(to_external_id, text)
        body = self._post(f"{to_external_id}/replies", message=text)
        return Published(external_id=self._id_of(body, "a reply"), url="")

    def _message(self, message_id: str, text: str) -> Published:
        page_id = self._page_id()
        found = self._get(message_id, fields="from,to")
        sender = (found.get("from") or {}).get("id")
        if not sender or str(sender) == self.channel.external_id:
            recipients = (found.get("to") or {}).get("data") or []
            sender = next(
                (r.get("id") for r in recipients if str(r.get("id")) != self.channel.external_id),
                None,
            )
        if not sender:
            raise PermanentError(f"Instagram names no one to answer for message {message_id}.")
        body = self._api().json(
            "POST",
            f"{API}/{page_id}/messages",
            json={"recipient": {"id": str(sender)}, "message": {"text": text}},
        )
        sent = body.get("message_id") if isinstance(body, dict) else None
        if not sent:
            raise TransientError("Instagram answered a direct message without its id.")
        return Published(external_id=str(sent), url="")

    def _page_id(self) -> str:
        page_id = str(self.channel.settings.get("page_id") or "")
        if not page_id:
            raise PermanentError(
                f"Channel {self.channel.id} has no Facebook Page id; connect it again."
            )
        return page_id

    def push_subscribe(self, target: PushTarget) -> bool:
        """Enable the linked Page's subscription for the app (`POST
        /{page-id}/subscribed_apps`): Meta sends an Instagram account's comment, mention
        and message webhooks only when the Page connected to it subscribes the app to a
        Page field (Webhooks for Instagram, "Enable Page Subscriptions")."""
        answer = self._post(f"{self._page_id()}/subscribed_apps", subscribed_fields="feed")
        return bool(isinstance(answer, dict) and answer.get("success"))

    def push_unsubscribe(self, target: PushTarget) -> bool:
        """The subscription is the linked Page's: the caller removes it only once no
        other channel on that Page is left (`push_scope`)."""
        if not self.channel.settings.get("page_id"):
            return False
        return remove_page_subscription(self._api(), API, self._page_id(), network="Meta")

    @classmethod
    def push_scope(cls, channel: ChannelRef) -> str:
        page_id = str(channel.settings.get("page_id") or "")
        return f"{META_PAGE_SCOPE}{page_id}" if page_id else super().push_scope(channel)

    def hide(self, external_id: str) -> None:
        self._post(external_id, hide="true")

    def unhide(self, external_id: str) -> None:
        self._post(external_id, hide="false")

    def delete(self, external_id: str) -> None:
        """Delete a comment or reply (the account's own, or one on its media)."""
        self._api().json("DELETE", f"{API}/{external_id}")

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Comments and replies on the account's recent media, media it is tagged in, and
        direct messages.

        One page of media per call, each with its newest comments and their replies;
        the cursor keeps the sweep's place (`after`) and when it began, and only items
        newer than the beginning of the last finished sweep come back. Tags and the
        most recently active conversations are read at the start of each sweep, and a
        sweep begins at most once every `min_sweep_interval`.
        """
        state = _Cursor.read(cursor)
        since = graph_time(state.since)
        now = dt.datetime.now(dt.UTC)
        last_began = graph_time(state.started)
        if not state.after and last_began and now - last_began < self.min_sweep_interval:
            # The last sweep has just ended: what it overlaps would only come back again.
            return FetchPage(items=(), cursor=cursor)
        started = last_began if state.after else now
        ig_user = self._ig_user()
        items: list[Inbound] = []
        if not state.after:
            items.extend(self._mentions(ig_user, since))
            if self.channel.settings.get("page_id"):
                items.extend(self._messages(since))
        params: dict[str, Any] = {
            "fields": (
                f"id,timestamp,permalink,comments.limit({self.comments_per_media})"
                f"{{{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}}}"
            ),
            "limit": self.page_size,
        }
        if state.after:
            params["after"] = state.after
        body = self._get(f"{ig_user}/media", **params)
        window_start = now - self.comment_window
        oldest_seen: dt.datetime | None = None
        for media in body.get("data") or []:
            posted = graph_time(media.get("timestamp"))
            if posted is not None:
                oldest_seen = posted if oldest_seen is None else min(oldest_seen, posted)
            items.extend(self._comments(media, since))
        after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
        more = bool((body.get("paging") or {}).get("next")) and bool(after)
        if more and (oldest_seen is None or oldest_seen > window_start):
            next_state = _Cursor(since=state.since, after=str(after), started=_iso(started))
        else:
            began = started or now
            next_state = _Cursor(since=_iso(began - SWEEP_OVERLAP), started=_iso(began))
        items.sort(key=lambda item: item.created_at)
        return FetchPage(items=tuple(items), cursor=next_state.write())

    def _comments(self, media: Mapping[str, Any], since: dt.datetime | None) -> Iterator[Inbound]:
        permalink = web_link(str(media.get("permalink") or ""))
        own = self.channel.external_id
        for comment in (media.get("comments") or {}).get("data") or []:
            replies = (comment.get("replies") or {}).get("data") or []
            for entry, kind, parent in (
                (comment, InboundKind.COMMENT, str(media.get("id") or "")),
                *((reply, InboundKind.REPLY, str(comment.get("id") or "")) for reply in replies),
            ):
                author = entry.get("from") or {}
                created = graph_time(entry.get("timestamp"))
                if created is None or (since is not None and created <= since):
                    continue
                if own and str(author.get("id") or "") == own:
                    continue  # the account's own comments and replies
                username = str(entry.get("username") or author.get("username") or "")
                yield Inbound(
                    external_id=str(entry.get("id")),
                    kind=kind,
                    author_handle=f"@{username}",
                    text=str(entry.get("text") or ""),
                    created_at=created,
                    parent_external_id=parent,
                    url=permalink,
                )

    def _messages(self, since: dt.datetime | None) -> Iterator[Inbound]:
        """Messages of the Page's most recently active Instagram conversations (Meta
        gives the newest 20 of each), the account's own left out."""
        body = self._get(
            f"{self._page_id()}/conversations",
            platform="instagram",
            fields="id,updated_time,messages{id,created_time,from,to,message}",
            limit=self.page_size,
        )
        own = self.channel.external_id
        own_name = str(self.channel.settings.get("username") or "")
        for conversation in body.get("data") or []:
            updated = graph_time(conversation.get("updated_time"))
            if since is not None and updated is not None and updated <= since:
                continue
            for message in (conversation.get("messages") or {}).get("data") or []:
                author = message.get("from") or {}
                created = graph_time(message.get("created_time"))
                if created is None or (since is not None and created <= since):
                    continue
                username = str(author.get("username") or "")
                if str(author.get("id") or "") == own or (own_name and username == own_name):
                    continue
                yield Inbound(
                    external_id=str(message.get("id")),
                    kind=InboundKind.DIRECT_MESSAGE,
                    author_handle=f"@{username}",
                    text=str(message.get("message") or ""),
                    created_at=created,
                    parent_external_id=str(conversation.get("id") or ""),
                )

    def _mentions(self, ig_user: str, since: dt.datetime | None) -> Iterator[Inbound]:
        body = self._get(
            f"{ig_user}/tags",
            fields="id,caption,username,timestamp,permalink",
            limit=self.page_size,
        )
        for media in body.get("data") or []:
            created = graph_time(media.get("timestamp"))
            if created is None or (since is not None and created <= since):
                continue
            yield Inbound(
                external_id=str(media.get("id")),
                kind=InboundKind.MENTION,
                author_handle=f"@{media.get('username') or ''}",
                text=str(media.get("caption") or ""),
                created_at=created,
                url=web_link(str(media.get("permalink") or "")),
            )


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000") if moment else ""
