"""The connector for Pinterest, through the Pinterest API v5 (https://api.pinterest.com/v5).

A channel is one **board** of a Pinterest account: a Pin is always saved on a board,
so the sign-in offers each board the account may pin to as an account of its own
(`oauth_accounts`). The board's id is the channel's external id and its
`settings["board_id"]`; the secret is the sign-in's OAuth tokens (the JSON that
`TokenSet.to_secret` writes) or a bare access token.

Channel settings (all but `board_id` optional):

- `board_id`: the board every Pin of the channel is saved on.
- `board_section_id`: a section of that board to save Pins in.
- `username`, `user_id`: the account the board was connected through (informative).
- `cover_key_frame_s`: for a video Pin without a cover image, the second of the
  video Pinterest takes the cover from (1 unless set).

What a publish sends (POST /v5/pins): the text's first line as the Pin's title when it
fits in 100 characters and more text follows it (then the rest is the description),
else the whole text as the description and its first line, shortened, as the title;
the request's link as the Pin's destination; the first media item's alt text. One
image goes as `image_base64` (JPEG, PNG) or `image_url` (other formats, fetched by
Pinterest from `MediaItem.url`); two to five as a carousel; one video is registered
(POST /v5/media), sent to the upload address Pinterest hands back, and polled until
processed, with an image beside it as its cover.

Pinterest's API v5 has no comments, mentions or messages to read or answer, and no way
to find a Pin by something Roost chose: a publish cut off after the Pin was sent is left
unconfirmed for a person to settle. Every failure leaves as a typed error of
`connectors.base`; no token appears in one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from collections.abc import Sequence
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
    MediaItem,
    NotAccepted,
    OAuthSpec,
    PermanentError,
    PostMetrics,
    Published,
    PublishRequest,
    TransientError,
)
from roost.channels.connectors.http import (
    NetworkHttp,
    access_token_of,
    json_body,
    network_message,
)

NETWORK = "Pinterest"
API = "https://api.pinterest.com/v5"
WEB = "https://www.pinterest.com"
PLACEMENT = "pin"

# Limits of POST /v5/pins (Pinterest API v5 reference, "Create Pin").
MAX_TITLE = 100
MAX_DESCRIPTION = 800
MAX_LINK = 2048
MAX_ALT_TEXT = 500
MAX_CAROUSEL_IMAGES = 5
# The image types `image_base64` and `multiple_image_base64` take; others go by address.
BASE64_TYPES = frozenset({"image/jpeg", "image/png"})
VIDEO_SUFFIXES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/x-m4v": "m4v"}
DEFAULT_COVER_KEY_FRAME_S = 1

# GET /v5/boards pages hold at most 250 boards; reading stops after this many pages.
BOARD_PAGE_SIZE = 250
MAX_BOARD_PAGES = 40

# Pin analytics reach back at most 90 days from today, which covers every post Roost
# still reads (docs/metrics.md: posts are read until they are ninety days old).
ANALYTICS_DAYS = 90
STANDARD_METRICS = (
    "IMPRESSION",
    "SAVE",
    "PIN_CLICK",
    "OUTBOUND_CLICK",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
)
VIDEO_METRICS = ("VIDEO_MRC_VIEW",)

# Pinterest's error codes (the `code` of its error bodies) that mean the token lacks
# a scope: the owner must connect again and grant it.
SCOPE_MISSING_CODES = frozenset({3})

NOT_PUBLIC = (
    "Pinterest fetches {what} from Roost's address, and Roost has none that the internet "
    "can reach: set ROOST_BASE_URL to Roost's https address."
)


def pin_text(text: str) -> tuple[str, str]:
    """(title, description) of a Pin from the post's text.

    When the first line fits in a title and more text follows, the first line is the
    title and the rest the description; otherwise the whole text is the description
    and the first line, shortened at a word, the title.
    """
    stripped = text.strip()
    if not stripped:
        return "", ""
    first, _, rest = stripped.partition("\n")
    first, rest = first.strip(), rest.strip()
    if rest and len(first) <= MAX_TITLE:
        return first, rest
    return shortened(first, MAX_TITLE), stripped


def shortened(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    at_space = cut.rfind(" ")
    if at_space > limit // 2:
        cut = cut[:at_space]
    return cut.rstrip() + "…"


def explain(response: httpx.Response) -> ConnectorError | None:
    """Pinterest's error bodies (`{"code": ..., "message": ...}`) where they say more
    than the HTTP status; None leaves the status to `connectors.http`."""
    body = json_body(response)
    code = body.get("code") if isinstance(body, dict) else None
    said = network_message(response)
    if response.status_code in (401, 403) and code in SCOPE_MISSING_CODES:
        return CredentialRevoked(
            f"Pinterest refused the token for this action; connect the board again and "
            f"grant every permission asked: {said}"
        )
    return None


def expired_since(secret: str | None, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the stored access token expired, if the stored tokens say it has; else None.

    Pinterest's access tokens last 30 days and Roost renews them before that; a token
    past its time was not renewed, and every call with it would be refused."""
    text = (secret or "").strip()
    if not text.startswith("{"):
        return None
    try:
        expires_at = dt.datetime.fromisoformat(str(json.loads(text).get("expires_at") or ""))
    except (ValueError, AttributeError):
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    return expires_at if expires_at <= (now or dt.datetime.now(dt.UTC)) else None


def _upload_explain(response: httpx.Response) -> ConnectorError | None:
    """The upload server answers in S3's XML; its <Message> is the readable part."""
    if response.status_code >= 500 or response.status_code == 429:
        return None
    found = re.search(r"<Message>(.*?)</Message>", response.text, re.DOTALL)
    said = found.group(1).strip() if found else network_message(response)
    return PermanentError(
        f"Pinterest's upload server refused the video ({response.status_code}): {said}",
        network_message=said,
    )


def _object(answer: Any) -> dict[str, Any]:
    """An answer the reference documents as a JSON object; anything else is a fault of
    the moment (a proxy's page, a cut answer), not a refusal."""
    if not isinstance(answer, dict):
        raise TransientError("Pinterest answered with something other than the object expected.")
    return answer


def pinterest_id(value: str, *, what: str) -> str:
    """A Pinterest id (digits only, as the reference's patterns say) for a URL path."""
    text = str(value).strip()
    if not text.isdigit() or not text.isascii():
        raise PermanentError(f"{text!r} is not a Pinterest {what} id.")
    return text


def _count(value: Any) -> int | None:
    """A figure from an answer as a whole number; None when the answer has none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(int(value), 0)


class PinterestConnector(Connector):
    """One board of a Pinterest account (placement `pin`)."""

    name = "pinterest"
    # Not declared, because the API does not offer them: text-only posts (every Pin
    # needs an image or a video), comments, mentions and messages (v5 has no endpoint
    # for them, so no reply, hide or first comment either), lookup and idempotent
    # publish (a Pin carries nothing Roost chose that it could be found by), and
    # other accounts' public figures.
    capabilities = frozenset(
        {
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_LINK,
            Capability.DELETE,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
        }
    )
    oauth: ClassVar[OAuthSpec | None] = OAuthSpec(
        authorize_url="https://www.pinterest.com/oauth/",
        token_url=f"{API}/oauth/token",
        scopes=("boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read"),
        # Pinterest's authorization code flow takes no code challenge, and its token
        # endpoint authenticates the app with HTTP Basic.
        pkce=False,
        client_auth="basic",
        scope_separator=",",
    )
    # A video is processed after its upload: ask every `poll_interval_s` for at most
    # `media_wait_s` before giving up (no Pin is made then).
    poll_interval_s: ClassVar[float] = 3.0
    media_wait_s: ClassVar[float] = 300.0
    # How long an answer may take; an upload of a large video gets `upload_timeout_s`.
    request_timeout_s: ClassVar[float] = 30.0
    upload_timeout_s: ClassVar[float] = 600.0

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._client: NetworkHttp | None = None

    # Plumbing.

    def _http(self) -> NetworkHttp:
        if self._client is None:
            token = access_token_of(self._secret, network=NETWORK)
            expired = expired_since(self._secret)
            if expired is not None:
                raise CredentialExpired(
                    f"The Pinterest access token expired on {expired:%Y-%m-%d %H:%M} UTC and "
                    "was not renewed; connect the board again."
                )
            self._client = NetworkHttp(
                network=NETWORK, token=token, explain=explain, timeout=self._timeout()
            )
        return self._client

    @classmethod
    def _timeout(cls) -> httpx.Timeout:
        return httpx.Timeout(cls.request_timeout_s, connect=10.0)

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return _object(self._http().json(method, url, **kwargs))

    def _board_id(self) -> str:
        board_id = str(self.channel.settings.get("board_id") or self.channel.external_id or "")
        if not board_id.strip():
            raise PermanentError(
                f"Channel {self.channel.id} names no Pinterest board; connect it again "
                "and choose the board to publish to."
            )
        return pinterest_id(board_id, what="board")

    # Connecting.

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """Each board the signed-in account may pin to (its own boards and the group
        boards it collaborates on, secret boards aside), as one account each."""
        http = NetworkHttp(
            network=NETWORK, token=access_token, explain=explain, timeout=cls._timeout()
        )
        try:
            user = _object(http.json("GET", f"{API}/user_account"))
            username = str(user.get("username") or "")
            accounts: list[ConnectableAccount] = []
            bookmark: str | None = None
            for _ in range(MAX_BOARD_PAGES):
                params: dict[str, Any] = {"page_size": BOARD_PAGE_SIZE}
                if bookmark:
                    params["bookmark"] = bookmark
                page = _object(http.json("GET", f"{API}/boards", params=params))
                for board in page.get("items") or ():
                    if not isinstance(board, dict) or not board.get("id"):
                        continue
                    if board.get("is_ads_only"):
                        continue  # holds only ad Pins, which the organic API cannot make
                    owner = str((board.get("owner") or {}).get("username") or username)
                    name = str(board.get("name") or board["id"])
                    accounts.append(
                        ConnectableAccount(
                            external_id=str(board["id"]),
                            handle=f"{owner}/{name}",
                            display_name=name,
                            placements=(PLACEMENT,),
                            settings={
                                "board_id": str(board["id"]),
                                "username": username,
                                "user_id": str(user.get("id") or ""),
                            },
                        )
                    )
                bookmark = page.get("bookmark") or None
                if not bookmark:
                    break
        finally:
            http.close()
        return tuple(accounts)

    # The connector interface.

    def verify(self) -> Account:
        """GET /v5/boards/{board_id}: the token works and the board is still there."""
        board = self._call("GET", f"{API}/boards/{self._board_id()}")
        owner = str((board.get("owner") or {}).get("username") or "")
        name = str(board.get("name") or "")
        return Account(
            external_id=str(board.get("id") or self._board_id()),
            handle=f"{owner}/{name}" if owner else name,
            display_name=name,
        )

    def publish(self, request: PublishRequest) -> Published:
        """Save one Pin on the channel's board. A first comment is not posted (Pinterest's
        API has no comments); a reply is refused."""
        if request.reply_to:
            raise PermanentError("Pinterest Pins cannot reply to anything.")
        if self.channel.placement != PLACEMENT:
            raise PermanentError(
                f"Pinterest has no placement {self.channel.placement!r}; it publishes Pins."
            )
        images, video = self._sorted_media(request.media)
        title, description = pin_text(request.text)
        body: dict[str, Any] = {"board_id": self._board_id()}
        section = str(self.channel.settings.get("board_section_id") or "").strip()
        if section:
            body["board_section_id"] = pinterest_id(section, what="board section")
        if title:
            body["title"] = title
        if description:
            if len(description) > MAX_DESCRIPTION:
                raise PermanentError(
                    f"A Pin's description is {len(description)} characters; Pinterest "
                    f"allows {MAX_DESCRIPTION}."
                )
            body["description"] = description
        if request.link:
            if len(request.link) > MAX_LINK:
                raise PermanentError(f"Pinterest takes links of at most {MAX_LINK} characters.")
            body["link"] = request.link
        alt_text = next((item.alt_text for item in request.media if item.alt_text), "")
        if alt_text:
            if len(alt_text) > MAX_ALT_TEXT:
                raise PermanentError(
                    f"The alt text is {len(alt_text)} characters; Pinterest allows {MAX_ALT_TEXT}."
                )
            body["alt_text"] = alt_text
        if video is not None:
            # Everything that might be refused is settled before the upload starts.
            cover = self._cover_fields(images[0] if images else None)
            body["media_source"] = {
                "source_type": "video_id",
                "media_id": self._uploaded_video(video),
                **cover,
            }
        elif len(images) == 1:
            body["media_source"] = self._image_source(images[0])
        else:
            body["media_source"] = self._carousel_source(images, link=request.link)
        pin = self._call("POST", f"{API}/pins", json=body)
        pin_id = str(pin.get("id") or "")
        if not pin_id:
            raise TransientError("Pinterest answered the new Pin without its id.")
        return Published(external_id=pin_id, url=f"{WEB}/pin/{pin_id}/")

    def delete(self, external_id: str) -> None:
        """DELETE /v5/pins/{pin_id}; a Pin already gone counts as deleted."""
        try:
            self._http().send("DELETE", f"{API}/pins/{pinterest_id(external_id, what='Pin')}")
        except PermanentError as error:
            if "not found" not in error.network_message.lower():
                raise

    def metrics(self, external_id: str) -> PostMetrics:
        """GET /v5/pins/{pin_id}/analytics over the last 90 days: impressions, saves,
        outbound clicks and video views, with lifetime comments and reactions.

        Video views are asked for with the rest; should Pinterest refuse them (a Pin
        that is not a video), the same figures are asked for without them.
        """
        today = dt.datetime.now(dt.UTC).date()
        params = {
            "start_date": (today - dt.timedelta(days=ANALYTICS_DAYS)).isoformat(),
            "end_date": today.isoformat(),
            "app_types": "ALL",
        }
        url = f"{API}/pins/{pinterest_id(external_id, what='Pin')}/analytics"
        try:
            answer = self._call(
                "GET",
                url,
                params={**params, "metric_types": ",".join(STANDARD_METRICS + VIDEO_METRICS)},
            )
        except PermanentError as error:
            if "not found" in error.network_message.lower():
                raise
            answer = self._call(
                "GET", url, params={**params, "metric_types": ",".join(STANDARD_METRICS)}
            )
        summary: dict[str, int] = {}
        lifetime: dict[str, int] = {}
        for split in answer.values():
            if not isinstance(split, dict):
                continue
            for into, figures in (
                (summary, split.get("summary_metrics")),
                (lifetime, split.get("lifetime_metrics")),
            ):
                for key, value in (figures or {}).items():
                    number = _count(value)
                    if number is not None:
                        into[key] = into.get(key, 0) + number

        def figure(key: str) -> int | None:
            return lifetime.get(key, summary.get(key))

        return PostMetrics(
            likes=figure("TOTAL_REACTIONS") or 0,
            replies=figure("TOTAL_COMMENTS") or 0,
            impressions=figure("IMPRESSION"),
            saves=figure("SAVE"),
            link_clicks=figure("OUTBOUND_CLICK"),
            video_views=figure("VIDEO_MRC_VIEW"),
        )

    def channel_stats(self) -> ChannelStats:
        """GET /v5/user_account: the account's followers. Its `monthly_views` is a figure
        of the last 30 days, not the running total `profile_views` means, so it is left out."""
        user = self._call("GET", f"{API}/user_account")
        return ChannelStats(followers=_count(user.get("follower_count")))

    # Media.

    def _sorted_media(self, media: Sequence[MediaItem]) -> tuple[list[MediaItem], MediaItem | None]:
        """(images, video) of a publish, refused before anything is sent when Pinterest
        would not take them as one Pin."""
        images = [item for item in media if item.mime_type.startswith("image/")]
        videos = [item for item in media if item.mime_type.startswith("video/")]
        if len(images) + len(videos) != len(media):
            raise PermanentError("Pinterest Pins take images and videos only.")
        if not media:
            raise PermanentError("A Pin needs an image or a video; Pinterest has no text posts.")
        if len(videos) > 1:
            raise PermanentError("A Pin takes one video.")
        if videos and len(images) > 1:
            raise PermanentError(
                "A video Pin takes at most one image beside the video, as its cover."
            )
        if len(images) > MAX_CAROUSEL_IMAGES:
            raise PermanentError(f"A Pin takes at most {MAX_CAROUSEL_IMAGES} images.")
        return images, videos[0] if videos else None

    @staticmethod
    def _mime(item: MediaItem) -> str:
        mime = item.mime_type.lower()
        return "image/jpeg" if mime == "image/jpg" else mime

    def _image_source(self, item: MediaItem) -> dict[str, Any]:
        mime = self._mime(item)
        if mime in BASE64_TYPES:
            return {
                "source_type": "image_base64",
                "content_type": mime,
                "data": base64.b64encode(item.data).decode("ascii"),
            }
        if not item.url:
            raise PermanentError(NOT_PUBLIC.format(what=f"{mime} images"))
        return {"source_type": "image_url", "url": item.url}

    def _carousel_source(self, images: Sequence[MediaItem], *, link: str | None) -> dict[str, Any]:
        extra = {"link": link} if link else {}
        if all(self._mime(item) in BASE64_TYPES for item in images):
            return {
                "source_type": "multiple_image_base64",
                "items": [
                    {
                        "content_type": self._mime(item),
                        "data": base64.b64encode(item.data).decode("ascii"),
                        **extra,
                    }
                    for item in images
                ],
            }
        if not all(item.url for item in images):
            raise PermanentError(NOT_PUBLIC.format(what="a carousel with these image types"))
        return {
            "source_type": "multiple_image_urls",
            "items": [{"url": item.url, **extra} for item in images],
        }

    def _cover_fields(self, image: MediaItem | None) -> dict[str, Any]:
        """A video Pin's cover: the image beside the video, else a frame of the video."""
        if image is None:
            raw = str(self.channel.settings.get("cover_key_frame_s") or "")
            seconds = int(raw) if raw.isdigit() else DEFAULT_COVER_KEY_FRAME_S
            return {"cover_image_key_frame_time": seconds}
        mime = self._mime(image)
        if mime in BASE64_TYPES:
            return {
                "cover_image_content_type": mime,
                "cover_image_data": base64.b64encode(image.data).decode("ascii"),
            }
        if not image.url:
            raise PermanentError(NOT_PUBLIC.format(what=f"{mime} cover images"))
        return {"cover_image_url": image.url}

    def _uploaded_video(self, video: MediaItem) -> str:
        """Register the video (POST /v5/media), send it to the upload address with the
        form fields Pinterest gave, and wait until it is processed; its media id.

        No Pin exists yet at any step, so a failure that leaves an outcome unknown is
        raised as `NotAccepted`: publishing again cannot double the Pin.
        """
        try:
            registered = self._call("POST", f"{API}/media", json={"media_type": "video"})
            media_id = str(registered.get("media_id") or "")
            upload_url = str(registered.get("upload_url") or "")
            if not media_id.isdigit() or not upload_url.startswith(("https://", "http://")):
                raise TransientError("Pinterest registered the video without an upload address.")
            fields = {
                str(key): str(value)
                for key, value in (registered.get("upload_parameters") or {}).items()
            }
            suffix = VIDEO_SUFFIXES.get(video.mime_type.lower(), "mp4")
            # The upload address is another company's storage: it gets no Pinterest token.
            uploader = NetworkHttp(
                network=f"{NETWORK} upload",
                explain=_upload_explain,
                timeout=httpx.Timeout(self.upload_timeout_s, connect=10.0),
            )
            try:
                uploader.send(
                    "POST",
                    upload_url,
                    data=fields,
                    files={"file": (f"video.{suffix}", video.data, video.mime_type)},
                )
            finally:
                uploader.close()
            self._wait_until_processed(media_id)
        except NotAccepted:
            raise
        except TransientError as error:
            raise NotAccepted(f"{error} (before the Pin was sent, so no Pin was made)") from error
        return media_id

    def _wait_until_processed(self, media_id: str) -> None:
        deadline = time.monotonic() + self.media_wait_s
        while True:
            status = str(self._call("GET", f"{API}/media/{media_id}").get("status") or "")
            if status == "succeeded":
                return
            if status == "failed":
                raise PermanentError(
                    f"Pinterest could not process the video (media {media_id}).",
                    network_message="The video upload failed on Pinterest's side.",
                )
            if time.monotonic() >= deadline:
                raise NotAccepted(
                    f"Pinterest was still processing the video after {self.media_wait_s:.0f} s "
                    f"(status {status or 'unknown'}); no Pin was made."
                )
            time.sleep(self.poll_interval_s)
