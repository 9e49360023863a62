"""The connector for X, through the X API v2 on api.x.com.

One X account per channel, placement `post`. The secret is the account's OAuth 2.0
user access token (authorization code with PKCE, see `XConnector.oauth`), or the JSON
`TokenSet.to_secret` writes; `ChannelRef.external_id` is the account's user id.
Per-channel options live in `ChannelRef.settings`:

- `direct_messages`: False leaves direct messages out of `fetch` (for an app whose
  access does not include the Direct Messages endpoints); True by default.

What it uses, from the official reference (docs.x.com):

- publish: `POST /2/tweets` with `text`, `media.media_ids` and
  `reply.in_reply_to_tweet_id`. A link goes into the text, where X shortens it.
- media: an image in one `POST /2/media/upload` (multipart, `tweet_image`); an
  animated GIF or a video through the chunked upload: `POST /2/media/upload/initialize`,
  `POST /2/media/upload/{id}/append` per segment (`segment_index`, at most 5 MB each),
  `POST /2/media/upload/{id}/finalize`, then `GET /2/media/upload?command=STATUS` until
  `processing_info.state` is `succeeded`. Alt text: `POST /2/media/metadata`.
- first comment: a reply by the account to its new post.
- inbox: `GET /2/users/{id}/mentions` (replies to the account's posts mention it, so
  they come this way too) with `since_id` and `pagination_token`, and
  `GET /2/dm_events` (newest first, `pagination_token`). A reply to a direct message
  goes to `POST /2/dm_conversations/{id}/messages`.
- moderation: `PUT /2/tweets/{id}/hidden`; `DELETE /2/tweets/{id}`.
- figures: `GET /2/tweets/{id}` with `public_metrics` and `non_public_metrics` (the
  latter only for the account's own posts of the last 30 days), the video's
  `view_count`; followers from `GET /2/users/me`; another account's from
  `GET /2/users/by/username/{username}` and `GET /2/users/{id}/tweets`.

The reference pages write `tweet.fields`, `retweet_count`, `referenced_tweets` and
`note_tweet`; the published OpenAPI description has started to spell them `post.fields`,
`repost_count`, `referenced_posts` and `note_post`. Requests use the documented names;
answers are read in either spelling.

X has no idempotency key and no search by a key Roost chooses, so neither
`IDEMPOTENT_PUBLISH` nor `LOOKUP` is declared: a publish whose answer was lost stays
unconfirmed for a person to settle. Every failure leaves as one of the typed errors
of `connectors.base`; failures before the post is created (media uploads) leave as
`NotAccepted`, since no post can exist yet.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
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
    CredentialExpired,
    CredentialRevoked,
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
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import (
    MESSAGE_LIMIT,
    Explain,
    NetworkHttp,
    access_token_of,
    json_body,
    network_message,
)
from roost.core.web_links import web_link

logger = logging.getLogger(__name__)

API = "https://api.x.com"
WEB = "https://x.com"
NETWORK = "X"
PLACEMENT = "post"

# The documented limits of one post: four photos, or one animated GIF, or one video.
MAX_IMAGES = 4
# An APPEND segment may carry at most 5 MB; segment_index runs from 0 to 999.
MAX_SEGMENT_BYTES = 5 * 1024 * 1024
MAX_SEGMENTS = 1000
# The alt text `POST /2/media/metadata` takes.
MAX_ALT_TEXT = 1000

TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang,note_tweet"
)
USER_FIELDS = "username,name,verified,public_metrics"
DM_EVENT_FIELDS = "id,text,event_type,created_at,sender_id,dm_conversation_id"

# A direct message's id in Roost: its conversation (where a reply goes) and its event.
DM_PREFIX = "dm:"
# What the X Activity API pushes to the app's webhook for an account (all private events:
# the account's own OAuth 2.0 token, with tweet.read and dm.read).
# Pages of `GET /2/activity/subscriptions` read at most when looking for an account's.
MAX_SUBSCRIPTION_PAGES = 20
PUSHED_EVENTS = ("post.reply.create", "post.mention.create", "post.quote.create", "dm.received")

# Another account's recent posts: read back this far, at most this many pages.
PROFILE_RECENT = dt.timedelta(hours=24)
MAX_PROFILE_PAGES = 5


def _utc(value: Any) -> dt.datetime:
    """An X timestamp (`2022-10-19T20:58:00.000Z`) as an aware datetime; now when absent."""
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def _newer(first: str | None, second: str | None) -> str | None:
    """The larger of two post or event ids (X ids grow with time), ignoring None."""
    found = [value for value in (first, second) if value and value.isdigit()]
    return max(found, key=int) if found else None


def _count(metrics: Mapping[str, Any], *names: str) -> int | None:
    """The first of `names` the metrics hold, as an int; None when none is given."""
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
    return None


def _x_message(response: httpx.Response) -> str:
    """X's own words for a refusal: each error's `message` or `detail`, else the
    problem's `detail` or `title` (the reference's two error shapes)."""
    body = json_body(response)
    if isinstance(body, dict):
        said: list[str] = []
        errors = body.get("errors")
        if isinstance(errors, list):
            for error in errors:
                if isinstance(error, dict):
                    text = error.get("message") or error.get("detail")
                    if isinstance(text, str) and text and text not in said:
                        said.append(text)
        if said:
            return "; ".join(said)[:MESSAGE_LIMIT]
        for key in ("detail", "title"):
            text = body.get(key)
            if isinstance(text, str) and text:
                return text[:MESSAGE_LIMIT]
    return network_message(response)


def _expired(secret: str | None, *, now: dt.datetime | None = None) -> bool:
    """Whether the stored token set says its access token has expired by now."""
    text = (secret or "").strip()
    if not text.startswith("{"):
        return False
    try:
        expires_at = json.loads(text).get("expires_at")
        moment = dt.datetime.fromisoformat(expires_at) if isinstance(expires_at, str) else None
    except (ValueError, AttributeError):
        return False
    if moment is None:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment <= (now or dt.datetime.now(dt.UTC))


def _explainer(secret: str | None) -> Explain:
    """The `explain` hook: X's 401 and 4xx bodies as typed errors (429 and 5xx keep the
    shared rules, which read `x-rate-limit-reset`)."""

    def explain(response: httpx.Response) -> ConnectorError | None:
        status = response.status_code
        if status == 429 or status >= 500:
            return None
        said = _x_message(response)
        if status == 401:
            if _expired(secret):
                return CredentialExpired(f"The X access token expired: {said}")
            return CredentialRevoked(f"X refused the access token: {said}")
        if 400 <= status < 500:
            return PermanentError(f"X refused the request ({status}): {said}", network_message=said)
        return None

    return explain


def _data(body: Any, *, what: str) -> Any:
    """The answer's `data`; an answer holding only `errors` (a post not found, say,
    which X reports with a 200) is a refusal."""
    if isinstance(body, dict) and body.get("data") is not None:
        return body["data"]
    said = ""
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        parts = [
            str(error.get("detail") or error.get("message") or error.get("title") or "")
            for error in body["errors"]
            if isinstance(error, dict)
        ]
        said = "; ".join(part for part in parts if part)[:MESSAGE_LIMIT]
    said = said or "the answer holds no data"
    raise PermanentError(f"X could not {what}: {said}", network_message=said)


@dataclass(frozen=True)
class _Stream:
    """Where one inbox stream stands: the newest id already handed over (`seen`), and
    while a sweep through newer pages is under way, the newest id of that sweep
    (`top`) and the next page's token."""

    seen: str | None = None
    top: str | None = None
    token: str | None = None

    def encode(self) -> dict[str, str]:
        return {
            key: value
            for key, value in (("s", self.seen), ("t", self.top), ("p", self.token))
            if value
        }

    @classmethod
    def decode(cls, value: Any) -> _Stream:
        if not isinstance(value, dict):
            return cls()
        parts = {key: value.get(key) for key in ("s", "t", "p")}
        clean = {
            key: item if isinstance(item, str) and item else None for key, item in parts.items()
        }
        return cls(seen=clean["s"], top=clean["t"], token=clean["p"])


def _read_cursor(cursor: str | None) -> tuple[_Stream, _Stream]:
    """(mentions, direct messages) from a cursor `fetch` returned. A bare post id is
    taken as the newest mention seen; anything else unreadable starts afresh."""
    text = (cursor or "").strip()
    if text.isdigit():
        return _Stream(seen=text), _Stream()
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return _Stream.decode(data.get("m")), _Stream.decode(data.get("d"))


def _write_cursor(mentions: _Stream, messages: _Stream) -> str | None:
    data = {
        key: encoded
        for key, encoded in (("m", mentions.encode()), ("d", messages.encode()))
        if encoded
    }
    return json.dumps(data, separators=(",", ":"), sort_keys=True) if data else None


def _advance(
    stream: _Stream, *, ids: Iterable[str], next_token: str | None, reached_seen: bool
) -> _Stream:
    """Where a stream stands after one page (newest first) of its sweep.

    The first page of a sweep fixes its top. With nothing seen yet only that newest
    page is taken (no backlog); otherwise the sweep pages back until no page is left or
    it reaches what was seen, and then the top becomes the newest seen.
    """
    top = stream.top if stream.token else _newer(stream.seen, _newest(ids))
    if stream.seen is None or not next_token or reached_seen:
        return _Stream(seen=top)
    return _Stream(seen=stream.seen, top=top, token=next_token)


def _newest(ids: Iterable[str]) -> str | None:
    newest: str | None = None
    for value in ids:
        newest = _newer(newest, value)
    return newest


class XConnector(Connector):
    """One X account through the X API v2."""

    name = "x"
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
            Capability.PUBLIC_PROFILES,
        }
    )
    oauth: ClassVar[OAuthSpec | None] = OAuthSpec(
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 (an address, not a secret)
        scopes=(
            "tweet.read",
            "tweet.write",
            "tweet.moderate.write",
            "users.read",
            "offline.access",
            "media.write",
            "dm.read",
            "dm.write",
        ),
        pkce=True,
        # A web app is a confidential client: HTTP Basic at the token endpoint.
        client_auth="basic",
    )

    # Bytes per APPEND segment (below X's 5 MB, so a 512 MB video takes 128 segments).
    chunk_bytes: ClassVar[int] = 4 * 1024 * 1024
    # Media processing: X names a wait (`check_after_secs`); no single wait is longer
    # than `poll_interval_s` and all of them together no longer than `poll_timeout_s`.
    poll_interval_s: ClassVar[float] = 5.0
    poll_timeout_s: ClassVar[float] = 600.0
    page_size: ClassVar[int] = 100
    # Seconds to wait for an answer (and for a connection, at most 10).
    request_timeout_s: ClassVar[float] = 30.0

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._http_client: NetworkHttp | None = None
        self._own_id: str | None = channel.external_id or None

    # Calls.

    def _http(self) -> NetworkHttp:
        if self._http_client is None:
            token = access_token_of(self._secret, network=NETWORK)
            self._http_client = NetworkHttp(
                network=NETWORK,
                token=token,
                explain=_explainer(self._secret),
                timeout=httpx.Timeout(
                    self.request_timeout_s, connect=min(10.0, self.request_timeout_s)
                ),
            )
        return self._http_client

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._http().json(method, f"{API}{path}", **kwargs)

    def _me(self, *, fields: str) -> dict[str, Any]:
        user = _data(
            self._json("GET", "/2/users/me", params={"user.fields": fields}),
            what="read the account",
        )
        if not isinstance(user, dict) or not user.get("id"):
            raise TransientError("X answered /2/users/me without the account's id.")
        self._own_id = str(user["id"])
        return user

    def _own_user_id(self) -> str:
        """The account's user id: the channel's external id, else asked of X once."""
        if self._own_id is None:
            return str(self._me(fields="username")["id"])
        return self._own_id

    def _post_url(self, post_id: str, username: str | None = None) -> str:
        handle = (username or self.channel.handle).strip().lstrip("@")
        if handle and handle.replace("_", "").isalnum():
            return f"{WEB}/{handle}/status/{post_id}"
        return f"{WEB}/i/web/status/{post_id}"

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """The signed-in account itself: X's user tokens act for that one account."""
        http = NetworkHttp(network=NETWORK, token=access_token, explain=_explainer(None))
        try:
            body = http.json("GET", f"{API}/2/users/me", params={"user.fields": "username,name"})
        finally:
            http.close()
        user = _data(body, what="read the account")
        if not isinstance(user, dict) or not user.get("id"):
            raise TransientError("X answered /2/users/me without the account's id.")
        return (
            ConnectableAccount(
                external_id=str(user["id"]),
                handle=f"@{user.get('username') or user['id']}",
                display_name=str(user.get("name") or ""),
                placements=(PLACEMENT,),
            ),
        )

    # The connector interface.

    def verify(self) -> Account:
        user = self._me(fields="username,name")
        return Account(
            external_id=str(user["id"]),
            handle=f"@{user.get('username') or user['id']}",
            display_name=str(user.get("name") or ""),
        )

    def publish(self, request: PublishRequest) -> Published:
        if self.channel.placement not in ("", PLACEMENT):
            raise PermanentError(
                f"X has no placement {self.channel.placement!r}; its placement is {PLACEMENT!r}."
            )
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text.strip() else request.link
        if not text.strip() and not request.media:
            raise PermanentError("X needs text or media for a post.")
        categories = self._check_media(request.media)
        media_ids = self._upload_all(request.media, categories)
        published = self._create_post(text=text, media_ids=media_ids, reply_to=request.reply_to)
        if request.first_comment and request.first_comment.strip():
            warning = self._first_comment(published.external_id, request.first_comment)
            published = replace(published, warning=warning)
        return published

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        # X takes no idempotency key; the key is Roost's alone.
        if to_external_id.startswith(DM_PREFIX):
            return self._send_direct_message(to_external_id, text)
        return self._create_post(text=text, media_ids=[], reply_to=to_external_id)

    def delete(self, external_id: str) -> None:
        if external_id.startswith(DM_PREFIX):
            _, event_id = self._dm_parts(external_id)
            self._json("DELETE", f"/2/dm_events/{event_id}")
            return
        body = self._json("DELETE", f"/2/tweets/{external_id}")
        data = _data(body, what="delete the post")
        if isinstance(data, dict) and data.get("deleted") is False:
            raise PermanentError(f"X did not delete post {external_id}.")

    def hide(self, external_id: str) -> None:
        self._set_hidden(external_id, hidden=True)

    def unhide(self, external_id: str) -> None:
        self._set_hidden(external_id, hidden=False)

    def _set_hidden(self, external_id: str, *, hidden: bool) -> None:
        if external_id.startswith(DM_PREFIX):
            raise PermanentError("X hides replies to posts, not direct messages.")
        body = self._json("PUT", f"/2/tweets/{external_id}/hidden", json={"hidden": hidden})
        data = _data(body, what="hide the reply" if hidden else "show the reply")
        if isinstance(data, dict) and data.get("hidden") is not None and data["hidden"] != hidden:
            raise PermanentError(f"X left reply {external_id} {'shown' if hidden else 'hidden'}.")

    # Webhooks.

    def push_subscribe(self, target: PushTarget) -> bool:
        """Subscribe the account's replies, mentions, quotes and direct messages to the
        app's webhook (X Activity API: `POST /2/activity/subscriptions` with the event
        type, the user id filter and the webhook id, one subscription per event type, in
        the account's own user context). Needs the webhook's id; False without it. A
        subscription X says exists already counts as made."""
        if not target.network_id:
            return False
        user_id = self._own_user_id()
        for event_type in PUSHED_EVENTS:
            try:
                self._json(
                    "POST",
                    "/2/activity/subscriptions",
                    json={
                        "event_type": event_type,
                        "filter": {"user_id": user_id},
                        "webhook_id": target.network_id,
                    },
                )
            except PermanentError as error:
                said = error.network_message.lower()
                if "duplicate" not in said and "already" not in said:
                    raise
        return True

    def push_unsubscribe(self, target: PushTarget) -> bool:
        """Delete the account's activity subscriptions (X Activity API: `GET
        /2/activity/subscriptions` lists them, `DELETE /2/activity/subscriptions/{id}`
        deletes one; "Get X activity subscriptions" and "Deletes X activity
        subscription" in X's reference), those whose `filter.user_id` is the account,
        on the app's webhook when its id is known. One already gone (404) counts as
        deleted."""
        user_id = self._own_user_id()
        found: list[str] = []
        token: str | None = None
        for _page in range(MAX_SUBSCRIPTION_PAGES):
            params = {"pagination_token": token} if token else None
            body = self._json("GET", "/2/activity/subscriptions", params=params)
            rows = body.get("data") if isinstance(body, dict) else None
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict):
                    continue
                raw_filter = row.get("filter")
                given = raw_filter if isinstance(raw_filter, dict) else {}
                webhook = str(row.get("webhook_id") or row.get("webhookId") or "")
                ident = str(row.get("subscription_id") or row.get("subscriptionId") or "")
                if (
                    ident.isascii()
                    and ident.isdigit()
                    and str(given.get("user_id") or given.get("userId") or "") == user_id
                    and (not target.network_id or not webhook or webhook == target.network_id)
                ):
                    found.append(ident)
            meta = body.get("meta") if isinstance(body, dict) else None
            token = str(meta.get("next_token") or "") if isinstance(meta, dict) else ""
            if not token:
                break
        for ident in found:
            self._http().remove(f"{API}/2/activity/subscriptions/{ident}")
        return bool(found)

    # Publishing.

    @staticmethod
    def _check_media(media: Sequence[MediaItem]) -> list[str]:
        """Each item's media category, once the set is one X takes in a post."""
        categories: list[str] = []
        for item in media:
            mime = item.mime_type.lower()
            if mime == "image/gif":
                categories.append("tweet_gif")
            elif mime.startswith("image/"):
                categories.append("tweet_image")
            elif mime.startswith("video/"):
                categories.append("tweet_video")
            else:
                raise PermanentError(f"X does not take {item.mime_type} files in a post.")
        alone = [category for category in categories if category != "tweet_image"]
        if alone and len(categories) > 1:
            raise PermanentError("X takes an animated GIF or a video only on its own in a post.")
        if len(categories) > MAX_IMAGES:
            raise PermanentError(f"X takes at most {MAX_IMAGES} photos in a post.")
        return categories

    def _upload_all(self, media: Sequence[MediaItem], categories: Sequence[str]) -> list[str]:
        """Upload every item; no post exists yet, so whatever fails here is `NotAccepted`."""
        try:
            return [
                self._upload(item, category)
                for item, category in zip(media, categories, strict=True)
            ]
        except NotAccepted:
            raise
        except TransientError as error:
            raise NotAccepted(f"{error} (before the post was created)") from error

    def _upload(self, item: MediaItem, category: str) -> str:
        if category == "tweet_image":
            body = self._json(
                "POST",
                "/2/media/upload",
                data={"media_category": category},
                files={"media": ("media", item.data, item.mime_type)},
            )
            media_id = self._media_id(body)
            self._wait_for_processing(media_id, body)
        else:
            media_id = self._upload_in_segments(item, category)
        if item.alt_text.strip():
            self._json(
                "POST",
                "/2/media/metadata",
                json={
                    "id": media_id,
                    "metadata": {"alt_text": {"text": item.alt_text.strip()[:MAX_ALT_TEXT]}},
                },
            )
        return media_id

    @staticmethod
    def _media_id(body: Any) -> str:
        data = _data(body, what="upload the media")
        if not isinstance(data, dict) or not data.get("id"):
            raise TransientError("X answered a media upload without a media id.")
        return str(data["id"])

    def _upload_in_segments(self, item: MediaItem, category: str) -> str:
        size = len(item.data)
        segment = max(1, min(self.chunk_bytes, MAX_SEGMENT_BYTES))
        if size > segment * MAX_SEGMENTS:
            segment = -(-size // MAX_SEGMENTS)
            if segment > MAX_SEGMENT_BYTES:
                raise PermanentError("The file is too large for X's chunked upload.")
        media_id = self._media_id(
            self._json(
                "POST",
                "/2/media/upload/initialize",
                json={
                    "media_type": item.mime_type,
                    "total_bytes": size,
                    "media_category": category,
                },
            )
        )
        for index, start in enumerate(range(0, size, segment)):
            self._json(
                "POST",
                f"/2/media/upload/{media_id}/append",
                data={"segment_index": str(index)},
                files={
                    "media": (
                        "media",
                        item.data[start : start + segment],
                        "application/octet-stream",
                    )
                },
            )
        finalized = self._json("POST", f"/2/media/upload/{media_id}/finalize")
        self._media_id(finalized)
        self._wait_for_processing(media_id, finalized)
        return media_id

    def _wait_for_processing(self, media_id: str, answer: Any) -> None:
        """Poll STATUS while the answer has `processing_info` that has not succeeded."""
        deadline = time.monotonic() + self.poll_timeout_s
        while True:
            data = answer.get("data") if isinstance(answer, dict) else None
            info = data.get("processing_info") if isinstance(data, dict) else None
            if not isinstance(info, dict):
                return
            state = str(info.get("state") or "")
            if state == "succeeded":
                return
            if state == "failed":
                error = info.get("error")
                said = ""
                if isinstance(error, dict):
                    said = str(error.get("message") or error.get("name") or "")
                said = said or "X could not process the media"
                raise PermanentError(
                    f"X could not process media {media_id}: {said}", network_message=said
                )
            if time.monotonic() >= deadline:
                raise NotAccepted(
                    f"X was still processing media {media_id} after {self.poll_timeout_s:.0f} s."
                )
            wait = info.get("check_after_secs")
            wait = (
                float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) else 1.0
            )
            time.sleep(max(0.0, min(wait, self.poll_interval_s)))
            answer = self._json(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )

    def _create_post(
        self, *, text: str, media_ids: Sequence[str], reply_to: str | None
    ) -> Published:
        payload: dict[str, Any] = {"text": text}
        if media_ids:
            payload["media"] = {"media_ids": list(media_ids)}
        if reply_to:
            payload["reply"] = {"in_reply_to_tweet_id": reply_to}
        data = _data(self._json("POST", "/2/tweets", json=payload), what="create the post")
        if not isinstance(data, dict) or not data.get("id"):
            # The post may exist: the outcome is unknown.
            raise TransientError("X answered POST /2/tweets without the new post's id.")
        post_id = str(data["id"])
        return Published(external_id=post_id, url=web_link(self._post_url(post_id)))

    def _first_comment(self, post_id: str, text: str) -> str:
        """Reply to the new post as the account. The post exists whatever happens here,
        so a failure is logged and the publish still succeeds (a raise would have the
        post sent again)."""
        try:
            self._create_post(text=text, media_ids=[], reply_to=post_id)
        except ConnectorError as error:
            logger.warning(
                "X post %s was published but its first comment failed: %s: %s",
                post_id,
                type(error).__name__,
                error,
            )
            return first_comment_refused("X", error)
        return ""

    # Direct messages.

    @staticmethod
    def _dm_parts(external_id: str) -> tuple[str, str]:
        conversation, _, event = external_id[len(DM_PREFIX) :].partition(":")
        if not conversation or not event:
            raise PermanentError(f"{external_id!r} is not an X direct message id.")
        return conversation, event

    def _dm_external_id(self, conversation_id: str, event_id: str) -> str:
        return f"{DM_PREFIX}{conversation_id}:{event_id}"

    def _send_direct_message(self, to_external_id: str, text: str) -> Published:
        conversation, _ = self._dm_parts(to_external_id)
        body = self._json(
            "POST", f"/2/dm_conversations/{conversation}/messages", json={"text": text}
        )
        data = _data(body, what="send the direct message")
        if not isinstance(data, dict) or not data.get("dm_event_id"):
            raise TransientError("X answered without the direct message's id.")
        conversation = str(data.get("dm_conversation_id") or conversation)
        return Published(
            external_id=self._dm_external_id(conversation, str(data["dm_event_id"])),
            url=f"{WEB}/messages/{conversation}",
        )

    # The inbox.

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Mentions (replies to the account's posts among them) and direct messages
        after `cursor`, one page of each, oldest first.

        The cursor holds, per stream, the newest id handed over and, while older pages
        of newer items remain, the sweep's token. The first fetch takes only the newest
        page of each (no backlog).
        """
        own_id = self._own_user_id()
        mentions, messages = _read_cursor(cursor)
        items: list[Inbound] = []
        found, mentions = self._fetch_mentions(mentions, own_id=own_id)
        items.extend(found)
        if self.channel.settings.get("direct_messages", True) is not False:
            found, messages = self._fetch_messages(messages, own_id=own_id)
            items.extend(found)
        items.sort(key=lambda item: (item.created_at, item.external_id))
        return FetchPage(items=tuple(items), cursor=_write_cursor(mentions, messages))

    def _fetch_mentions(self, stream: _Stream, *, own_id: str) -> tuple[list[Inbound], _Stream]:
        params: dict[str, Any] = {
            "max_results": max(5, min(self.page_size, 100)),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if stream.seen:
            params["since_id"] = stream.seen
        body, stream = self._page(f"/2/users/{own_id}/mentions", params, stream)
        posts = [post for post in (body.get("data") or []) if isinstance(post, dict)]
        meta = body.get("meta") or {}
        users = self._users(body)
        items = [
            self._mention(post, users=users, own_id=own_id)
            for post in posts
            if str(post.get("author_id") or "") != own_id and post.get("id")
        ]
        ids = [str(post.get("id")) for post in posts]
        newest = meta.get("newest_id") if isinstance(meta.get("newest_id"), str) else None
        following = _advance(
            stream,
            ids=[*ids, *([newest] if newest else [])],
            next_token=meta.get("next_token") or None,
            reached_seen=False,
        )
        return items, following

    def _fetch_messages(self, stream: _Stream, *, own_id: str) -> tuple[list[Inbound], _Stream]:
        params: dict[str, Any] = {
            "max_results": max(1, min(self.page_size, 100)),
            "event_types": "MessageCreate",
            "dm_event.fields": DM_EVENT_FIELDS,
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        body, stream = self._page("/2/dm_events", params, stream)
        events = [
            event
            for event in (body.get("data") or [])
            if isinstance(event, dict) and str(event.get("id") or "").isdigit()
        ]
        users = self._users(body)
        seen = int(stream.seen) if stream.seen else None
        fresh = [event for event in events if seen is None or int(event["id"]) > seen]
        items = [
            self._message(event, users=users)
            for event in fresh
            if event.get("event_type", "MessageCreate") == "MessageCreate"
            and str(event.get("sender_id") or "") != own_id
            and event.get("dm_conversation_id")
        ]
        following = _advance(
            stream,
            ids=[str(event["id"]) for event in events],
            next_token=(body.get("meta") or {}).get("next_token") or None,
            reached_seen=len(fresh) < len(events),
        )
        return items, following

    def _page(self, path: str, params: dict[str, Any], stream: _Stream) -> tuple[Any, _Stream]:
        """One page of a stream, and where the stream stands for reading it.

        X's pagination tokens may expire. When X refuses one, the sweep starts again
        from the newest id handed over: the inbox drops the items it already has.
        """
        if not stream.token:
            return self._json("GET", path, params=params), stream
        try:
            return self._json(
                "GET", path, params={**params, "pagination_token": stream.token}
            ), stream
        except PermanentError:
            restarted = _Stream(seen=stream.seen)
            return self._json("GET", path, params=params), restarted

    @staticmethod
    def _users(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        includes = body.get("includes") or {}
        users = includes.get("users") if isinstance(includes, dict) else None
        return {
            str(user["id"]): user
            for user in (users or [])
            if isinstance(user, dict) and user.get("id")
        }

    @staticmethod
    def _author(user: Mapping[str, Any] | None, fallback_id: str) -> dict[str, Any]:
        user = user or {}
        metrics = user.get("public_metrics") or {}
        return {
            "author_handle": f"@{user.get('username') or fallback_id}",
            "author_name": str(user.get("name") or ""),
            "author_followers": _count(metrics, "followers_count") or 0,
            "author_verified": bool(user.get("verified")),
        }

    def _mention(
        self, post: Mapping[str, Any], *, users: Mapping[str, Any], own_id: str
    ) -> Inbound:
        author_id = str(post.get("author_id") or "")
        author = self._author(users.get(author_id), author_id)
        referenced = post.get("referenced_tweets") or post.get("referenced_posts") or []
        parent = next(
            (
                str(ref.get("id"))
                for ref in referenced
                if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id")
            ),
            "",
        )
        note = post.get("note_tweet") or post.get("note_post") or {}
        text = note.get("text") if isinstance(note, dict) and note.get("text") else post.get("text")
        replying_to_us = str(post.get("in_reply_to_user_id") or "") == own_id
        language = str(post.get("lang") or "")
        post_id = str(post["id"])
        return Inbound(
            external_id=post_id,
            kind=InboundKind.REPLY if replying_to_us and parent else InboundKind.MENTION,
            text=str(text or ""),
            created_at=_utc(post.get("created_at")),
            parent_external_id=parent,
            url=web_link(self._post_url(post_id, author["author_handle"])),
            # X marks a post whose language it could not tell `und`.
            language="" if language in ("und", "zxx", "qme", "qst", "qht") else language,
            **author,
        )

    def _message(self, event: Mapping[str, Any], *, users: Mapping[str, Any]) -> Inbound:
        sender_id = str(event.get("sender_id") or "")
        conversation = str(event["dm_conversation_id"])
        return Inbound(
            external_id=self._dm_external_id(conversation, str(event["id"])),
            kind=InboundKind.DIRECT_MESSAGE,
            text=str(event.get("text") or ""),
            created_at=_utc(event.get("created_at")),
            url=f"{WEB}/messages/{conversation}",
            **self._author(users.get(sender_id), sender_id),
        )

    # Figures.

    def metrics(self, external_id: str) -> PostMetrics:
        """Public counts, the link clicks X shows the author (posts of the last 30 days)
        and a video's views; reach is not given."""
        params = {
            "tweet.fields": "public_metrics,non_public_metrics",
            "expansions": "attachments.media_keys",
            "media.fields": "type,public_metrics",
        }
        try:
            body = self._json("GET", f"/2/tweets/{external_id}", params=params)
        except PermanentError:
            # Non-public metrics are refused for posts older than 30 days: ask for the rest.
            params["tweet.fields"] = "public_metrics"
            body = self._json("GET", f"/2/tweets/{external_id}", params=params)
        post = _data(body, what="read the post's counts")
        public = post.get("public_metrics") or {}
        private = post.get("non_public_metrics") or {}
        media = ((body.get("includes") or {}).get("media")) or []
        views = [
            _count(item.get("public_metrics") or {}, "view_count")
            for item in media
            if isinstance(item, dict) and item.get("type") in ("video", "animated_gif")
        ]
        known_views = [value for value in views if value is not None]
        return PostMetrics(
            likes=_count(public, "like_count") or 0,
            reposts=_count(public, "retweet_count", "repost_count") or 0,
            replies=_count(public, "reply_count") or 0,
            quotes=_count(public, "quote_count") or 0,
            impressions=_count(public, "impression_count"),
            saves=_count(public, "bookmark_count"),
            link_clicks=_count(private, "url_link_clicks"),
            video_views=sum(known_views) if known_views else None,
        )

    def channel_stats(self) -> ChannelStats:
        """The account's followers (X shows no profile views)."""
        user = self._me(fields="public_metrics")
        return ChannelStats(followers=_count(user.get("public_metrics") or {}, "followers_count"))

    def profile_stats(self, handle: str) -> ProfileStats:
        """Another account's followers and posts, and its own posts (no replies, no
        reposts) of the last `PROFILE_RECENT` with their likes, reposts, replies and quotes."""
        username = handle.strip().lstrip("@")
        if username.lower().startswith(("https://x.com/", "https://twitter.com/")):
            username = username.rstrip("/").rsplit("/", 1)[-1]
        if not username or not username.replace("_", "").isalnum() or len(username) > 15:
            raise PermanentError(f"{handle!r} is not an X username such as @roost.")
        body = self._json(
            "GET",
            f"/2/users/by/username/{username}",
            params={"user.fields": "username,name,public_metrics"},
        )
        user = _data(body, what=f"find @{username}")
        metrics = user.get("public_metrics") or {}
        since = dt.datetime.now(dt.UTC) - PROFILE_RECENT
        posts, engagements = 0, 0
        token: str | None = None
        for _ in range(MAX_PROFILE_PAGES):
            params: dict[str, Any] = {
                "max_results": max(5, min(self.page_size, 100)),
                "exclude": "replies,retweets",
                "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tweet.fields": "created_at,public_metrics",
            }
            if token:
                params["pagination_token"] = token
            page = self._json("GET", f"/2/users/{user['id']}/tweets", params=params)
            for post in page.get("data") or []:
                counts = post.get("public_metrics") or {}
                posts += 1
                engagements += sum(
                    _count(counts, *names) or 0
                    for names in (
                        ("like_count",),
                        ("retweet_count", "repost_count"),
                        ("reply_count",),
                        ("quote_count",),
                    )
                )
            token = (page.get("meta") or {}).get("next_token") or None
            if not token:
                break
        return ProfileStats(
            handle=f"@{user.get('username') or username}",
            display_name=str(user.get("name") or ""),
            followers=_count(metrics, "followers_count"),
            posts=_count(metrics, "tweet_count", "post_count"),
            recent_posts=posts,
            recent_engagements=engagements,
        )
