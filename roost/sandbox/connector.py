"""The connector for the sandbox network.

It behaves like a connector to a real network: every call is authenticated with
the channel's secret, may be slowed down or fail as the account's knobs say, and
writes the network's state in the network's own transaction. So, like any
connector, it must be called outside Roost's transactions (see
`roost.sandbox.services`).
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connections
from django.utils import timezone

from roost.channels.connectors.base import (
    Account,
    Capability,
    ChannelStats,
    Connector,
    CredentialExpired,
    CredentialRevoked,
    FetchPage,
    Inbound,
    InboundKind,
    NotAccepted,
    PermanentError,
    PostMetrics,
    ProfileStats,
    Published,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.sandbox.figures import channel_figures, post_figures
from roost.sandbox.links import sandbox_inbound_link, sandbox_post_link
from roost.sandbox.models import FailMode, SandboxAccount, SandboxInbound, SandboxPost
from roost.sandbox.plays import played_capabilities
from roost.sandbox.profiles import author_profile
from roost.sandbox.public_profiles import public_profile, valid_public_handle
from roost.sandbox.routing import SANDBOX_DB
from roost.sandbox.selectors import sandbox_inbound_after, sandbox_post_by_key, sandbox_post_get
from roost.sandbox.services import (
    SandboxCall,
    sandbox_call_begin,
    sandbox_inbound_hide,
    sandbox_post_create,
    sandbox_post_delete,
)

Method = TypeVar("Method", bound=Callable[..., Any])


def _give_back_connection() -> None:
    """With a pooled sandbox database, hand this thread's connection back to the pool:
    a call holds one while it reads or writes, not while it keeps the caller waiting,
    so a worker's many sender threads share a few."""
    handle = connections[SANDBOX_DB]
    if handle.settings_dict.get("OPTIONS", {}).get("pool") and not handle.in_atomic_block:
        handle.close()


def _network_call(method: Method) -> Method:
    """A call to the simulated network: its reads and writes first, then, with the
    connection handed back, the account's latency before the answer arrives (as over
    a real network, where the work is done while the reply travels back)."""

    @functools.wraps(method)
    def call(self: SandboxConnector, *args: Any, **kwargs: Any) -> Any:
        self._latency_s, self._lose_answer = 0.0, False
        try:
            answer = method(self, *args, **kwargs)
        finally:
            _give_back_connection()
            if self._latency_s:
                time.sleep(self._latency_s)
        if self._lose_answer:
            raise TransientError("The sandbox did the call, then the connection dropped.")
        return answer

    return call  # type: ignore[return-value]


def _raise_injected(call: SandboxCall) -> None:
    """Fail the call the way the account's fail mode says; return when it says nothing."""
    mode = call.fail_mode
    if mode is FailMode.RATE_LIMIT:
        wait = call.account.retry_after_s
        raise RateLimited(f"The sandbox is rate limiting; retry after {wait} s.", retry_after=wait)
    if mode is FailMode.SERVER_ERROR:
        raise NotAccepted("The sandbox answered 503 Service Unavailable.")
    if mode is FailMode.TIMEOUT:
        raise TransientError("The sandbox timed out.")
    if mode is FailMode.REVOKED:
        raise CredentialRevoked("The sandbox revoked the credential.")
    if mode is FailMode.EXPIRED:
        raise CredentialExpired("The sandbox credential expired.")
    if mode is FailMode.INVALID:
        raise PermanentError(
            "The sandbox rejected the request.", network_message="invalid request (injected)"
        )


def _published(post: SandboxPost) -> Published:
    # The permalink is the post's page inside Roost: the network's own host is unreachable.
    return Published(external_id=post.external_id, url=sandbox_post_link(post))


def _inbound(item: SandboxInbound) -> Inbound:
    author = author_profile(item.author_handle)
    return Inbound(
        external_id=item.external_id,
        kind=InboundKind(item.kind),
        author_handle=item.author_handle,
        text=item.text,
        created_at=item.created_at,
        parent_external_id=item.parent_external_id,
        url=sandbox_inbound_link(item),
        language=item.language,
        author_name=author.name,
        author_followers=author.followers,
        author_verified=author.verified,
    )


class SandboxConnector(Connector):
    """A simulated network: the account is found by the channel's organisation, network
    and handle, so a channel reaches only its own organisation's sandbox world."""

    name = "sandbox"
    capabilities = frozenset(Capability)

    @classmethod
    def capabilities_for(cls, network: str) -> frozenset[Capability]:
        """What the network it plays can do (`roost.sandbox.plays`), of what it declares."""
        return cls.capabilities & played_capabilities(network)

    page_size = 100
    _latency_s = 0.0  # how long the call in progress keeps its caller waiting
    _lose_answer = False  # the call in progress is done, but its answer never arrives

    def _begin(self) -> SandboxAccount:
        """Every call starts here: the account, its injected failures, then the secret. The
        account's latency is waited out when the call ends (`_network_call`)."""
        call = sandbox_call_begin(
            organization_id=self.channel.organization_id,
            network=self.channel.network,
            handle=self.channel.handle,
        )
        if call is None:
            raise CredentialRevoked(
                f"The sandbox has no {self.channel.network} account {self.channel.handle!r}."
            )
        self._latency_s = call.account.latency_ms / 1000
        self._lose_answer = call.fail_mode is FailMode.LOSE_ANSWER
        _raise_injected(call)
        expected = call.account.secret.encode()
        if self._secret is None or not hmac.compare_digest(self._secret.encode(), expected):
            raise CredentialRevoked("The sandbox refused the credential.")
        return call.account

    @_network_call
    def verify(self) -> Account:
        account = self._begin()
        return Account(
            external_id=account.external_id,
            handle=account.handle,
            display_name=account.display_name,
        )

    @_network_call
    def publish(self, request: PublishRequest) -> Published:
        account = self._begin()
        post = sandbox_post_create(
            account=account,
            placement=self.channel.placement,
            text=request.text,
            mime_types=[item.mime_type for item in request.media],
            link=request.link or "",
            reply_to=request.reply_to or "",
            idempotency_key=request.idempotency_key or None,
        )
        return _published(post)

    @_network_call
    def lookup(self, idempotency_key: str) -> Published | None:
        account = self._begin()
        if not self.supports(Capability.LOOKUP):
            return None  # the network it plays cannot look posts up
        post = sandbox_post_by_key(account=account, idempotency_key=idempotency_key)
        return _published(post) if post is not None else None

    @_network_call
    def reply(self, *, to_external_id: str, text: str, idempotency_key: str) -> Published:
        account = self._begin()
        post = sandbox_post_create(
            account=account,
            placement=self.channel.placement,
            text=text,
            reply_to=to_external_id,
            idempotency_key=idempotency_key or None,
        )
        return _published(post)

    @_network_call
    def delete(self, external_id: str) -> None:
        account = self._begin()
        sandbox_post_delete(account=account, external_id=external_id)

    @_network_call
    def hide(self, external_id: str) -> None:
        account = self._begin()
        sandbox_inbound_hide(account=account, external_id=external_id, hidden=True)

    @_network_call
    def unhide(self, external_id: str) -> None:
        account = self._begin()
        sandbox_inbound_hide(account=account, external_id=external_id, hidden=False)

    @_network_call
    def fetch(self, *, cursor: str | None) -> FetchPage:
        """Inbound items after `cursor` (a sequence number), oldest first, a page at a time.

        The returned cursor is the last item's sequence, or the given cursor when
        nothing new arrived.
        """
        account = self._begin()
        after = 0
        if cursor:
            try:
                after = int(cursor)
            except ValueError:
                after = -1
            if after < 0:
                raise PermanentError(f"The sandbox cannot read cursor {cursor!r}.")
        items = sandbox_inbound_after(account=account, sequence=after, limit=self.page_size)
        next_cursor = str(items[-1].sequence) if items else cursor
        return FetchPage(items=tuple(_inbound(item) for item in items), cursor=next_cursor)

    @_network_call
    def metrics(self, external_id: str) -> PostMetrics:
        account = self._begin()
        post = sandbox_post_get(account=account, external_id=external_id)
        if post is None or post.deleted_at is not None:
            raise PermanentError(f"No post {external_id!r} on the sandbox.")
        return post_figures(
            post=post,
            network=account.network,
            handle=account.handle,
            placement=self.channel.placement,
            at=timezone.now(),
        )

    # Public profiles: other accounts' figures, for competitor tracking.

    @_network_call
    def profile_stats(self, handle: str) -> ProfileStats:
        self._begin()
        if not valid_public_handle(handle):
            raise PermanentError(f"The sandbox has no account {handle!r}.")
        profile = public_profile(network=self.channel.network, handle=handle, now=timezone.now())
        return ProfileStats(
            handle=profile.handle,
            display_name=profile.display_name,
            followers=profile.followers,
            posts=profile.posts,
            recent_posts=profile.posts_last_day,
            recent_engagements=profile.engagements_last_day,
        )

    @_network_call
    def channel_stats(self) -> ChannelStats:
        account = self._begin()
        return channel_figures(network=account.network, handle=account.handle, at=timezone.now())
