"""The one interface every network connector implements.

A connector knows one network's API and nothing of Roost's database: it gets
a `ChannelRef` and the decrypted secret, and answers with plain dataclasses or
raises one of the typed errors below. Connectors are found through the
`roost.connectors` entry-point group (see docs/adding-a-network.md).
"""

from __future__ import annotations

import datetime as dt
import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models


class Capability(enum.StrEnum):
    PUBLISH_TEXT = "publish_text"
    PUBLISH_IMAGE = "publish_image"
    PUBLISH_VIDEO = "publish_video"
    PUBLISH_LINK = "publish_link"
    REPLY = "reply"
    DELETE = "delete"
    DIRECT_MESSAGES = "direct_messages"
    FETCH_COMMENTS = "fetch_comments"
    FETCH_MENTIONS = "fetch_mentions"
    FETCH_MESSAGES = "fetch_messages"
    METRICS = "metrics"
    # A repeat of a publish under the same idempotency key yields the post already made.
    IDEMPOTENT_PUBLISH = "idempotent_publish"
    # `lookup` can find a post by the idempotency key it was published under.
    LOOKUP = "lookup"
    # `hide`/`unhide`: the account can hide someone else's comment or reply under its own
    # posts, so that the network shows it to nobody, and show it again. Networks that
    # only let the account mute or block the author (Mastodon) do not declare it.
    HIDE = "hide"
    # `channel_stats`: the account's own followers (and profile views where offered).
    CHANNEL_STATS = "channel_stats"
    # `profile_stats`: another account's public figures (for competitor tracking).
    PUBLIC_PROFILES = "public_profiles"
    # `publish` posts `PublishRequest.first_comment` as the account's own first comment
    # under the new post (an empty one is skipped).
    FIRST_COMMENT = "first_comment"


# Typed errors, shared by all connectors.


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    retryable: ClassVar[bool] = False


class CredentialExpired(ConnectorError):
    """The token or password expired; the owner must reconnect the channel."""


class CredentialRevoked(ConnectorError):
    """The network refused the credential (revoked, wrong password, app removed)."""


class RateLimited(ConnectorError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """A 5xx, a timeout, a dropped connection: the same call may succeed later.

    Raised by a call that creates something (publish, reply), it leaves the outcome
    unknown: the network may have acted before the answer was lost. The caller looks
    the post up before sending again, and never resends blindly.
    """

    retryable = True


class NotAccepted(TransientError):
    """A transient failure that proves the network did not act on the request (the
    connection was refused, or a 503 came back before the request was read): sending
    again cannot double the post."""


def safe_to_resend(connector: Connector, error: ConnectorError) -> bool:
    """Whether a create that failed with `error` may simply be sent again: the network
    did not take it (`NotAccepted`), or it recognises a repeat of the same key."""
    return isinstance(error, NotAccepted) or connector.supports(Capability.IDEMPOTENT_PUBLISH)


class PermanentError(ConnectorError):
    """The network rejected the request itself (validation); `network_message` says why."""

    def __init__(self, message: str, *, network_message: str = "") -> None:
        super().__init__(message)
        self.network_message = network_message or message


@dataclass(frozen=True)
class ChannelRef:
    """What a connector knows of a channel."""

    id: int
    network: str
    placement: str
    handle: str
    # Whose channel it is: a simulated network keeps each organisation's accounts apart.
    organization_id: int
    external_id: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    external_id: str
    handle: str
    display_name: str = ""


@dataclass(frozen=True)
class MediaItem:
    data: bytes
    mime_type: str
    alt_text: str = ""
    # A signed address Roost serves the same bytes at for a day, for networks that fetch
    # media themselves (Instagram, Threads); empty when Roost has no public address
    # (`ROOST_BASE_URL` is not https), and such a network then refuses the post.
    url: str = ""


@dataclass(frozen=True)
class PublishRequest:
    text: str
    idempotency_key: str
    media: tuple[MediaItem, ...] = ()
    link: str | None = None
    reply_to: str | None = None
    # The account's own first comment under the post (`Capability.FIRST_COMMENT`).
    first_comment: str | None = None


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str
    # What went wrong after the post stood (its first comment refused, say): the post is
    # published and must not be sent again, but the team should know. "" when nothing.
    warning: str = ""


WARNING_LIMIT = 500


def first_comment_refused(network: str, error: ConnectorError) -> str:
    """The warning of a post published without its first comment."""
    reason = getattr(error, "network_message", "") or str(error) or type(error).__name__
    return f"Published, but {network} refused the first comment: {reason}"[:WARNING_LIMIT]


class InboundKind(models.TextChoices):
    """What an inbound item is; the sandbox network stores it with these labels."""

    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    DIRECT_MESSAGE = "direct_message", "Direct message"


@dataclass(frozen=True)
class Inbound:
    external_id: str
    kind: InboundKind
    author_handle: str
    text: str
    created_at: dt.datetime
    parent_external_id: str = ""
    url: str = ""
    language: str = ""
    # The author as the network describes them, where it does (0 and False otherwise).
    author_name: str = ""
    author_followers: int = 0
    author_verified: bool = False


@dataclass(frozen=True)
class FetchPage:
    items: tuple[Inbound, ...]
    cursor: str | None


@dataclass(frozen=True)
class PostMetrics:
    """A post's totals so far. None: the network does not give that figure."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int | None = None
    reach: int | None = None
    saves: int | None = None
    link_clicks: int | None = None
    video_views: int | None = None


@dataclass(frozen=True)
class ChannelStats:
    """The account's own figures now. None: the network does not give that figure."""

    followers: int | None = None
    # Views of the profile since the account was created (a running total).
    profile_views: int | None = None


@dataclass(frozen=True)
class ProfileStats:
    """Another account's public figures, and its recent public posts' engagement."""

    handle: str
    display_name: str = ""
    followers: int | None = None
    posts: int | None = None
    # Over the public posts published in the last 24 hours that the network shows.
    recent_posts: int = 0
    recent_engagements: int = 0


# Connecting accounts through OAuth 2 (see roost.channels.network_connect).


@dataclass(frozen=True)
class OAuthSpec:
    """How a network's OAuth 2 authorization code flow differs from the plain RFC 6749 one."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    # Whether the network takes an S256 code challenge (RFC 7636).
    pkce: bool = True
    # How the client authenticates at the token endpoint: form fields or HTTP Basic.
    client_auth: str = "post"
    # The query and form parameter that carries the client id (TikTok calls it client_key).
    client_id_param: str = "client_id"
    # What joins the scopes in the authorize URL (Meta and TikTok use commas).
    scope_separator: str = " "
    # Further query parameters of the authorize URL, as the network documents them.
    authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AppCredentials:
    """The organisation's own developer app on a network (kept sealed; never logged)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = ""


@dataclass(frozen=True)
class ConnectableAccount:
    """An account a sign-in may publish as: the person, or a Page or organisation they
    manage. Each becomes a channel per placement chosen."""

    external_id: str
    handle: str
    display_name: str = ""
    # The catalogue placements this account may publish to; empty: all of the network's.
    placements: tuple[str, ...] = ()
    # The channel's own token where the network gives one per account (a Facebook Page's);
    # None: the sign-in's tokens.
    access_token: str | None = field(default=None, repr=False)
    # Seconds `access_token` lasts; None: it does not expire (or the network does not say).
    expires_in: int | None = None
    # Connector settings for the channel (never secrets).
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushTarget:
    """Where the organisation's app receives what networks push: the app's public
    webhook address, and the id the network gave the webhook or the app for
    subscriptions (LinkedIn's developer application id, X's webhook id; "" if none)."""

    address: str
    network_id: str = ""


@dataclass(frozen=True)
class RefreshedTokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: int | None = None


class Connector(ABC):
    """One network. Subclasses declare `name` and `capabilities` and implement
    the calls their capabilities promise; the rest raise `PermanentError`."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    # The network's OAuth flow, for connectors whose accounts connect through one.
    oauth: ClassVar[OAuthSpec | None] = None

    def __init__(self, *, channel: ChannelRef, secret: str | None) -> None:
        self.channel = channel
        self._secret = secret

    def __repr__(self) -> str:  # never show the secret
        return f"<{type(self).__name__} channel={self.channel.id}>"

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities_for(self.channel.network)

    @classmethod
    def capabilities_for(cls, network: str) -> frozenset[Capability]:
        """What the connector can do on this network (one network each, but the sandbox's)."""
        return cls.capabilities

    @classmethod
    def oauth_accounts(
        cls, *, access_token: str, app: AppCredentials
    ) -> tuple[ConnectableAccount, ...]:
        """After the OAuth flow: the accounts the signed-in person lets Roost publish as.

        Exchanges a short-lived token for a long-lived one first where the network
        asks for that (return it as each account's `access_token`)."""
        raise PermanentError(f"{cls.name} does not connect through OAuth")

    @classmethod
    def oauth_refresh(
        cls, *, access_token: str, refresh_token: str | None, app: AppCredentials
    ) -> RefreshedTokens | None:
        """Renew the tokens where the network's renewal is not the standard refresh grant
        (RFC 6749 section 6); None: use the standard grant at `oauth.token_url`."""
        return None

    @abstractmethod
    def verify(self) -> Account:
        """The cheapest authenticated call: proves the credential works."""

    @abstractmethod
    def publish(self, request: PublishRequest) -> Published:
        """Publish once. With IDEMPOTENT_PUBLISH, repeating the same key yields the same post."""

    def lookup(self, idempotency_key: str) -> Published | None:
        """The post published under this key, if the network can tell; else None.

        Connectors that declare `Capability.LOOKUP` implement it; for the others None
        says nothing about whether the post exists."""
        return None

    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        raise PermanentError(f"{self.name} cannot reply")

    def delete(self, external_id: str) -> None:
        raise PermanentError(f"{self.name} cannot delete")

    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Comments, replies, mentions and messages that arrived after `cursor`."""
        raise PermanentError(f"{self.name} cannot fetch")

    def metrics(self, external_id: str) -> PostMetrics:
        raise PermanentError(f"{self.name} has no metrics")

    def channel_stats(self) -> ChannelStats:
        """The channel's own followers and profile views (`Capability.CHANNEL_STATS`)."""
        raise PermanentError(f"{self.name} has no channel figures")

    def profile_stats(self, handle: str) -> ProfileStats:
        """Another account's public figures (`Capability.PUBLIC_PROFILES`)."""
        raise PermanentError(f"{self.name} cannot read public profiles")

    def push_subscribe(self, target: PushTarget) -> bool:
        """Ask the network to push this account's new comments and messages to the app's
        webhook, where the network asks that per account (a Facebook Page's
        `subscribed_apps`, a LinkedIn page's event subscription, X's activity
        subscriptions); False where there is nothing to ask."""
        return False

    def push_unsubscribe(self, target: PushTarget) -> bool:
        """Undo `push_subscribe`: ask the network to stop pushing this account's events to
        the app's webhook. A subscription already gone counts as removed (safe to call
        twice). False where there is nothing to ask (the network takes no subscription,
        or Roost lacks what it needs to name it)."""
        return False

    @classmethod
    def push_scope(cls, channel: ChannelRef) -> str:
        """What the network's push subscription belongs to. Channels of one organisation
        with the same scope, through the same app, share one subscription (the three
        placements of a Facebook Page, an Instagram account linked to that Page), so it
        is removed only once none of them is left."""
        return f"{channel.network}:{channel.external_id}"

    def hide(self, external_id: str) -> None:
        """Hide someone's comment or reply (`Capability.HIDE`); hiding it twice is fine."""
        raise PermanentError(f"{self.name} cannot hide a comment")

    def unhide(self, external_id: str) -> None:
        """Show a comment hidden by `hide` again; showing a shown one is fine."""
        raise PermanentError(f"{self.name} cannot hide a comment")
