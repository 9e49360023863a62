"""The connector for TikTok: the Content Posting API (Direct Post) and the Display API.

One TikTok account per channel, connected through TikTok's Login Kit for Web
(OAuth 2, the client id travels as `client_key`, scopes joined by commas, no
PKCE for web apps). The secret is the JSON `TokenSet.to_secret` writes. Access
tokens last hours and refresh tokens rotate on each refresh; both come from the
standard refresh grant at the token endpoint.

Publishing follows the Direct Post reference, per placement:

- `video`: ask for the creator's posting options (`creator_info/query`), open a
  post (`video/init`, source FILE_UPLOAD) with the size cut into chunks by the
  Media Transfer Guide's rules, PUT each chunk to the upload URL TikTok returns,
  then poll `status/fetch` until TikTok has processed and published it.
- `photo`: the same options, then `content/init` with PULL_FROM_URL: TikTok
  fetches each photo from the address Roost serves it at (`MediaItem.url`, on a
  domain verified in the TikTok app), then the same polling.

TikTok chooses the `publish_id` and the post id; nothing Roost chooses finds a
post again, so there is no `lookup`. A publish cut off after TikTok could have
acted stays unknown (Roost shows it "unconfirmed"); failures that prove no post
can appear (the video's bytes never all arrived) are `NotAccepted`.

The API offers no comments, mentions, messages, replies or deletion for
third-party apps posting this way, so the connector declares none of them.
Figures come from the Display API: `video/query` for a post, `user/info`
(`follower_count`) for the account.

Per-channel options in `ChannelRef.settings`:

- `privacy_level`: one of the creator's `privacy_level_options` (an unaudited
  TikTok app may post `SELF_ONLY` only); `PUBLIC_TO_EVERYONE` when unset.
- `disable_comment`, `disable_duet`, `disable_stitch`: booleans given to every post
  (TikTok's own account settings win when they already turn these off).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from roost.channels.connectors.base import (
    Account,
    AppCredentials,
    Capability,
    ChannelStats,
    ConnectableAccount,
    Connector,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    MediaItem,
    NotAccepted,
    OAuthSpec,
    PermanentError,
    PostMetrics,
    Published,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.channels.connectors.http import (
    DEFAULT_RETRY_AFTER,
    MESSAGE_LIMIT,
    NetworkHttp,
    access_token_of,
    json_body,
    retry_after_seconds,
)

NETWORK = "TikTok"
API = "https://open.tiktokapis.com"
AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_URL = f"{API}/v2/oauth/token/"
USER_INFO_URL = f"{API}/v2/user/info/"
CREATOR_INFO_URL = f"{API}/v2/post/publish/creator_info/query/"
VIDEO_INIT_URL = f"{API}/v2/post/publish/video/init/"
CONTENT_INIT_URL = f"{API}/v2/post/publish/content/init/"
STATUS_URL = f"{API}/v2/post/publish/status/fetch/"
VIDEO_QUERY_URL = f"{API}/v2/video/query/"
WEB = "https://www.tiktok.com"

# Scopes as the Login Kit and Content Posting references name them.
SCOPES: tuple[str, ...] = (
    "user.info.basic",
    "user.info.stats",
    "video.publish",
    "video.upload",
    "video.list",
)

# The Media Transfer Guide's chunk rules.
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
MAX_CHUNKS = 1000

PHOTO_TYPES = frozenset({"image/jpeg", "image/jpg", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
MAX_PHOTOS = 35

DEFAULT_PRIVACY = "PUBLIC_TO_EVERYONE"

# `status/fetch` statuses.
PUBLISH_COMPLETE = "PUBLISH_COMPLETE"
FAILED = "FAILED"
SEND_TO_USER_INBOX = "SEND_TO_USER_INBOX"

# TikTok counts the Direct Post cap over a rolling day and names no reset time;
# Roost asks again after this long.
POST_CAP_WAIT = 3600.0

# Error codes of the Content Posting and Display APIs (`{"error": {"code": ...}}`).
EXPIRED_CODES = frozenset({"access_token_invalid"})
SCOPE_CODES = frozenset({"scope_not_authorized", "scope_permission_missed"})
RATE_CODES = frozenset({"rate_limit_exceeded"})
CAP_CODES = frozenset({"spam_risk_too_many_posts", "reached_active_user_cap"})
ADVICE: dict[str, str] = {
    "unaudited_client_can_only_post_to_private_accounts": (
        "TikTok lets an app that has not passed its audit post privately only: set the "
        "channel's privacy_level to SELF_ONLY, or have the app audited."
    ),
    "url_ownership_unverified": (
        "TikTok fetches photos only from a domain verified in the TikTok app: verify the "
        "domain of ROOST_BASE_URL under the app's URL properties."
    ),
    "privacy_level_option_mismatch": (
        "The channel's privacy_level is not one the account offers now."
    ),
}
# `fail_reason` values of a FAILED post that mean something other than a refusal.
FAIL_REVOKED = frozenset({"auth_removed"})
FAIL_CAPPED = frozenset({"spam_risk_too_many_posts", "spam_risk_too_many_pending_share"})
FAIL_INTERNAL = frozenset({"internal"})


def chunk_plan(size: int, preferred: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) for a video of `size` bytes.

    The Media Transfer Guide: chunks of 5 to 64 MB, the count is the size divided by
    the chunk size rounded down (the last chunk takes the rest, up to 128 MB), at
    most 1,000 chunks; a video under 5 MB goes whole.
    """
    chunk = min(max(preferred, MIN_CHUNK), MAX_CHUNK)
    if size < MIN_CHUNK or size <= chunk:
        return size, 1
    chunk = min(max(chunk, math.ceil(size / MAX_CHUNKS)), MAX_CHUNK)
    return chunk, size // chunk


def chunk_ranges(size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """The inclusive byte ranges of the chunks `chunk_plan` chose."""
    ranges = [(index * chunk, index * chunk + chunk - 1) for index in range(count)]
    first, _ = ranges[-1]
    ranges[-1] = (first, size - 1)
    return ranges


def _error_object(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def _said(error: Mapping[str, Any], fallback: str) -> str:
    message = str(error.get("message") or error.get("code") or fallback)
    return message[:MESSAGE_LIMIT]


def error_from_body(
    body: Any, *, status: int, response: httpx.Response | None = None
) -> ConnectorError | None:
    """The typed error TikTok's `{"error": {"code", "message", "log_id"}}` means; None for
    "ok" or a body without one (then the HTTP status decides)."""
    error = _error_object(body)
    code = str(error.get("code") or "")
    if not code or code == "ok":
        return None
    said = _said(error, code)
    if code in EXPIRED_CODES:
        return CredentialExpired(f"{NETWORK} no longer accepts the access token: {said}")
    if code in SCOPE_CODES:
        return CredentialRevoked(
            f"{NETWORK} says the account did not grant what this needs; connect it again "
            f"and allow every permission asked: {said}"
        )
    if code in RATE_CODES:
        wait = retry_after_seconds(response) if response is not None else None
        return RateLimited(
            f"{NETWORK} asks Roost to slow down: {said}",
            retry_after=DEFAULT_RETRY_AFTER if wait is None else wait,
        )
    if code in CAP_CODES:
        return RateLimited(
            f"{NETWORK} will take no more posts from this account for now: {said}",
            retry_after=POST_CAP_WAIT,
        )
    if status >= 500 or code == "internal_error":
        return TransientError(f"{NETWORK} answered {status}: {said}")
    advice = ADVICE.get(code)
    message = f"{NETWORK} refused the request ({code}): {said}"
    return PermanentError(f"{message} {advice}" if advice else message, network_message=said)


def explain(response: httpx.Response) -> ConnectorError | None:
    """`NetworkHttp`'s hook: TikTok's error object first, then the shared rules."""
    return error_from_body(json_body(response), status=response.status_code, response=response)


class TikTokConnector(Connector):
    """A TikTok account: video and photo posts, their figures and the account's followers."""

    name = "tiktok"
    # No text-only or link posts (TikTok posts need media), no FETCH_*, REPLY, HIDE,
    # DELETE or FIRST_COMMENT (the API has no comment, message or delete endpoints for
    # this use), no LOOKUP (TikTok chooses every id), no PUBLIC_PROFILES (only the
    # Research API reads other accounts, and it is for academic research).
    capabilities = frozenset(
        {
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_IMAGE,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
        }
    )
    oauth = OAuthSpec(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        scopes=SCOPES,
        # Login Kit for Web takes no code challenge (only desktop and mobile apps do).
        pkce=False,
        client_auth="post",
        client_id_param="client_key",
        scope_separator=",",
    )
    # Polling `status/fetch` (30 requests a minute per token): every few seconds, for at
    # most this long; tests shorten both.
    poll_interval_s: ClassVar[float] = 5.0
    poll_timeout_s: ClassVar[float] = 600.0
    # After PUBLISH_COMPLETE TikTok names the post once moderation passes; wait this
    # long for it before settling for the publish id.
    post_id_wait_s: ClassVar[float] = 60.0
    # The chunk size asked for (clamped to the Media Transfer Guide's 5 to 64 MB).
    chunk_bytes: ClassVar[int] = 10 * 1024 * 1024
    # Seconds to wait for an answer (a chunk of 64 MB needs a while on a slow line).
    request_timeout_s: ClassVar[float] = 120.0

    # Plumbing.

    def _http(self) -> NetworkHttp:
        token = access_token_of(self._secret, network=NETWORK)
        return NetworkHttp(network=NETWORK, token=token, explain=explain, timeout=self._timeout())

    @classmethod
    def _timeout(cls) -> httpx.Timeout:
        return httpx.Timeout(cls.request_timeout_s, connect=min(10.0, cls.request_timeout_s))

    @staticmethod
    def _call(http: NetworkHttp, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """A JSON call; a 2xx answer whose error object is not "ok" is raised too."""
        body = http.json(method, url, **kwargs)
        error = error_from_body(body, status=200)
        if error is not None:
            raise error
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    @classmethod
    def _user(cls, http: NetworkHttp, fields: Sequence[str]) -> dict[str, Any]:
        data = cls._call(http, "GET", USER_INFO_URL, params={"fields": ",".join(fields)})
        user = data.get("user")
        if not isinstance(user, dict):
            raise TransientError(f"{NETWORK} answered user/info without a user")
        return user

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """The signed-in TikTok account itself (a sign-in is one account).

        `user/info` gives its ids and display name under `user.info.basic`; the handle
        comes from `creator_info/query` (`video.publish`), so that no further scope
        (`user.info.profile`) is needed.
        """
        http = NetworkHttp(
            network=NETWORK, token=access_token, explain=explain, timeout=cls._timeout()
        )
        try:
            user = cls._user(http, ("open_id", "union_id", "display_name"))
            creator = cls._call(http, "POST", CREATOR_INFO_URL, json={})
        finally:
            http.close()
        open_id = str(user.get("open_id") or "")
        if not open_id:
            raise TransientError(f"{NETWORK} answered user/info without an open_id")
        username = str(creator.get("creator_username") or "")
        display_name = str(user.get("display_name") or creator.get("creator_nickname") or "")
        settings = {"union_id": str(user["union_id"])} if user.get("union_id") else {}
        return (
            ConnectableAccount(
                external_id=open_id,
                handle=username or display_name or open_id,
                display_name=display_name,
                settings=settings,
            ),
        )

    # The interface.

    def verify(self) -> Account:
        http = self._http()
        try:
            user = self._user(http, ("open_id", "display_name"))
        finally:
            http.close()
        open_id = str(user.get("open_id") or "")
        display_name = str(user.get("display_name") or "")
        return Account(
            external_id=open_id,
            handle=self.channel.handle or display_name or open_id,
            display_name=display_name,
        )

    def channel_stats(self) -> ChannelStats:
        http = self._http()
        try:
            user = self._user(http, ("open_id", "follower_count"))
        finally:
            http.close()
        followers = user.get("follower_count")
        return ChannelStats(
            followers=followers if isinstance(followers, int) else None, profile_views=None
        )

    def metrics(self, external_id: str) -> PostMetrics:
        """A post's likes, comments, shares and views (`video/query`, scope `video.list`).

        A post published before TikTok named it is stored under its publish id; the
        post id is asked of `status/fetch` first. Shares count as reposts.
        """
        http = self._http()
        try:
            post_id = external_id
            if not external_id.isdigit():
                _, post_ids = self._status(http, external_id)
                if not post_ids:
                    raise PermanentError(
                        f"{NETWORK} has not named this post yet (it is private, or still "
                        "in moderation), so it has no figures."
                    )
                post_id = post_ids[0]
            data = self._call(
                http,
                "POST",
                VIDEO_QUERY_URL,
                params={"fields": "id,like_count,comment_count,share_count,view_count"},
                json={"filters": {"video_ids": [post_id]}},
            )
        finally:
            http.close()
        videos = data.get("videos")
        found = next(
            (v for v in videos or () if isinstance(v, dict) and str(v.get("id")) == post_id),
            None,
        )
        if found is None:
            raise PermanentError(
                f"{NETWORK} does not show post {post_id} to this account (deleted or private)."
            )

        def count(key: str) -> int:
            value = found.get(key)
            return value if isinstance(value, int) else 0

        views = found.get("view_count")
        return PostMetrics(
            likes=count("like_count"),
            reposts=count("share_count"),
            replies=count("comment_count"),
            video_views=views if isinstance(views, int) else None,
        )

    def publish(self, request: PublishRequest) -> Published:
        placement = self.channel.placement
        if placement == "video":
            return self._publish_video(request)
        if placement == "photo":
            return self._publish_photos(request)
        raise PermanentError(f"{NETWORK} has no placement {placement!r}; use video or photo.")

    # Publishing.

    def _post_info(self, http: NetworkHttp) -> dict[str, Any]:
        """The post settings the account allows now (`creator_info/query`). Asking creates
        nothing, so a lost answer here proves that nothing was posted."""
        try:
            creator = self._call(http, "POST", CREATOR_INFO_URL, json={})
        except NotAccepted:
            raise
        except TransientError as error:
            raise NotAccepted(f"{error} (before the post was started)") from error
        offered = [str(level) for level in creator.get("privacy_level_options") or ()]
        wanted = str(self.channel.settings.get("privacy_level") or DEFAULT_PRIVACY)
        if wanted not in offered:
            raise PermanentError(
                f"The TikTok account does not offer the privacy level {wanted}; it offers "
                f"{', '.join(offered) or 'none'}. Set the channel's privacy_level to one of them.",
                network_message=f"privacy_level_options: {', '.join(offered)}",
            )
        settings = self.channel.settings

        def off(what: str) -> bool:
            return bool(creator.get(f"{what}_disabled")) or bool(settings.get(f"disable_{what}"))

        return {
            "privacy_level": wanted,
            "disable_comment": off("comment"),
            "disable_duet": off("duet"),
            "disable_stitch": off("stitch"),
        }

    def _publish_video(self, request: PublishRequest) -> Published:
        videos = [item for item in request.media if item.mime_type.startswith("video/")]
        if len(request.media) != 1 or len(videos) != 1:
            raise PermanentError("A TikTok video post takes exactly one video and nothing else.")
        video = videos[0]
        if video.mime_type not in VIDEO_TYPES:
            raise PermanentError(
                f"TikTok takes MP4, MOV or WebM videos, not {video.mime_type}.",
                network_message=video.mime_type,
            )
        size = len(video.data)
        if size == 0:
            raise PermanentError("The video is empty.")
        chunk, count = chunk_plan(size, self.chunk_bytes)
        http = self._http()
        # The upload URL carries its own authority: the token is not sent there.
        uploads = NetworkHttp(network=NETWORK, timeout=self._timeout())
        try:
            info = self._post_info(http)
            info["title"] = request.text
            try:
                data = self._call(
                    http,
                    "POST",
                    VIDEO_INIT_URL,
                    json={
                        "post_info": info,
                        "source_info": {
                            "source": "FILE_UPLOAD",
                            "video_size": size,
                            "chunk_size": chunk,
                            "total_chunk_count": count,
                        },
                    },
                )
            except NotAccepted:
                raise
            except TransientError as error:
                # Without the video's bytes TikTok has nothing to post.
                raise NotAccepted(f"{error} (no video was sent, so nothing was posted)") from error
            publish_id = str(data.get("publish_id") or "")
            upload_url = str(data.get("upload_url") or "")
            if not publish_id or not upload_url:
                raise NotAccepted(f"{NETWORK} opened no upload for the video")
            self._upload(uploads, upload_url, video, chunk, count)
            return self._await(http, publish_id, kind="video")
        finally:
            uploads.close()
            http.close()

    def _upload(
        self, uploads: NetworkHttp, upload_url: str, video: MediaItem, chunk: int, count: int
    ) -> None:
        """PUT the chunks in order. Until the last one is in, TikTok cannot post the
        video, so a failure before it is `NotAccepted`."""
        size = len(video.data)
        ranges = chunk_ranges(size, chunk, count)
        for index, (first, last) in enumerate(ranges):
            headers = {
                "Content-Type": video.mime_type,
                "Content-Range": f"bytes {first}-{last}/{size}",
            }
            try:
                uploads.send(
                    "PUT", upload_url, content=video.data[first : last + 1], headers=headers
                )
            except NotAccepted:
                raise
            except TransientError as error:
                if index == len(ranges) - 1:
                    raise
                raise NotAccepted(
                    f"{error} (chunk {index + 1} of {count}; the video never arrived whole)"
                ) from error

    def _publish_photos(self, request: PublishRequest) -> Published:
        if not request.media or len(request.media) > MAX_PHOTOS:
            raise PermanentError(f"A TikTok photo post takes 1 to {MAX_PHOTOS} photos.")
        for item in request.media:
            if item.mime_type not in PHOTO_TYPES:
                raise PermanentError(
                    f"TikTok photo posts take JPEG or WebP photos, not {item.mime_type}.",
                    network_message=item.mime_type,
                )
            if not item.url:
                raise PermanentError(
                    "TikTok fetches photos from a public https address, and Roost has none: "
                    "set ROOST_BASE_URL to Roost's https address (on a domain verified in "
                    "the TikTok app)."
                )
        http = self._http()
        try:
            info = self._post_info(http)
            info["description"] = request.text
            data = self._call(
                http,
                "POST",
                CONTENT_INIT_URL,
                json={
                    "media_type": "PHOTO",
                    "post_mode": "DIRECT_POST",
                    "post_info": info,
                    "source_info": {
                        "source": "PULL_FROM_URL",
                        "photo_cover_index": 0,
                        "photo_images": [item.url for item in request.media],
                    },
                },
            )
            publish_id = str(data.get("publish_id") or "")
            if not publish_id:
                raise TransientError(f"{NETWORK} answered content/init without a publish_id")
            return self._await(http, publish_id, kind="photo")
        finally:
            http.close()

    def _status(self, http: NetworkHttp, publish_id: str) -> tuple[str, list[str]]:
        data = self._call(http, "POST", STATUS_URL, json={"publish_id": publish_id})
        status = str(data.get("status") or "")
        if status == FAILED:
            raise self._failure(str(data.get("fail_reason") or "unknown"))
        if status == SEND_TO_USER_INBOX:
            raise PermanentError(
                f"{NETWORK} sent the post to the account's inbox as a draft instead of "
                "posting it; finish it in the TikTok app.",
                network_message=status,
            )
        # The reference spells the field `publicaly_available_post_id`.
        ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
        return status, [str(post_id) for post_id in ids or () if str(post_id).isdigit()]

    @staticmethod
    def _failure(reason: str) -> ConnectorError:
        said = f"{NETWORK} did not publish the post: {reason}"
        if reason in FAIL_REVOKED:
            return CredentialRevoked(said)
        if reason in FAIL_CAPPED:
            return RateLimited(said, retry_after=POST_CAP_WAIT)
        if reason in FAIL_INTERNAL:
            return NotAccepted(said)
        return PermanentError(said, network_message=reason)

    def _await(self, http: NetworkHttp, publish_id: str, *, kind: str) -> Published:
        """Poll until TikTok has published the post and named it (bounded).

        Published but unnamed after `post_id_wait_s` (moderation can take hours, and a
        private post is never named): the publish id stands for the post. Still
        processing after `poll_timeout_s`: the outcome is unknown.
        """
        started = time.monotonic()
        completed_at: float | None = None
        while True:
            status, post_ids = self._status(http, publish_id)
            now = time.monotonic()
            if status == PUBLISH_COMPLETE:
                if post_ids:
                    return Published(external_id=post_ids[0], url=self._url(post_ids[0], kind))
                completed_at = now if completed_at is None else completed_at
                if now - completed_at >= self.post_id_wait_s:
                    return Published(external_id=publish_id, url="")
            elif now - started >= self.poll_timeout_s:
                raise TransientError(
                    f"{NETWORK} was still processing the post (publish id {publish_id}, "
                    f"status {status or 'unknown'}) when Roost stopped waiting"
                )
            time.sleep(self.poll_interval_s)

    def _url(self, post_id: str, kind: str) -> str:
        handle = self.channel.handle.lstrip("@")
        return f"{WEB}/@{handle}/{kind}/{post_id}" if handle else ""
