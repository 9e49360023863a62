"""The connector for LinkedIn organisation pages, through the Community Management API.

One channel is one LinkedIn organisation (company or showcase page), placement `post`;
`ChannelRef.external_id` is its URN, `urn:li:organization:<id>` (a bare id is read as
one). The secret is the access token of a member who administers the page, or the JSON
that `TokenSet.to_secret` writes. Every call goes to the versioned REST API
(`https://api.linkedin.com/rest/...`) with the `LinkedIn-Version` and
`X-Restli-Protocol-Version: 2.0.0` headers the reference requires.

What it does, from the reference (learn.microsoft.com/linkedin/marketing/community-management):

- publish with the Posts API: text, an article (link), one image or video
  (`content.media`), or 2 to 20 images (`content.multiImage`). Images go through the
  Images API (`initializeUpload`, then one PUT), videos through the Videos API
  (`initializeUpload` with the size, a PUT per byte range it names, `finalizeUpload` with
  the parts' ETags, then its status until AVAILABLE). The commentary is written in
  LinkedIn's "little" text format: hashtags become hashtag templates and every other
  reserved character is escaped, so a parenthesis cannot cut the post short;
- the first comment, replies (a comment on a post, or a nested comment under one),
  deleting a post or a comment, reading comments on the page's recent posts;
- mentions of the page in members' posts: the page's `SHARE_MENTION` notifications
  (Organization Social Action Notifications, pulled with `q=criteria`), each read with
  the Posts API into a MENTION item whose id is the mentioning post's URN;
- figures from `organizationalEntityShareStatistics` and the follower count from
  `networkSizes`.

What it does not: LinkedIn keeps no key Roost chooses on a post and has no idempotent
create, so a publish cut off after sending is left unconfirmed (no `LOOKUP`); the API
lets a page delete a comment but not hide one (no `HIDE`); pages have no messaging API;
mentions in comments are not read (only mentions in posts).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

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
    Published,
    PublishRequest,
    PushTarget,
    RateLimited,
    TransientError,
    first_comment_refused,
)
from roost.channels.connectors.http import (
    NetworkHttp,
    access_token_of,
    json_body,
    network_message,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

API = "https://api.linkedin.com"
REST = f"{API}/rest"
# The versioned API answers only the versions it still supports (about a year each).
LINKEDIN_VERSION = "202605"
ORGANIZATION_URN = "urn:li:organization:"
PERSON_URN = "urn:li:person:"
APPLICATION_URN = "urn:li:developerApplication:"
SOCIAL_ACTION_EVENTS = "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS"
# The page role whose members may subscribe its notifications (rw_organization_admin).
SUBSCRIBING_ROLE = "ADMINISTRATOR"
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
# Organization Social Action Notifications: the action a member's post that mentions the
# page is reported as, and how long LinkedIn keeps notifications to pull (60 days).
MENTION_ACTION = "SHARE_MENTION"
NOTIFICATION_RETENTION_MS = 60 * 24 * 3600 * 1000
# The inbox cursor is "<comments from>:<mentions from>", both in milliseconds; a cursor
# written before mentions were read is the comments' part alone.
CURSOR_SEPARATOR = ":"

# The page roles that may post as the organisation (Posts API, w_organization_social).
POSTING_ROLES = frozenset(
    {"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "CONTENT_ADMIN", "CONTENT_ADMINISTRATOR"}
)
MULTI_IMAGE_MIN = 2
MULTI_IMAGE_MAX = 20
ACL_PAGES_MAX = 20

# "little" text format: reserved characters, and a hashtag as the reference writes one.
LITTLE_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# The templates a post's commentary carries: a mention `@[Name](urn:li:...)` and a
# hashtag `{hashtag|\#|tag}`; any other reserved character is escaped with a backslash.
LITTLE_MENTION = re.compile(r"@\[((?:\\.|[^\]\\])*)\]\(urn:li:[^)]*\)")
LITTLE_HASHTAG = re.compile(r"\{hashtag\|\\?#\|((?:\\.|[^}\\])*)\}")
LITTLE_ESCAPE = re.compile(r"\\(.)")

# Error codes of LinkedIn's error body (`code`, with `serviceErrorCode`) that concern the token.
EXPIRED_CODES = frozenset({"EXPIRED_ACCESS_TOKEN"})
REVOKED_CODES = frozenset({"REVOKED_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN"})


def little_text(text: str) -> str:
    """`text` as Posts API commentary: `#tag` as a hashtag template, every other reserved
    character escaped with a backslash (an unescaped one cuts the commentary short)."""
    parts: list[str] = []
    position = 0
    for match in HASHTAG.finditer(text):
        parts.append(LITTLE_RESERVED.sub(r"\\\1", text[position : match.start()]))
        parts.append("{hashtag|#|" + match.group(1) + "}")
        position = match.end()
    parts.append(LITTLE_RESERVED.sub(r"\\\1", text[position:]))
    return "".join(parts)


def plain_text(commentary: str) -> str:
    """A post's little-format commentary as a person reads it: `@Name` for a mention,
    `#tag` for a hashtag, escaped characters as themselves."""
    text = LITTLE_MENTION.sub(r"@\1", commentary)
    text = LITTLE_HASHTAG.sub(r"#\1", text)
    return LITTLE_ESCAPE.sub(r"\1", text)


def organization_urn(value: str) -> str:
    """`urn:li:organization:<id>` for a URN or a bare id; PermanentError otherwise."""
    text = value.strip()
    if text.isdigit():
        return f"{ORGANIZATION_URN}{text}"
    if text.startswith(ORGANIZATION_URN) and text[len(ORGANIZATION_URN) :].isdigit():
        return text
    raise PermanentError(f"{value!r} is not a LinkedIn organisation (urn:li:organization:<id>).")


def encoded(urn: str) -> str:
    """A URN as Rest.li 2.0 wants it in a path or a query value: every reserved character
    percent-encoded (`urn%3Ali%3Ashare%3A1`)."""
    return quote(urn, safe="")


def comment_parts(urn: str) -> tuple[str, str] | None:
    """(the thread the comment belongs to, the comment's id) of
    `urn:li:comment:(urn:li:activity:1,2)`; None for anything else."""
    prefix = "urn:li:comment:("
    if not urn.startswith(prefix) or not urn.endswith(")"):
        return None
    thread, _, comment_id = urn[len(prefix) : -1].rpartition(",")
    return (thread, comment_id) if thread and comment_id else None


def _millis(value: Any) -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC)


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _seconds_to_midnight_utc(now: dt.datetime | None = None) -> float:
    moment = now or dt.datetime.now(tz=dt.UTC)
    midnight = (moment + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - moment).total_seconds(), 1.0)


class NotFound(PermanentError):
    """LinkedIn answered 404: the post, comment or page does not exist (or no longer)."""


class AccessDenied(CredentialRevoked):
    """LinkedIn answered 403: the member lacks the page role (or the app the scope) the
    call needs. For publishing that means reconnecting; figures need the Super admin role."""


def explain(response: httpx.Response) -> ConnectorError | None:
    """LinkedIn's error body (`{"status", "serviceErrorCode", "code", "message"}`) as a
    typed error; None leaves the shared rules (5xx transient, other 4xx permanent)."""
    body = json_body(response)
    code = str(body.get("code") or "") if isinstance(body, dict) else ""
    said = network_message(response)
    status = response.status_code
    if status == 401:
        if code in EXPIRED_CODES or "expired" in said.lower():
            return CredentialExpired(f"The LinkedIn access token expired: {said}")
        return CredentialRevoked(f"LinkedIn refused the access token: {said}")
    if status == 403 and (code == "ACCESS_DENIED" or "permission" in said.lower()):
        # The member lost the page role, or the app its product or a scope: reconnect.
        return AccessDenied(f"LinkedIn denied the access: {said}")
    if status == 429:
        # Limits are per day and reset at midnight UTC; a wait named in the answer wins.
        wait = retry_after_seconds(response)
        return RateLimited(
            f"LinkedIn's daily limit for this call is used up: {said}",
            retry_after=_seconds_to_midnight_utc() if wait is None else wait,
        )
    if status == 404:
        return NotFound(f"LinkedIn has no such thing (404): {said}", network_message=said)
    return None


class LinkedInConnector(Connector):
    """A LinkedIn organisation page, through the Community Management API."""

    name = "linkedin"
    # No LOOKUP or IDEMPOTENT_PUBLISH: a post carries nothing Roost chose. No HIDE: the
    # API deletes comments but does not hide them. No messages: see the module.
    capabilities = frozenset(
        {
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_LINK,
            Capability.FIRST_COMMENT,
            Capability.REPLY,
            Capability.DELETE,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
        }
    )
    oauth = OAuthSpec(
        authorize_url="https://www.linkedin.com/oauth/v2/authorization",
        token_url="https://www.linkedin.com/oauth/v2/accessToken",  # noqa: S106 (an address)
        scopes=("r_organization_social", "w_organization_social", "rw_organization_admin"),
        # PKCE is offered to native apps only; a web server app sends its secret.
        pkce=False,
        client_auth="post",
    )

    api_version: ClassVar[str] = LINKEDIN_VERSION
    timeout_s: ClassVar[float] = 30.0
    # A video is processed after its upload; its status is read this often, this many times.
    poll_interval_s: ClassVar[float] = 3.0
    video_polls: ClassVar[int] = 100
    # The inbox reads comments on this many of the page's latest posts.
    recent_posts: ClassVar[int] = 20
    comment_page_size: ClassVar[int] = 50
    comment_pages_max: ClassVar[int] = 10
    notification_page_size: ClassVar[int] = 50
    notification_pages_max: ClassVar[int] = 10
    acl_page_size: ClassVar[int] = 100

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._http: NetworkHttp | None = None

    # Plumbing.

    @classmethod
    def _client(cls, token: str | None) -> NetworkHttp:
        return NetworkHttp(
            network="LinkedIn",
            token=token,
            explain=explain,
            headers={
                "LinkedIn-Version": cls.api_version,
                "X-Restli-Protocol-Version": "2.0.0",
            },
            timeout=httpx.Timeout(cls.timeout_s, connect=min(cls.timeout_s, 10.0)),
        )

    def _api(self) -> NetworkHttp:
        if self._http is None:
            self._http = self._client(access_token_of(self._secret, network="LinkedIn"))
        return self._http

    def _organization(self) -> str:
        return organization_urn(self.channel.external_id)

    def _organization_id(self) -> str:
        return self._organization()[len(ORGANIZATION_URN) :]

    # Identity and connecting.

    def verify(self) -> Account:
        """The token works and its member still has a role on the page that may post;
        then the page's name (read by Super admins only; others keep the handle)."""
        if self._organization_id() not in set(self._posting_organizations(self._api())):
            raise CredentialRevoked(
                "The LinkedIn member who connected this page no longer has a role on it "
                "that may post; connect it again as a page admin."
            )
        try:
            page = self._api().json("GET", f"{REST}/organizations/{self._organization_id()}")
        except AccessDenied:
            page = {}
        return Account(
            external_id=self._organization(),
            handle=str(page.get("vanityName") or self.channel.handle),
            display_name=str(page.get("localizedName") or ""),
        )

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """The pages the member may post as: their approved roles that can post, then
        the pages' names in one batch read."""
        http = cls._client(access_token)
        try:
            ids = list(dict.fromkeys(cls._posting_organizations(http)))
            if not ids:
                return ()
            try:
                pages = http.json("GET", f"{REST}/organizations?ids=List({','.join(ids)})")
            except AccessDenied:
                # Page details are for Super admins; a content admin still gets the pages.
                pages = {}
        finally:
            http.close()
        results = pages.get("results") if isinstance(pages, dict) else None
        results = results if isinstance(results, dict) else {}
        accounts = []
        for organization_id in ids:
            page = results.get(organization_id) or {}
            accounts.append(
                ConnectableAccount(
                    external_id=f"{ORGANIZATION_URN}{organization_id}",
                    handle=str(page.get("vanityName") or organization_id),
                    display_name=str(page.get("localizedName") or ""),
                    placements=("post",),
                )
            )
        return tuple(accounts)

    @classmethod
    def _posting_organizations(cls, http: NetworkHttp) -> Iterator[str]:
        for organization_id, _member, _role in cls._posting_roles(http):
            yield organization_id

    @classmethod
    def _posting_roles(cls, http: NetworkHttp) -> Iterator[tuple[str, str, str]]:
        """(organisation id, the member's URN, the role) for each approved role of the
        signed-in member that may post (Organization Access Control, `q=roleAssignee`)."""
        start, count = 0, cls.acl_page_size
        for _ in range(ACL_PAGES_MAX):
            answer = http.json(
                "GET",
                f"{REST}/organizationAcls?q=roleAssignee&state=APPROVED"
                f"&start={start}&count={count}",
            )
            elements = answer.get("elements") or []
            for acl in elements:
                target = str(acl.get("organization") or acl.get("organizationTarget") or "")
                if acl.get("role") in POSTING_ROLES and target.startswith(ORGANIZATION_URN):
                    member, role = str(acl.get("roleAssignee") or ""), str(acl["role"])
                    yield target[len(ORGANIZATION_URN) :], member, role
            paging = answer.get("paging") or {}
            total = paging.get("total")
            start += len(elements)
            if not elements or (isinstance(total, int) and start >= total):
                return

    # Webhooks.

    def push_subscribe(self, target: PushTarget) -> bool:
        """Subscribe the page's social actions (comments, mentions, shares) to the app's
        webhook for the member who connected it (Organization Social Action
        Notifications: `PUT /rest/eventSubscriptions/(developerApplication:…,user:…,
        entity:…,eventType:ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS)` with the webhook
        address). Needs the app's developer application id, and a member who is the
        page's ADMINISTRATOR (LinkedIn refuses others); False without them, and the page
        is read at each poll."""
        if not target.network_id or not target.address:
            return False
        organization_id = self._organization_id()
        member = next(
            (
                member
                for organization, member, role in self._posting_roles(self._api())
                if organization == organization_id and role == SUBSCRIBING_ROLE
            ),
            "",
        )
        if not member.startswith(PERSON_URN):
            return False
        key = self._subscription_key(target, member)
        self._api().send(
            "PUT", f"{REST}/eventSubscriptions/({key})", json={"webhook": target.address}
        )
        return True

    def push_unsubscribe(self, target: PushTarget) -> bool:
        """Remove the page's event subscription (Organization Social Action
        Notifications, Event Subscription API, "Remove a subscription": `DELETE
        /rest/eventSubscriptions/(developerApplication:…,user:…,entity:…,eventType:…)`).
        The member is the one who connected the page, whatever role they hold now; a
        subscription already gone (404) counts as removed. False without the app's
        developer application id, or when the member holds no role on the page."""
        if not target.network_id:
            return False
        organization_id = self._organization_id()
        member = next(
            (
                member
                for organization, member, _role in self._posting_roles(self._api())
                if organization == organization_id
            ),
            "",
        )
        if not member.startswith(PERSON_URN):
            return False
        self._api().remove(f"{REST}/eventSubscriptions/({self._subscription_key(target, member)})")
        return True

    def _subscription_key(self, target: PushTarget, member: str) -> str:
        return ",".join(
            (
                f"developerApplication:{encoded(APPLICATION_URN + target.network_id)}",
                f"user:{encoded(member)}",
                f"entity:{encoded(self._organization())}",
                f"eventType:{SOCIAL_ACTION_EVENTS}",
            )
        )

    # Publishing.

    def publish(self, request: PublishRequest) -> Published:
        if request.reply_to:
            # On LinkedIn an answer to a post is a comment under it.
            if request.media or request.link:
                raise PermanentError("A LinkedIn comment carries text only.")
            return self.reply(
                to_external_id=request.reply_to,
                text=request.text,
                idempotency_key=request.idempotency_key,
            )
        body = self._post_body(request)
        response = self._api().send("POST", f"{REST}/posts", json=body)
        urn = response.headers.get("x-restli-id") or str(
            (json_body(response) or {}).get("id") or ""
        )
        if not urn:
            # The post was made but its id is unknown: as good as a lost answer.
            raise TransientError("LinkedIn created the post without naming it (no x-restli-id).")
        warning = ""
        if request.first_comment and request.first_comment.strip():
            warning = self._first_comment(urn, request.first_comment)
        return Published(external_id=urn, url=POST_URL.format(urn=urn), warning=warning)

    def _post_body(self, request: PublishRequest) -> dict[str, Any]:
        """The Posts API body; the media are uploaded first. Nothing posted yet, so a lost
        answer during the uploads proves nothing was published (`NotAccepted`)."""
        text = request.text
        if request.media and request.link and request.link not in text:
            # A post shows media or a link preview, not both: the link goes in the text,
            # where LinkedIn makes it clickable.
            text = f"{text}\n\n{request.link}" if text.strip() else request.link
        body: dict[str, Any] = {
            "author": self._organization(),
            "commentary": little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if request.link and not request.media:
            body["content"] = {"article": {"source": request.link, "title": _title(request)}}
        elif request.media:
            try:
                body["content"] = self._media_content(request.media)
            except NotAccepted:
                raise
            except TransientError as error:
                raise NotAccepted(f"{error} (while uploading; nothing was posted)") from error
        return body

    def _media_content(self, media: tuple[MediaItem, ...]) -> dict[str, Any]:
        videos = [item for item in media if item.mime_type.startswith("video/")]
        images = [item for item in media if item.mime_type.startswith("image/")]
        if len(videos) + len(images) != len(media):
            kinds = sorted({item.mime_type for item in media} - {i.mime_type for i in images})
            raise PermanentError(f"LinkedIn posts take images or one video, not {kinds[0]}.")
        if videos:
            if len(media) > 1:
                raise PermanentError("A LinkedIn post takes one video, on its own.")
            video = videos[0]
            return {"media": {"id": self._upload_video(video), "altText": video.alt_text}}
        if len(images) > MULTI_IMAGE_MAX:
            raise PermanentError(f"A LinkedIn post takes at most {MULTI_IMAGE_MAX} images.")
        uploaded = [{"id": self._upload_image(item), "altText": item.alt_text} for item in images]
        if len(uploaded) >= MULTI_IMAGE_MIN:
            return {"multiImage": {"images": uploaded}}
        return {"media": uploaded[0]}

    def _upload_image(self, item: MediaItem) -> str:
        answer = self._api().json(
            "POST",
            f"{REST}/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": self._organization()}},
        )
        value = answer.get("value") or {}
        upload_url, image = str(value.get("uploadUrl") or ""), str(value.get("image") or "")
        if not upload_url or not image:
            raise TransientError("LinkedIn's image upload answer named no upload address.")
        self._put(upload_url, item.data, content_type=item.mime_type)
        return image

    def _upload_video(self, item: MediaItem) -> str:
        answer = self._api().json(
            "POST",
            f"{REST}/videos?action=initializeUpload",
            json={
                "initializeUploadRequest": {
                    "owner": self._organization(),
                    "fileSizeBytes": len(item.data),
                    "uploadCaptions": False,
                    "uploadThumbnail": False,
                }
            },
        )
        value = answer.get("value") or {}
        video = str(value.get("video") or "")
        instructions = value.get("uploadInstructions") or []
        if not video or not instructions:
            raise TransientError("LinkedIn's video upload answer named no upload addresses.")
        etags = []
        for part in instructions:
            first, last = int(part["firstByte"]), int(part["lastByte"])
            response = self._put(
                str(part["uploadUrl"]),
                item.data[first : last + 1],
                content_type="application/octet-stream",
            )
            etag = response.headers.get("etag")
            if not etag:
                raise TransientError("LinkedIn accepted a video part without its ETag.")
            etags.append(etag)
        self._api().send(
            "POST",
            f"{REST}/videos?action=finalizeUpload",
            json={
                "finalizeUploadRequest": {
                    "video": video,
                    "uploadToken": str(value.get("uploadToken") or ""),
                    "uploadedPartIds": etags,
                }
            },
        )
        self._wait_until_available(video)
        return video

    def _wait_until_available(self, video: str) -> None:
        for attempt in range(self.video_polls):
            status = str(self._api().json("GET", f"{REST}/videos/{encoded(video)}").get("status"))
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                raise PermanentError(
                    "LinkedIn could not process the video.", network_message=status
                )
            if attempt + 1 < self.video_polls:
                time.sleep(self.poll_interval_s)
        raise NotAccepted("LinkedIn was still processing the video; nothing was posted yet.")

    def _put(self, url: str, data: bytes, *, content_type: str) -> httpx.Response:
        """Upload bytes to an address LinkedIn handed back. The token goes only to
        LinkedIn's own hosts (the Images API asks for it); any other host gets none."""
        host = (urlsplit(url).hostname or "").lower()
        if host == "linkedin.com" or host.endswith(".linkedin.com"):
            return self._api().send(
                "PUT", url, content=data, headers={"Content-Type": content_type}
            )
        plain = NetworkHttp(network="LinkedIn", explain=explain)
        try:
            return plain.send("PUT", url, content=data, headers={"Content-Type": content_type})
        finally:
            plain.close()

    def _first_comment(self, post: str, text: str) -> str:
        """The page's first comment. The post exists whatever happens here, so a failure
        is logged, never raised: raising would make the post look unpublished."""
        try:
            self._comment(post, text)
        except ConnectorError as error:
            logger.warning(
                "LinkedIn channel %s: the first comment under %s failed: %s",
                self.channel.id,
                post,
                error,
            )
            return first_comment_refused("LinkedIn", error)
        return ""

    def _comment(self, target: str, text: str) -> Published:
        """A comment by the page on a post, or a nested one under a comment."""
        parts = comment_parts(target)
        body: dict[str, Any] = {
            "actor": self._organization(),
            "object": parts[0] if parts else target,
            "message": {"text": text},
        }
        if parts:
            body["parentComment"] = target
        response = self._api().send(
            "POST", f"{REST}/socialActions/{encoded(target)}/comments", json=body
        )
        answer = json_body(response) or {}
        urn = str(answer.get("commentUrn") or "")
        if not urn:
            comment_id = str(answer.get("id") or response.headers.get("x-restli-id") or "")
            if not comment_id:
                raise TransientError("LinkedIn created the comment without naming it.")
            # The answer names the thread as LinkedIn keeps it (often the activity URN).
            thread = str(answer.get("object") or body["object"])
            urn = f"urn:li:comment:({thread},{comment_id})"
        return Published(external_id=urn, url=_comment_url(body["object"], urn))

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        """Comment on a post, or answer a comment. LinkedIn nests comments one level
        deep, so an answer to a reply goes under the comment that reply belongs to."""
        parts = comment_parts(to_external_id)
        if parts is None:
            return self._comment(to_external_id, text)
        thread, comment_id = parts
        comment = self._api().json(
            "GET", f"{REST}/socialActions/{encoded(thread)}/comments/{comment_id}"
        )
        parent = str(comment.get("parentComment") or "")
        return self._comment(parent if comment_parts(parent) else to_external_id, text)

    def delete(self, external_id: str) -> None:
        """Delete one of the page's posts, or a comment under them (the page's own or,
        on its posts, someone else's). Deleting what is already gone is fine."""
        parts = comment_parts(external_id)
        if parts:
            thread, comment_id = parts
            url = (
                f"{REST}/socialActions/{encoded(thread)}/comments/{comment_id}"
                f"?actor={encoded(self._organization())}"
            )
        else:
            url = f"{REST}/posts/{encoded(external_id)}"
        try:
            self._api().send("DELETE", url)
        except NotFound:
            return

    # The inbox.

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Comments by others on the page's latest posts, and members' posts that mention
        the page, from `cursor` on, oldest first.

        The cursor holds two times in milliseconds (see `cursor_parts`). Comments: the
        creation time of the newest one read before; that one comes again with the same
        cursor, so two comments of the same millisecond are both read, and Roost stores
        each comment once. Mentions: just after the newest notification read before, so a
        mention is read once; it is also named by its post, so a repeat stays one message."""
        since, mentions_since = cursor_parts(cursor)
        organization = self._organization()
        found: list[tuple[int, Inbound]] = []
        for post in self._recent_posts():
            for comment in self._comments(post):
                found.extend(self._new(post, comment, since=since, own=organization))
                if _has_replies(comment):
                    # Replies sit under their comment, whatever its age or author.
                    parent = _comment_urn(post, comment)
                    for reply in self._comments(parent):
                        reply.setdefault("parentComment", parent)
                        found.extend(self._new(post, reply, since=since, own=organization))
        newest = max((created for created, _ in found), default=since)
        mentions, mentions_next = self._mentions(since=mentions_since, own=organization)
        found.extend(mentions)
        found.sort(key=lambda pair: pair[0])
        if not newest and not mentions_next:
            return FetchPage(items=tuple(item for _, item in found), cursor=cursor)
        return FetchPage(
            items=tuple(item for _, item in found),
            cursor=f"{newest}{CURSOR_SEPARATOR}{mentions_next}",
        )

    @classmethod
    def _new(
        cls, post: str, comment: dict[str, Any], *, since: int, own: str
    ) -> list[tuple[int, Inbound]]:
        """The comment as an inbound item, if someone else wrote it from `since` on."""
        created = (comment.get("created") or {}).get("time")
        if not isinstance(created, int) or created < since or comment.get("actor") == own:
            return []
        return [(created, cls._inbound(post, comment))]

    def _recent_posts(self) -> list[str]:
        answer = self._api().json(
            "GET",
            f"{REST}/posts?q=author&author={encoded(self._organization())}"
            f"&count={self.recent_posts}&sortBy=CREATED",
        )
        return [str(post["id"]) for post in answer.get("elements") or [] if post.get("id")]

    def _comments(self, post: str) -> Iterator[dict[str, Any]]:
        start, count = 0, self.comment_page_size
        for _ in range(self.comment_pages_max):
            answer = self._api().json(
                "GET",
                f"{REST}/socialActions/{encoded(post)}/comments?start={start}&count={count}",
            )
            elements = answer.get("elements") or []
            yield from elements
            total = (answer.get("paging") or {}).get("total")
            start += len(elements)
            if len(elements) < count or (isinstance(total, int) and start >= total):
                return

    def _mentions(self, *, since: int, own: str) -> tuple[list[tuple[int, Inbound]], int]:
        """Members' posts that mention the page, notified from `since` on, and the next
        mentions cursor (just after the newest notification read). A page role without
        access to notifications (only a Super admin has it) reads no mentions; the
        comments are read all the same."""
        now = int(time.time() * 1000)
        # Older notifications are gone: LinkedIn keeps them 60 days.
        start = max(since, now - NOTIFICATION_RETENTION_MS)
        try:
            notifications = list(self._mention_notifications(start=start, end=now))
        except AccessDenied as error:
            logger.info(
                "LinkedIn channel %s: no mentions read, the page's notifications were refused: %s",
                self.channel.id,
                error,
            )
            return [], since
        found: list[tuple[int, Inbound]] = []
        seen: set[str] = set()
        newest = 0
        for notification in notifications:
            changed = notification.get("lastModifiedAt")
            if isinstance(changed, int) and not isinstance(changed, bool):
                if changed < since:
                    continue
                newest = max(newest, changed)
            post = mentioning_post(notification)
            if not post or post in seen:
                continue
            seen.add(post)
            found.extend(self._mention(post, notification, own=own))
        return found, newest + 1 if newest else since

    def _mention_notifications(self, *, start: int, end: int) -> Iterator[dict[str, Any]]:
        """The page's SHARE_MENTION notifications between `start` and `end` (Organization
        Social Action Notifications, "Retrieve notifications": `GET
        /rest/organizationalEntityNotifications?q=criteria&actions=List(SHARE_MENTION)
        &organizationalEntity=<page>&timeRange=(start:…,end:…)`, paged with start and
        count; rw_organization_admin, for the page's ADMINISTRATOR). Rest.li 2.0 keeps
        `List(…)` and `(start:…,end:…)` as they are and encodes the URN."""
        offset, count = 0, self.notification_page_size
        for _ in range(self.notification_pages_max):
            answer = self._api().json(
                "GET",
                f"{REST}/organizationalEntityNotifications?q=criteria"
                f"&actions=List({MENTION_ACTION})"
                f"&organizationalEntity={encoded(self._organization())}"
                f"&timeRange=(start:{start},end:{end})&start={offset}&count={count}",
            )
            elements = answer.get("elements") or []
            yield from (element for element in elements if isinstance(element, dict))
            total = (answer.get("paging") or {}).get("total")
            offset += len(elements)
            if len(elements) < count or (isinstance(total, int) and offset >= total):
                return

    def _mention(
        self, post: str, notification: dict[str, Any], *, own: str
    ) -> list[tuple[int, Inbound]]:
        """The mentioning post as a MENTION item (Posts API, "Retrieve Posts": `GET
        /rest/posts/{encoded URN}`). A post that cannot be read (deleted, hidden from the
        page, 403 or 404) is left out: the other mentions are read all the same."""
        try:
            body = self._api().json("GET", f"{REST}/posts/{encoded(post)}")
        except (PermanentError, AccessDenied) as error:
            logger.info(
                "LinkedIn channel %s: the post %s that mentions the page cannot be read: %s",
                self.channel.id,
                post,
                error,
            )
            return []
        author = str(body.get("author") or "")
        if not author or author == own or body.get("lifecycleState") == "DELETED":
            return []
        created = next(
            (
                value
                for value in (
                    body.get("createdAt"),
                    body.get("publishedAt"),
                    notification.get("lastModifiedAt"),
                )
                if isinstance(value, int) and not isinstance(value, bool)
            ),
            0,
        )
        return [
            (
                created,
                Inbound(
                    external_id=post,
                    kind=InboundKind.MENTION,
                    # By URN, as for comments: member names need a permission pages lack.
                    author_handle=author,
                    text=plain_text(str(body.get("commentary") or "")),
                    created_at=_millis(created or None),
                    url=POST_URL.format(urn=post),
                ),
            )
        ]

    @staticmethod
    def _inbound(post: str, comment: dict[str, Any]) -> Inbound:
        urn = _comment_urn(post, comment)
        parent = str(comment.get("parentComment") or "") or post
        return Inbound(
            external_id=urn,
            kind=InboundKind.REPLY if comment.get("parentComment") else InboundKind.COMMENT,
            # LinkedIn names the author by URN; member names need a permission pages lack.
            author_handle=str(comment.get("actor") or ""),
            text=str((comment.get("message") or {}).get("text") or ""),
            created_at=_millis((comment.get("created") or {}).get("time")),
            parent_external_id=parent,
            url=_comment_url(post, urn),
        )

    # Figures.

    def _figures(self, url: str) -> Any:
        """A figures call; a 403 here means a page role without analytics (a content
        admin), not a lost credential, so the channel is not marked revoked for it."""
        try:
            return self._api().json("GET", url)
        except AccessDenied as error:
            raise PermanentError(
                "LinkedIn gives a page's figures only to its Super admins; connect the page "
                "as one to collect them.",
                network_message=str(error),
            ) from error

    def metrics(self, external_id: str) -> PostMetrics:
        kind = "ugcPosts" if external_id.startswith("urn:li:ugcPost:") else "shares"
        answer = self._figures(
            f"{REST}/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={encoded(self._organization())}"
            f"&{kind}=List({encoded(external_id)})",
        )
        elements = answer.get("elements") or []
        if not elements:
            raise PermanentError(
                f"LinkedIn has no figures for {external_id} (older than 12 months, or not "
                "the page's own post)."
            )
        totals = elements[0].get("totalShareStatistics") or {}
        return PostMetrics(
            likes=_count(totals.get("likeCount")) or 0,
            reposts=_count(totals.get("shareCount")) or 0,
            replies=_count(totals.get("commentCount")) or 0,
            impressions=_count(totals.get("impressionCount")),
            reach=_count(totals.get("uniqueImpressionsCount")),
            link_clicks=_count(totals.get("clickCount")),
        )

    def channel_stats(self) -> ChannelStats:
        answer = self._figures(
            f"{REST}/networkSizes/{encoded(self._organization())}"
            "?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
        )
        return ChannelStats(followers=_count(answer.get("firstDegreeSize")))


def _title(request: PublishRequest) -> str:
    """An article's title (required): the text's first line, as LinkedIn shows it."""
    first = next((line.strip() for line in request.text.splitlines() if line.strip()), "")
    return first[:200] or str(request.link)


def _comment_urn(post: str, comment: dict[str, Any]) -> str:
    """The comment's URN as LinkedIn gives it, else made of its thread and id."""
    urn = str(comment.get("commentUrn") or "")
    return urn or f"urn:li:comment:({comment.get('object') or post},{comment.get('id')})"


def cursor_parts(cursor: str | None) -> tuple[int, int]:
    """(comments from, mentions from), in milliseconds, of an inbox cursor. A cursor
    written before mentions were read holds the comments' time alone: mentions then
    start at that same time, so the page's older mentions do not all arrive at once."""
    if not cursor:
        return 0, 0
    comments, separator, mentions = cursor.partition(CURSOR_SEPARATOR)
    since = int(comments) if comments.isdigit() else 0
    if not separator:
        return since, since
    return since, int(mentions) if mentions.isdigit() else 0


def mentioning_post(notification: dict[str, Any]) -> str:
    """The post that mentions the page: a SHARE_MENTION notification's `sourcePost`, or
    its `generatedActivity` where `sourcePost` is missing (clients of the API read the
    mentioning post from either; both are URNs of posts)."""
    if notification.get("action") not in (None, MENTION_ACTION):
        return ""
    for field in ("sourcePost", "generatedActivity"):
        post = str(notification.get(field) or "")
        if post.startswith(("urn:li:share:", "urn:li:ugcPost:")):
            return post
    return ""


def _has_replies(comment: dict[str, Any]) -> bool:
    summary = comment.get("commentsSummary") or {}
    counts = (summary.get("totalFirstLevelComments"), summary.get("aggregatedTotalComments"))
    return any(isinstance(count, int) and count > 0 for count in counts)


def _comment_url(post: str, comment: str) -> str:
    return POST_URL.format(urn=post) + f"?commentUrn={encoded(comment)}"
