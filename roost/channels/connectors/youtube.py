"""The connector for YouTube channels, through the YouTube Data API v3.

One channel is one YouTube channel, connected through Google's OAuth 2 sign-in;
the secret is the JSON `TokenSet.to_secret` writes (Google's access tokens last
an hour and are renewed with the standard refresh grant). Two placements, as the
catalogue lists them: `video` and `shorts`. Both publish one video file with the
resumable upload protocol; YouTube itself shows a vertical video of up to three
minutes as a Short (the API has no switch for it), so the placement changes only
the address Roost links to.

What the API does not offer, the connector does not pretend to: no text, image
or link posts (the Data API uploads videos only), no mentions and no messages.
Comments under the channel's videos are the inbox: `fetch` reads them newest
first with commentThreads.list and pages back to the last comment it saw;
`hide` holds a comment for review (hidden from everyone but the channel's
moderators, and reversible, unlike `rejected`).

Per-channel options in `ChannelRef.settings`:

- `privacy`: `public` (default), `unlisted` or `private`.
- `category_id`: the video category (default 22, People & Blogs).
- `made_for_kids`: true when the channel's videos are made for children
  (`status.selfDeclaredMadeForKids`; default false).

Every failure leaves as one of the typed errors of `connectors.base`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import zoneinfo
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
    RateLimited,
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import (
    DEFAULT_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    MESSAGE_LIMIT,
    NetworkHttp,
    access_token_of,
    json_body,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

NETWORK = "YouTube"
API = "https://www.googleapis.com/youtube/v3"
UPLOAD_URL = "https://www.googleapis.com/upload/youtube/v3/videos"
WATCH_URL = "https://www.youtube.com/watch?v={id}"
SHORTS_URL = "https://www.youtube.com/shorts/{id}"
COMMENT_URL = "https://www.youtube.com/watch?v={video}&lc={comment}"

PLACEMENTS: tuple[str, ...] = ("video", "shorts")
PRIVACY_STATUSES: tuple[str, ...] = ("public", "unlisted", "private")
DEFAULT_CATEGORY_ID = "22"  # People & Blogs
# The videos resource: a title of at most 100 characters, a description of at most
# 5,000 bytes, neither with "<" or ">".
TITLE_LIMIT = 100
DESCRIPTION_BYTE_LIMIT = 5000
FORBIDDEN_CHARACTERS = ("<", ">")

# Resumable uploads send chunks in multiples of 256 KiB (all but the last one).
CHUNK_UNIT = 256 * 1024
# Quotas reset at midnight Pacific time.
QUOTA_ZONE = "America/Los_Angeles"
# Another channel's recent videos: the last day of its uploads playlist.
PROFILE_RECENT = dt.timedelta(hours=24)
# videos.list and playlistItems.list take at most 50 a call.
MAX_RESULTS = 50
# uploadLimitExceeded: the channel uploaded as many videos as YouTube allows in a day.
UPLOAD_LIMIT_WAIT_S = 24 * 3600.0

# Error reasons (`error.errors[].reason`) from the Data API's error reference.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
REVOKED_REASONS = frozenset(
    {
        "insufficientPermissions",
        "accountDelegationForbidden",
        "authenticatedUserAccountClosed",
        "authenticatedUserAccountSuspended",
        "authenticatedUserNotChannel",
    }
)


def _reasons(response: httpx.Response) -> tuple[set[str], str]:
    """The `reason`s of a Google error body and its message ("" when it is not one)."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set(), ""
    reasons = {
        str(item.get("reason"))
        for item in error.get("errors") or []
        if isinstance(item, dict) and item.get("reason")
    }
    status = error.get("status")
    if isinstance(status, str):
        reasons.add(status)
    return reasons, str(error.get("message") or "")[:MESSAGE_LIMIT]


def seconds_to_quota_reset(now: dt.datetime | None = None) -> float:
    """Seconds until the next midnight Pacific time, when YouTube's daily quotas reset."""
    zone = zoneinfo.ZoneInfo(QUOTA_ZONE)
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    midnight = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return max((midnight - moment).total_seconds(), 1.0)


def google_error(response: httpx.Response, *, token_expired: bool = False) -> ConnectorError | None:
    """The typed error a YouTube Data API refusal means; None leaves it to `NetworkHttp`.

    Google answers an invalid, expired or revoked token alike (401), so `token_expired`
    (the stored token's own expiry has passed) tells which to report.
    """
    reasons, said = _reasons(response)
    said = said or response.reason_phrase
    status = response.status_code
    if status == 401:
        if token_expired:
            return CredentialExpired(f"The YouTube access token expired: {said}")
        return CredentialRevoked(f"YouTube refused the access token: {said}")
    if reasons & QUOTA_REASONS:
        return RateLimited(
            f"The YouTube API project used up its daily quota: {said}",
            retry_after=seconds_to_quota_reset(),
        )
    if "uploadLimitExceeded" in reasons:
        return RateLimited(
            f"The channel uploaded as many videos as YouTube allows for now: {said}",
            retry_after=UPLOAD_LIMIT_WAIT_S,
        )
    if reasons & RATE_REASONS or status == 429:
        wait = retry_after_seconds(response)
        return RateLimited(
            f"YouTube asks Roost to slow down: {said}",
            retry_after=DEFAULT_RETRY_AFTER if wait is None else wait,
        )
    if reasons & REVOKED_REASONS:
        return CredentialRevoked(f"YouTube does not let this sign-in act for the channel: {said}")
    if status >= 500:
        return TransientError(f"YouTube answered {status}: {said}")
    if status >= 400:
        return PermanentError(
            f"YouTube refused the request ({status}): {said}", network_message=said
        )
    return None


class _Incomplete(ConnectorError):
    """A 308 "Resume Incomplete" from an upload session: not a failure, the next offset."""

    def __init__(self, next_offset: int) -> None:
        super().__init__(f"the upload continues at byte {next_offset}")
        self.next_offset = next_offset


class _UploadStopped(NotAccepted):
    """The upload cannot go on (its session is gone, or its token ran out before the last
    byte): no video was made, so a new upload is safe."""


def _next_offset(response: httpx.Response) -> int:
    """The first byte the session still wants: after the `Range: bytes=0-N` it holds."""
    held = response.headers.get("range", "").strip()
    if not held.startswith("bytes="):
        return 0
    try:
        return int(held.removeprefix("bytes=").split("-", 1)[1]) + 1
    except (IndexError, ValueError):
        return 0


def _aware(value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _stored_expiry(secret: str | None) -> dt.datetime | None:
    text = (secret or "").strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text).get("expires_at")
        return _aware(value) if isinstance(value, str) and value else None
    except (ValueError, AttributeError):
        return None


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def video_texts(text: str, link: str | None = None) -> tuple[str, str]:
    """(title, description) from a post's text: the first line is the title (cut to 100
    characters with an ellipsis); the rest, or the whole text when the title was cut, is
    the description, with the link appended when the text lacks it."""
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    title = " ".join(first.split())
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1].rstrip() + "…"
        description = stripped
    else:
        description = rest.strip()
    if link and link not in stripped:
        description = f"{description}\n\n{link}" if description else link
    return title, description


def video_text_problem(title: str, description: str) -> str:
    """Why YouTube would refuse this title and description, or "" when they fit."""
    if not title:
        return "A YouTube video needs a title: write it as the first line of the text."
    for name, value in (("title", title), ("description", description)):
        for character in FORBIDDEN_CHARACTERS:
            if character in value:
                return f"YouTube does not accept {character!r} in a video's {name}."
    used = len(description.encode("utf-8"))
    if used > DESCRIPTION_BYTE_LIMIT:
        return f"The description is {used} bytes of UTF-8; YouTube allows {DESCRIPTION_BYTE_LIMIT}."
    return ""


class YouTubeConnector(Connector):
    """A YouTube channel: video uploads, comments under its videos, their figures."""

    name = "youtube"
    # Not declared: text, image and link posts (the Data API only uploads videos),
    # mentions and direct messages (no such API), LOOKUP (nothing Roost chooses can be
    # searched for; an interrupted upload is resumed instead) and IDEMPOTENT_PUBLISH.
    capabilities = frozenset(
        {
            Capability.PUBLISH_VIDEO,
            Capability.FIRST_COMMENT,
            Capability.REPLY,
            Capability.DELETE,
            Capability.FETCH_COMMENTS,
            Capability.HIDE,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
            Capability.PUBLIC_PROFILES,
        }
    )
    oauth = OAuthSpec(
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 (an address)
        scopes=(
            "https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.force-ssl",
            "https://www.googleapis.com/auth/youtube.readonly",
        ),
        pkce=True,
        client_auth="post",
        # A refresh token comes only with offline access, and on a repeated consent
        # only when the consent screen is shown again.
        authorize_params=(
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("include_granted_scopes", "true"),
        ),
    )

    timeout: ClassVar[httpx.Timeout] = DEFAULT_TIMEOUT
    # The upload's chunk size: a multiple of 256 KiB.
    chunk_bytes: ClassVar[int] = 32 * CHUNK_UNIT
    # After a chunk is cut off, ask the session what it holds and go on, this many times.
    max_resumes: ClassVar[int] = 5
    resume_pause_s: ClassVar[float] = 2.0
    page_size: ClassVar[int] = 100
    # With a cursor, page back at most this far in one call (the cursor continues).
    max_pages_per_fetch: ClassVar[int] = 5

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._http: NetworkHttp | None = None
        self._upload_http: NetworkHttp | None = None
        self._channel_id: str | None = channel.external_id or None

    # Plumbing.

    def _token_expired(self) -> bool:
        expires_at = _stored_expiry(self._secret)
        return expires_at is not None and expires_at <= dt.datetime.now(dt.UTC)

    def _explain(self, response: httpx.Response) -> ConnectorError | None:
        return google_error(response, token_expired=self._token_expired())

    def _explain_upload(self, response: httpx.Response) -> ConnectorError | None:
        if response.status_code == 308:
            return _Incomplete(_next_offset(response))
        if response.status_code in (404, 410):
            return _UploadStopped("The YouTube upload session expired before the upload ended.")
        if response.status_code == 401:
            # Access tokens last an hour; a long upload can outlast the one it started
            # with. The next attempt starts again with the renewed token (and, if the
            # token was revoked instead, is refused as such when it opens its session).
            return _UploadStopped("The access token ran out before the YouTube upload ended.")
        return self._explain(response)

    def _api(self) -> NetworkHttp:
        if self._http is None:
            token = access_token_of(self._secret, network=NETWORK)
            self._http = NetworkHttp(
                network=NETWORK, token=token, explain=self._explain, timeout=self.timeout
            )
        return self._http

    def _uploads(self) -> NetworkHttp:
        if self._upload_http is None:
            token = access_token_of(self._secret, network=NETWORK)
            self._upload_http = NetworkHttp(
                network=NETWORK, token=token, explain=self._explain_upload, timeout=self.timeout
            )
        return self._upload_http

    def _own_channel_id(self) -> str:
        if self._channel_id is None:
            self._channel_id = self.verify().external_id
        return self._channel_id

    @staticmethod
    def _account(item: dict[str, Any]) -> Account:
        snippet = item.get("snippet") or {}
        title = str(snippet.get("title") or "")
        return Account(
            external_id=str(item["id"]),
            handle=str(snippet.get("customUrl") or title or item["id"]),
            display_name=title,
        )

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """The YouTube channels of the signed-in Google account (channels.list mine=true);
        each publishes with the sign-in's own tokens."""
        http = NetworkHttp(
            network=NETWORK, token=access_token, explain=google_error, timeout=cls.timeout
        )
        try:
            body = http.json("GET", f"{API}/channels", params={"part": "snippet", "mine": "true"})
        finally:
            http.close()
        accounts = []
        for item in body.get("items") or []:
            account = cls._account(item)
            accounts.append(
                ConnectableAccount(
                    external_id=account.external_id,
                    handle=account.handle,
                    display_name=account.display_name,
                    placements=PLACEMENTS,
                )
            )
        if not accounts:
            raise PermanentError(
                "This Google account has no YouTube channel; create one on YouTube first."
            )
        return tuple(accounts)

    def verify(self) -> Account:
        body = self._api().json(
            "GET", f"{API}/channels", params={"part": "snippet", "mine": "true"}
        )
        items = body.get("items") or []
        if not items:
            raise CredentialRevoked("The signed-in Google account has no YouTube channel.")
        account = self._account(items[0])
        self._channel_id = account.external_id
        return account

    # Publishing.

    def _video_resource(self, request: PublishRequest) -> dict[str, Any]:
        settings = self.channel.settings
        privacy = str(settings.get("privacy") or "public").strip().lower()
        if privacy not in PRIVACY_STATUSES:
            raise PermanentError(
                f"Channel {self.channel.id} has privacy {privacy!r}; "
                f"YouTube knows {', '.join(PRIVACY_STATUSES)}."
            )
        title, description = video_texts(request.text, request.link)
        problem = video_text_problem(title, description)
        if problem:
            raise PermanentError(problem, network_message=problem)
        return {
            "snippet": {
                "title": title,
                "description": description,
                "categoryId": str(settings.get("category_id") or DEFAULT_CATEGORY_ID),
            },
            "status": {
                "privacyStatus": privacy,
                "selfDeclaredMadeForKids": bool(settings.get("made_for_kids", False)),
            },
        }

    def _video(self, request: PublishRequest) -> MediaItem:
        if self.channel.placement not in PLACEMENTS:
            raise PermanentError(
                f"YouTube has no placement {self.channel.placement!r}; "
                f"it has {', '.join(PLACEMENTS)}."
            )
        if request.reply_to:
            raise PermanentError("A YouTube video cannot be a reply; reply to the comment.")
        videos = [item for item in request.media if item.mime_type.startswith("video/")]
        if len(request.media) != 1 or len(videos) != 1:
            raise PermanentError(
                "YouTube publishes exactly one video per post; the Data API offers no "
                "text, image or link posts."
            )
        if not videos[0].data:
            raise PermanentError("The video file is empty.")
        return videos[0]

    def publish(self, request: PublishRequest) -> Published:
        """Upload the video (resumable, in chunks), then post the first comment.

        A first comment that fails leaves the video published: the failure is logged and
        the post reported as published, so that it is never uploaded twice.
        """
        video = self._video(request)
        resource = self._video_resource(request)
        if self.chunk_bytes % CHUNK_UNIT:
            raise PermanentError("The upload chunk size must be a multiple of 256 KiB.")
        try:
            session = self._api().send(
                "POST",
                UPLOAD_URL,
                params={"uploadType": "resumable", "part": "snippet,status"},
                json=resource,
                headers={
                    "X-Upload-Content-Length": str(len(video.data)),
                    "X-Upload-Content-Type": video.mime_type,
                },
            )
        except TransientError as error:
            # Opening a session makes no video (that takes the last byte), so a new
            # attempt cannot make a second one.
            raise NotAccepted(f"YouTube opened no upload session: {error}") from error
        upload_url = session.headers.get("location", "")
        if not upload_url:
            raise NotAccepted("YouTube opened no upload session (no Location header).")
        uploaded = self._upload(upload_url, video)
        video_id = str(uploaded.get("id") or "")
        if not video_id:
            raise TransientError("YouTube ended the upload without the video's id.")
        address = SHORTS_URL if self.channel.placement == "shorts" else WATCH_URL
        published = Published(external_id=video_id, url=address.format(id=video_id))
        if request.first_comment and request.first_comment.strip():
            try:
                self._comment_thread(video_id, request.first_comment.strip())
            except ConnectorError as error:
                logger.warning(
                    "YouTube video %s is published; its first comment failed: %s",
                    video_id,
                    error,
                )
                published = replace(published, warning=first_comment_refused("YouTube", error))
        return published

    def _upload(self, upload_url: str, video: MediaItem) -> dict[str, Any]:
        """Send the file to the upload session in chunks; the video resource comes back.

        A chunk cut off (timeout, dropped connection, 5xx) is followed by a status
        query (`Content-Range: bytes */total`), and the upload goes on from the byte the
        session names, at most `max_resumes` times.
        """
        data, total = video.data, len(video.data)
        http = self._uploads()
        offset: int | None = 0
        resumes = 0
        # Every chunk once, plus a status query and a chunk again per resume.
        for _ in range(-(-total // self.chunk_bytes) + 2 * (self.max_resumes + 1)):
            if offset is None:
                headers = {"Content-Range": f"bytes */{total}"}
                content = b""
            else:
                end = min(offset + self.chunk_bytes, total)
                headers = {
                    "Content-Range": f"bytes {offset}-{end - 1}/{total}",
                    "Content-Type": video.mime_type,
                }
                content = data[offset:end]
            try:
                answer = http.send("PUT", upload_url, content=content, headers=headers)
            except _Incomplete as incomplete:
                offset = incomplete.next_offset
                continue
            except _UploadStopped:
                raise
            except TransientError:
                if resumes >= self.max_resumes:
                    raise TransientError(
                        "The YouTube upload was cut off too often; whether it ended is unknown."
                    ) from None
                resumes += 1
                time.sleep(self.resume_pause_s)
                offset = None
                continue
            body = json_body(answer)
            if not isinstance(body, dict):
                raise TransientError("YouTube ended the upload with an answer that is not JSON.")
            return body
        raise TransientError("The YouTube upload did not finish; whether it ended is unknown.")

    def _comment_thread(self, video_id: str, text: str) -> dict[str, Any]:
        body: dict[str, Any] = self._api().json(
            "POST",
            f"{API}/commentThreads",
            params={"part": "snippet"},
            json={
                "snippet": {
                    "videoId": video_id,
                    "topLevelComment": {"snippet": {"textOriginal": text}},
                }
            },
        )
        return body

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        """Reply under a comment (comments.insert). YouTube threads are one level deep, so
        a reply to a reply goes under that reply's top-level comment."""
        parent_id = self._top_level_id(to_external_id)
        body = self._api().json(
            "POST",
            f"{API}/comments",
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent_id, "textOriginal": text}},
        )
        comment_id = str(body.get("id") or "")
        if not comment_id:
            raise TransientError("YouTube answered the reply without the comment's id.")
        video_id = str((body.get("snippet") or {}).get("videoId") or "")
        url = COMMENT_URL.format(video=video_id, comment=comment_id) if video_id else ""
        return Published(external_id=comment_id, url=url)

    def _top_level_id(self, comment_id: str) -> str:
        # A reply's id extends its thread's id after a dot; ask rather than cut it.
        if "." not in comment_id:
            return comment_id
        body = self._api().json(
            "GET", f"{API}/comments", params={"part": "snippet", "id": comment_id}
        )
        items = body.get("items") or []
        if not items:
            raise PermanentError(
                f"YouTube has no comment {comment_id}.", network_message="commentNotFound"
            )
        return str((items[0].get("snippet") or {}).get("parentId") or comment_id)

    @staticmethod
    def _is_video_id(external_id: str) -> bool:
        # Videos have 11-character ids; comments' are longer.
        return len(external_id) == 11 and "." not in external_id

    def delete(self, external_id: str) -> None:
        """Delete one of the channel's videos (videos.delete) or one of its own comments
        (comments.delete: YouTube lets only a comment's author delete it)."""
        what = "videos" if self._is_video_id(external_id) else "comments"
        self._api().send("DELETE", f"{API}/{what}", params={"id": external_id})

    # Comments.

    def _moderate(self, comment_id: str, status: str) -> None:
        self._api().send(
            "POST",
            f"{API}/comments/setModerationStatus",
            params={"id": comment_id, "moderationStatus": status},
        )

    def hide(self, external_id: str) -> None:
        """Hold the comment for review: nobody but the channel's moderators sees it.

        Not `rejected`: YouTube cannot publish a rejected comment again.
        """
        self._moderate(external_id, "heldForReview")

    def unhide(self, external_id: str) -> None:
        self._moderate(external_id, "published")

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Comments and replies under the channel's videos newer than the cursor.

        commentThreads.list answers newest first and pages backwards, so the cursor
        is the newest time already delivered (ISO 8601), and while a backlog is read
        page by page, also the page token and the newest time of that sweep, joined
        by "|". Without a cursor, only the newest page is read.
        """
        since, page_token, sweep_newest = self._parse_cursor(cursor)
        own_id = self._own_channel_id()
        items: list[Inbound] = []
        newest = sweep_newest
        next_token: str | None = None
        for _ in range(self.max_pages_per_fetch):
            params = {
                "part": "snippet,replies",
                "allThreadsRelatedToChannelId": own_id,
                "maxResults": str(self.page_size),
                "order": "time",
                "textFormat": "plainText",
            }
            if page_token:
                params["pageToken"] = page_token
            body = self._api().json("GET", f"{API}/commentThreads", params=params)
            threads = [thread for thread in body.get("items") or [] if isinstance(thread, dict)]
            reached_since = False
            for thread in threads:
                for comment, kind, parent in self._comments_of(thread):
                    snippet = comment.get("snippet") or {}
                    created = _aware(snippet.get("publishedAt"))
                    newest = created if newest is None else max(newest, created)
                    if since is not None and created <= since:
                        continue
                    author = (snippet.get("authorChannelId") or {}).get("value")
                    if author == own_id:
                        continue
                    items.append(self._inbound(comment, kind=kind, parent=parent))
                top = ((thread.get("snippet") or {}).get("topLevelComment") or {}).get("snippet")
                if since is not None and _aware((top or {}).get("publishedAt")) <= since:
                    reached_since = True
            next_token = body.get("nextPageToken") or None
            if since is None or reached_since or not next_token:
                next_token = None
                break
            page_token = next_token
        watermark = max((t for t in (since, newest) if t is not None), default=None)
        items.sort(key=lambda item: item.created_at)
        if next_token and newest is not None:
            # The backlog goes on: keep the old watermark until the sweep reaches it.
            return FetchPage(items=tuple(items), cursor=self._cursor(since, next_token, newest))
        return FetchPage(items=tuple(items), cursor=self._cursor(watermark, None, None))

    @staticmethod
    def _comments_of(thread: dict[str, Any]) -> list[tuple[dict[str, Any], InboundKind, str]]:
        snippet = thread.get("snippet") or {}
        top = snippet.get("topLevelComment") or {}
        found = [(top, InboundKind.COMMENT, str(snippet.get("videoId") or ""))]
        for reply in (thread.get("replies") or {}).get("comments") or []:
            parent = str((reply.get("snippet") or {}).get("parentId") or top.get("id") or "")
            found.append((reply, InboundKind.REPLY, parent))
        return found

    @staticmethod
    def _inbound(comment: dict[str, Any], *, kind: InboundKind, parent: str) -> Inbound:
        snippet = comment.get("snippet") or {}
        comment_id = str(comment.get("id") or "")
        video_id = str(snippet.get("videoId") or "")
        author = str(snippet.get("authorDisplayName") or "")
        return Inbound(
            external_id=comment_id,
            kind=kind,
            author_handle=author,
            text=str(snippet.get("textDisplay") or snippet.get("textOriginal") or ""),
            created_at=_aware(snippet.get("publishedAt")),
            parent_external_id=parent,
            url=COMMENT_URL.format(video=video_id, comment=comment_id) if video_id else "",
            author_name=author,
        )

    @staticmethod
    def _cursor(
        since: dt.datetime | None, page_token: str | None, sweep_newest: dt.datetime | None
    ) -> str | None:
        if since is None and page_token is None:
            return None
        parts = [since.isoformat() if since else ""]
        if page_token:
            parts += [page_token, sweep_newest.isoformat() if sweep_newest else ""]
        return "|".join(parts)

    @staticmethod
    def _parse_cursor(
        cursor: str | None,
    ) -> tuple[dt.datetime | None, str | None, dt.datetime | None]:
        if not cursor:
            return None, None, None
        since, _, rest = cursor.partition("|")
        page_token, _, sweep_newest = rest.partition("|")
        try:
            return (
                dt.datetime.fromisoformat(since) if since else None,
                page_token or None,
                dt.datetime.fromisoformat(sweep_newest) if sweep_newest else None,
            )
        except ValueError:
            raise PermanentError(f"{cursor!r} is not a YouTube inbox cursor.") from None

    # Figures.

    def metrics(self, external_id: str) -> PostMetrics:
        """videos.list statistics: views, likes and comments (YouTube shows no dislikes
        or shares through the Data API, and no impressions or reach)."""
        body = self._api().json(
            "GET", f"{API}/videos", params={"part": "statistics", "id": external_id}
        )
        items = body.get("items") or []
        if not items:
            raise PermanentError(
                f"YouTube has no video {external_id}.", network_message="videoNotFound"
            )
        statistics = items[0].get("statistics") or {}
        return PostMetrics(
            likes=_count(statistics.get("likeCount")),
            replies=_count(statistics.get("commentCount")),
            video_views=_count(statistics.get("viewCount")),
        )

    def channel_stats(self) -> ChannelStats:
        """The channel's subscribers (None when the channel hides the count)."""
        body = self._api().json(
            "GET", f"{API}/channels", params={"part": "statistics", "mine": "true"}
        )
        items = body.get("items") or []
        if not items:
            raise CredentialRevoked("The signed-in Google account has no YouTube channel.")
        statistics = items[0].get("statistics") or {}
        if statistics.get("hiddenSubscriberCount"):
            return ChannelStats(followers=None)
        return ChannelStats(followers=_count(statistics.get("subscriberCount")))

    def profile_stats(self, handle: str) -> ProfileStats:
        """Another channel's subscribers and videos (channels.list forHandle), and its
        videos of the last `PROFILE_RECENT` from its uploads playlist, with their likes
        and comments (videos.list statistics). Three calls, 3 quota units."""
        wanted = handle.strip()
        if not wanted or any(character.isspace() for character in wanted):
            raise PermanentError(f"{handle!r} is not a YouTube handle such as @channel.")
        if not wanted.startswith("@"):
            wanted = f"@{wanted}"
        api = self._api()
        body = api.json(
            "GET",
            f"{API}/channels",
            params={"part": "snippet,statistics,contentDetails", "forHandle": wanted},
        )
        items = body.get("items") or []
        if not items:
            raise PermanentError(
                f"YouTube has no channel {wanted}.", network_message="channelNotFound"
            )
        channel = items[0]
        snippet = channel.get("snippet") or {}
        statistics = channel.get("statistics") or {}
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
            "uploads"
        )
        since = dt.datetime.now(dt.UTC) - PROFILE_RECENT
        recent: list[str] = []
        if uploads:
            listing = api.json(
                "GET",
                f"{API}/playlistItems",
                params={
                    "part": "contentDetails",
                    "playlistId": str(uploads),
                    "maxResults": str(MAX_RESULTS),
                },
            )
            for item in listing.get("items") or []:
                details = item.get("contentDetails") or {}
                published = details.get("videoPublishedAt")
                if published and details.get("videoId") and _aware(published) >= since:
                    recent.append(str(details["videoId"]))
        engagements = 0
        if recent:
            videos = api.json(
                "GET", f"{API}/videos", params={"part": "statistics", "id": ",".join(recent)}
            )
            for video in videos.get("items") or []:
                figures = video.get("statistics") or {}
                engagements += _count(figures.get("likeCount"))
                engagements += _count(figures.get("commentCount"))
        hidden = bool(statistics.get("hiddenSubscriberCount"))
        return ProfileStats(
            handle=str(snippet.get("customUrl") or wanted),
            display_name=str(snippet.get("title") or ""),
            followers=None if hidden else _count(statistics.get("subscriberCount")),
            posts=_count(statistics.get("videoCount")),
            recent_posts=len(recent),
            recent_engagements=engagements,
        )
