"""The connector for Mastodon, and any server that speaks the Mastodon client API.

One account on one instance. The secret is the account's OAuth access token
(see `roost.channels.oauth` for how it is obtained), or the JSON that
`TokenSet.to_secret` writes. Per-channel options live in `ChannelRef.settings`:

- `instance`: the instance's address; without it, the domain of a handle
  written `@user@instance` is used.
- `visibility`: `public` (default), `unlisted`, `private` or `direct`.
- `language`: an ISO 639-1 code given to every post.
- `spoiler_text`: a content warning given to every post.
- `max_characters`: the instance's post length (500 unless it says otherwise).
- `characters_reserved_per_url`: what a link counts (23 unless it says otherwise).

Every failure leaves as one of the typed errors of `connectors.base`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonIOError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonVersionError,
)

from roost.catalogue.text_length import DEFAULT_URL_LENGTH, CountMethod, TextLimits, overruns
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
from roost.channels.destinations import guarded_session, plain_http_allowed
from roost.core.web_links import web_link

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_RETRY_AFTER = 300.0
USER_AGENT = "Roost"
# The oldest Mastodon whose API this connector uses as it is (/api/v2/media came in
# 3.1.3). Told to Mastodon.py so that it does not read /api/v1/instance before each
# upload to choose a media API: in Mastodon.py 2.3.3 a failure of that read recurses
# up to Python's recursion limit, sending two requests at each level.
ASSUMED_MASTODON_VERSION = "4.0.0"

# Another account's recent statuses: read back this far, at most this many pages.
PROFILE_RECENT = dt.timedelta(hours=24)
MAX_STATUS_PAGES = 5

# From the most public to the most private: a reply never goes wider than its parent.
VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "private", "direct")


def text_limits(settings: Mapping[str, Any], *, default: TextLimits | None = None) -> TextLimits:
    """The length limits of the channel's instance: its `max_characters` and
    `characters_reserved_per_url` where the channel's settings hold them, else `default`'s
    values, else Mastodon's own defaults (500 and 23)."""
    limit = default.limit if default else DEFAULT_MAX_CHARACTERS
    url_length = default.url_length if default else DEFAULT_URL_LENGTH
    return TextLimits(
        method=CountMethod.GRAPHEMES_LINKS,
        limit=int(settings.get("max_characters") or limit),
        url_length=int(settings.get("characters_reserved_per_url") or url_length),
    )


def content_warning(settings: Mapping[str, Any]) -> str:
    """The content warning the channel gives every post; it counts towards the length."""
    return str(settings.get("spoiler_text") or "").strip()


def length_refusal(text: str, settings: Mapping[str, Any]) -> str:
    """Why the channel's instance would refuse the text as too long, or "" when it fits.

    Counts as Mastodon's StatusLengthValidator does (see `CountMethod.GRAPHEMES_LINKS`),
    with the channel's content warning and the instance's limits from its settings.
    """
    limits = text_limits(settings)
    for overrun in overruns(text, limits, content_warning=content_warning(settings)):
        return (
            f"The post is {overrun.used} characters with its content warning and each "
            f"link counted as {limits.url_length}; this instance allows {overrun.limit}."
        )
    return ""


def instance_base_url(value: str) -> str:
    """The API base URL (`https://host[:port]`) of an instance named in any usual way.

    Accepts `mastodon.example`, `https://mastodon.example/` or a handle
    `@user@mastodon.example`. Plain http is refused except for a private host named
    in `ROOST_ALLOW_PRIVATE_NETWORK_HOSTS`, since the access token travels in every
    request. Raises `ValueError`.
    """
    text = value.strip()
    if "://" not in text and "@" in text:
        text = text.rsplit("@", 1)[1]
    if not text:
        raise ValueError("No Mastodon instance given.")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an instance address such as mastodon.example.")
    if parts.path not in ("", "/"):
        raise ValueError(f"{value!r} has a path; give only the instance's address.")
    if parts.scheme == "http" and not plain_http_allowed(host):
        raise ValueError(f"{value!r} uses plain http; Mastodon instances are reached over https.")
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} is not an https address.")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return f"{parts.scheme}://{netloc}"


def access_token_from_secret(secret: str) -> str:
    """The access token in a stored secret: the bare token, or JSON with `access_token`."""
    text = secret.strip()
    if text.startswith("{"):
        try:
            token = json.loads(text).get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise CredentialRevoked("The stored Mastodon credential holds no access token.")
        return token
    return text


class _PlainText(HTMLParser):
    """Status HTML as the text a reader sees: paragraphs and line breaks kept, tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _PlainText()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts).strip()


def _id_key(value: str) -> tuple[int, str]:
    """Order ids newest last: Mastodon's are numbers in strings, other servers' sortable text."""
    return (len(value), value)


def _aware(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime.now(tz=dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)  # Mastodon.py gives the machine's local zone


def _error_parts(error: MastodonAPIError) -> tuple[int | None, str]:
    """(HTTP status, the body's `error` text) of an API error; (None, "") when it has none.

    Mastodon.py raises HTTP errors as `(message, status, reason, error)`.
    """
    args = error.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    message = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
    return status, message


class MastodonConnector(Connector):
    """A Mastodon account. Declares what the client API offers; DMs are `direct` statuses."""

    name = "mastodon"
    # No `Capability.HIDE`: the client API lets an account mute or block an author (for
    # its own view) or report a status to its server's moderators, but not hide someone's
    # reply to its post from everyone else.
    capabilities = frozenset(
        {
            Capability.PUBLIC_PROFILES,
            Capability.PUBLISH_TEXT,
            Capability.PUBLISH_IMAGE,
            Capability.PUBLISH_VIDEO,
            Capability.PUBLISH_LINK,
            Capability.REPLY,
            Capability.DELETE,
            Capability.DIRECT_MESSAGES,
            Capability.FETCH_COMMENTS,
            Capability.FETCH_MENTIONS,
            Capability.FETCH_MESSAGES,
            Capability.METRICS,
            Capability.CHANNEL_STATS,
            Capability.IDEMPOTENT_PUBLISH,
        }
    )
    request_timeout: ClassVar[float] = 30.0
    page_size: ClassVar[int] = 40
    # Videos are processed after the upload; wait this long for them before posting.
    media_wait_seconds: ClassVar[float] = 120.0
    media_poll_seconds: ClassVar[float] = 1.0

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        super().__init__(channel=channel, secret=secret)
        self._client: Mastodon | None = None
        self._own_id: str | None = channel.external_id or None

    # Plumbing.

    def _base_url(self) -> str:
        where = str(self.channel.settings.get("instance") or "")
        if not where and "@" in self.channel.handle.strip().lstrip("@"):
            where = self.channel.handle
        try:
            return instance_base_url(where)
        except ValueError as error:
            raise PermanentError(
                f"Channel {self.channel.id} names no usable Mastodon instance: {error}"
            ) from None

    def _api(self) -> Mastodon:
        if self._client is None:
            if not self._secret:
                raise CredentialRevoked("The Mastodon channel has no access token.")
            self._client = Mastodon(
                access_token=access_token_from_secret(self._secret),
                api_base_url=self._base_url(),
                request_timeout=self.request_timeout,
                ratelimit_method="throw",
                mastodon_version=ASSUMED_MASTODON_VERSION,
                version_check_mode="created",
                user_agent=USER_AGENT,
                session=guarded_session(),
            )
        return self._client

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[Mastodon]:
        """The client, with every Mastodon.py error turned into a connector error."""
        api = self._api()
        try:
            yield api
        except MastodonError as error:
            raise self._translate(error, api=api, what=what) from error

    @staticmethod
    def _translate(error: MastodonError, *, api: Mastodon, what: str) -> ConnectorError:
        if isinstance(error, MastodonRatelimitError):
            # Mastodon.py has read X-RateLimit-Reset (and Date) of the refused request.
            reset = api.ratelimit_reset
            wait = reset - time.time() if reset else DEFAULT_RETRY_AFTER
            wait = max(1.0, float(wait))
            return RateLimited(
                f"Mastodon is rate limiting this account; retry {what} after {wait:.0f} s.",
                retry_after=wait,
            )
        if isinstance(error, MastodonNetworkError):
            return TransientError(f"Mastodon could not be reached to {what}: {error}")
        if isinstance(error, MastodonIllegalArgumentError | MastodonIOError | MastodonVersionError):
            return PermanentError(f"Mastodon cannot {what}: {error}")
        if not isinstance(error, MastodonAPIError):
            return TransientError(f"Mastodon failed to {what}: {error}")
        status, message = _error_parts(error)
        if status is None:
            # An answer that was not the JSON the API promises (a proxy's page, a cut body).
            return TransientError(f"Mastodon gave an unreadable answer to {what}.")
        said = f": {message}" if message else ""
        if isinstance(error, MastodonServerError) or status in (408, 425):
            return TransientError(f"Mastodon answered {status} to {what}{said}")
        lowered = message.lower()
        if status == 401:
            if "expired" in lowered:
                return CredentialExpired(f"The Mastodon access token expired{said}")
            return CredentialRevoked(f"Mastodon refused the access token{said}")
        if status == 403 and (
            "scope" in lowered or "disabled" in lowered or "suspended" in lowered
        ):
            return CredentialRevoked(f"Mastodon refused the account{said}")
        return PermanentError(
            f"Mastodon refused to {what} ({status}){said}",
            network_message=message or f"HTTP {status}",
        )

    def _domain(self) -> str:
        """The instance's domain as handles show it, for local accounts' bare `acct`."""
        handle = self.channel.handle.strip().lstrip("@")
        if "@" in handle:
            return handle.rsplit("@", 1)[1].lower()
        return urlsplit(self._base_url()).hostname or ""

    def _handle(self, acct: str) -> str:
        return f"@{acct}" if "@" in acct else f"@{acct}@{self._domain()}"

    def _own_account_id(self, api: Mastodon) -> str:
        if self._own_id is None:
            self._own_id = str(api.account_verify_credentials().id)
        return self._own_id

    # Checks made before anything is sent.

    def _setting(self, key: str) -> str:
        value = self.channel.settings.get(key)
        return str(value).strip() if value else ""

    def _visibility(self, parent: Any | None) -> str:
        wanted = self._setting("visibility").lower() or "public"
        if wanted not in VISIBILITIES:
            raise PermanentError(
                f"Channel {self.channel.id} has visibility {wanted!r}; "
                f"Mastodon knows {', '.join(VISIBILITIES)}."
            )
        parent_visibility = str(getattr(parent, "visibility", "") or "public")
        if parent_visibility in VISIBILITIES:
            return max(wanted, parent_visibility, key=VISIBILITIES.index)
        return wanted

    def _check_length(self, text: str, spoiler_text: str) -> None:
        message = length_refusal(text, {**self.channel.settings, "spoiler_text": spoiler_text})
        if message:
            raise PermanentError(message, network_message=message)

    @staticmethod
    def _check_media(media: Sequence[MediaItem]) -> None:
        videos = [item for item in media if not item.mime_type.startswith("image/")]
        if len(media) > DEFAULT_MAX_MEDIA:
            raise PermanentError(f"Mastodon takes at most {DEFAULT_MAX_MEDIA} attachments.")
        if videos and len(media) > 1:
            raise PermanentError("Mastodon takes a video or audio file only on its own.")

    def _with_mentions(self, text: str, parent: Any, visibility: str) -> str:
        """Mention the parent's author (and, in a private conversation, everyone in it).

        Mastodon delivers a `direct` status only to the accounts it mentions, so a
        reply to a direct message that left someone out would not reach them.
        """
        own_id = self._own_id
        accounts = [parent.account]
        if visibility == "direct":
            accounts.extend(parent.mentions or [])
        missing: list[str] = []
        for account in accounts:
            acct = str(account.acct)
            mention = f"@{acct}"
            if str(account.id) == own_id or mention in missing:
                continue
            if not re.search(rf"(?<![\w@]){re.escape(mention)}(?![\w@.-])", text, re.IGNORECASE):
                missing.append(mention)
        return " ".join([*missing, text]) if missing else text

    # Media.

    def _upload(self, api: Mastodon, item: MediaItem) -> str:
        attachment = api.media_post(
            item.data,
            mime_type=item.mime_type,
            description=item.alt_text or None,
        )
        # POST /api/v2/media answers 202 with `url: null` while the file is processed.
        deadline = time.monotonic() + self.media_wait_seconds
        pause = self.media_poll_seconds
        while attachment.get("url") is None:
            if time.monotonic() >= deadline:
                raise TransientError(
                    f"Mastodon was still processing attachment {attachment.id} "
                    f"after {self.media_wait_seconds:.0f} s."
                )
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            attachment = api.media(attachment.id)
        return str(attachment.id)

    # The connector interface.

    def verify(self) -> Account:
        with self._calling("check the access token") as api:
            me = api.account_verify_credentials()
        self._own_id = str(me.id)
        return Account(
            external_id=str(me.id),
            handle=self._handle(str(me.acct)),
            display_name=str(me.get("display_name") or ""),
        )

    def publish(self, request: PublishRequest) -> Published:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}" if text.strip() else request.link
        return self._post(
            text=text,
            media=request.media,
            reply_to=request.reply_to,
            idempotency_key=request.idempotency_key,
        )

    def lookup(self, idempotency_key: str) -> Published | None:
        # Mastodon offers no search by Idempotency-Key, so an attempt with an
        # unknown outcome cannot be looked up. Publishing again with the same key
        # is what reconciles it: the instance keeps each key for an hour and
        # answers a repeat with the status it already created.
        return None

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        return self._post(
            text=text, media=(), reply_to=to_external_id, idempotency_key=idempotency_key
        )

    def _post(
        self,
        *,
        text: str,
        media: Sequence[MediaItem],
        reply_to: str | None,
        idempotency_key: str,
    ) -> Published:
        spoiler_text = content_warning(self.channel.settings)
        language = self._setting("language")
        self._check_media(media)
        self._check_length(text, spoiler_text)
        self._visibility(None)  # refuses an unknown setting before anything is sent
        with self._calling("publish") as api:
            parent = api.status(reply_to) if reply_to else None
            visibility = self._visibility(parent)
            if parent is not None:
                self._own_account_id(api)
                text = self._with_mentions(text, parent, visibility)
                self._check_length(text, spoiler_text)
            media_ids = [self._upload(api, item) for item in media]
            status = api.status_post(
                text,
                in_reply_to_id=reply_to or None,
                media_ids=media_ids or None,
                visibility=visibility,
                spoiler_text=spoiler_text or None,
                language=language or None,
                idempotency_key=idempotency_key or None,
            )
        return Published(
            external_id=str(status.id), url=web_link(str(status.get("url") or status.uri))
        )

    def delete(self, external_id: str) -> None:
        with self._calling("delete a status") as api:
            api.status_delete(external_id)

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Mentions (replies and direct messages among them) after `cursor`, oldest first.

        The cursor is a notification id. `min_id` pages forward from it, so when
        more than a page arrived the next call continues where this one stopped;
        `since_id` would return the newest page and skip the ones in between.
        The returned cursor is the newest notification's id, or the given cursor
        when nothing new arrived.
        """
        with self._calling("fetch mentions") as api:
            own_id = self._own_account_id(api)
            notifications = api.notifications(
                types=["mention"], min_id=cursor or None, limit=self.page_size
            )
        ordered = sorted(notifications, key=lambda item: _id_key(str(item.id)))
        items = [
            self._inbound(notification.status, own_id=own_id)
            for notification in ordered
            if notification.get("status") is not None
        ]
        next_cursor = str(ordered[-1].id) if ordered else cursor
        return FetchPage(items=tuple(items), cursor=next_cursor)

    def _inbound(self, status: Any, *, own_id: str) -> Inbound:
        if status.visibility == "direct":
            kind = InboundKind.DIRECT_MESSAGE
        elif status.get("in_reply_to_account_id") is not None and (
            str(status.in_reply_to_account_id) == own_id
        ):
            kind = InboundKind.REPLY
        else:
            kind = InboundKind.MENTION
        text = plain_text(status.content)
        if status.get("spoiler_text"):
            text = f"CW: {status.spoiler_text}\n\n{text}"
        parent = status.get("in_reply_to_id")
        author = status.account
        return Inbound(
            external_id=str(status.id),
            kind=kind,
            author_handle=self._handle(str(author.acct)),
            text=text,
            created_at=_aware(status.created_at),
            parent_external_id=str(parent) if parent is not None else "",
            url=web_link(str(status.get("url") or status.get("uri") or "")),
            language=str(status.get("language") or ""),
            author_name=str(author.get("display_name") or ""),
            # Mastodon has no verified accounts (its verified links are something else).
            author_followers=max(int(author.get("followers_count") or 0), 0),
        )

    def metrics(self, external_id: str) -> PostMetrics:
        with self._calling("read a status's counts") as api:
            status = api.status(external_id)
        return PostMetrics(
            likes=int(status.get("favourites_count") or 0),
            reposts=int(status.get("reblogs_count") or 0),
            replies=int(status.get("replies_count") or 0),
            quotes=int(status.get("quotes_count") or 0),
        )

    # Public profiles: another account's figures, for competitor tracking.

    def profile_stats(self, handle: str) -> ProfileStats:
        """Followers and statuses from accounts/lookup, and the account's own public
        statuses of the last `PROFILE_RECENT` (no replies, no boosts) with their
        favourites, boosts, replies and quotes."""
        acct = handle.strip().lstrip("@")
        if not acct or any(char.isspace() for char in acct) or acct.count("@") > 1:
            raise PermanentError(f"{handle!r} is not a Mastodon handle such as @user@instance.")
        since = dt.datetime.now(dt.UTC) - PROFILE_RECENT
        posts, engagements = 0, 0
        with self._calling("read a public profile") as api:
            account = api.account_lookup(acct)
            max_id: str | None = None
            for _ in range(MAX_STATUS_PAGES):
                page = api.account_statuses(
                    account.id,
                    exclude_replies=True,
                    exclude_reblogs=True,
                    max_id=max_id,
                    limit=self.page_size,
                )
                older = False
                for status in page:
                    if _aware(status.created_at) < since:
                        older = True
                        continue
                    if status.get("visibility") not in ("public", "unlisted"):
                        continue
                    posts += 1
                    engagements += sum(
                        int(status.get(name) or 0)
                        for name in (
                            "favourites_count",
                            "reblogs_count",
                            "replies_count",
                            "quotes_count",
                        )
                    )
                if older or not page:
                    break
                max_id = str(page[-1].id)
        return ProfileStats(
            handle=self._handle(str(account.acct)),
            display_name=str(account.get("display_name") or ""),
            followers=max(int(account.get("followers_count") or 0), 0),
            posts=max(int(account.get("statuses_count") or 0), 0),
            recent_posts=posts,
            recent_engagements=engagements,
        )

    def channel_stats(self) -> ChannelStats:
        """The account's followers (the client API shows no profile views)."""
        with self._calling("read the account's followers") as api:
            me = api.account_verify_credentials()
        self._own_id = str(me.id)
        return ChannelStats(followers=max(int(me.get("followers_count") or 0), 0))
