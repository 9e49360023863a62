"""The connector for the sandbox network.

It behaves like a connector to a real network: every call is authenticated with
the channel's secret, may be slowed down or fail as the account's knobs say, and
writes the network's state in the network's own transaction. So, like any
connector, it must be called outside Roost's transactions (see
`roost.sandbox.services`).
"""

from __future__ import annotations

import hmac
import time

from roost.channels.connectors.base import (
    Account,
    Capability,
    Connector,
    CredentialExpired,
    CredentialRevoked,
    FetchPage,
    Inbound,
    InboundKind,
    PermanentError,
    PostMetrics,
    Published,
    PublishRequest,
    RateLimited,
    TransientError,
)
from roost.sandbox.models import FailMode, SandboxAccount, SandboxInbound, SandboxPost
from roost.sandbox.profiles import author_profile
from roost.sandbox.selectors import sandbox_inbound_after, sandbox_post_by_key, sandbox_post_get
from roost.sandbox.services import (
    SandboxCall,
    sandbox_call_begin,
    sandbox_post_create,
    sandbox_post_delete,
)


def _raise_injected(call: SandboxCall) -> None:
    """Fail the call the way the account's fail mode says; return when it says nothing."""
    mode = call.fail_mode
    if mode is FailMode.RATE_LIMIT:
        wait = call.account.retry_after_s
        raise RateLimited(f"The sandbox is rate limiting; retry after {wait} s.", retry_after=wait)
    if mode is FailMode.SERVER_ERROR:
        raise TransientError("The sandbox answered 503 Service Unavailable.")
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
    return Published(external_id=post.external_id, url=post.url)


def _inbound(item: SandboxInbound) -> Inbound:
    author = author_profile(item.author_handle)
    return Inbound(
        external_id=item.external_id,
        kind=InboundKind(item.kind),
        author_handle=item.author_handle,
        text=item.text,
        created_at=item.created_at,
        parent_external_id=item.parent_external_id,
        url=item.url,
        language=item.language,
        author_name=author.name,
        author_followers=author.followers,
        author_verified=author.verified,
    )


class SandboxConnector(Connector):
    """A simulated network: the account is found by the channel's network and handle."""

    name = "sandbox"
    capabilities = frozenset(Capability)
    page_size = 100

    def _begin(self) -> SandboxAccount:
        """Every call starts here: latency and injected failures first, then the secret."""
        call = sandbox_call_begin(network=self.channel.network, handle=self.channel.handle)
        if call is None:
            raise CredentialRevoked(
                f"The sandbox has no {self.channel.network} account {self.channel.handle!r}."
            )
        if call.account.latency_ms:
            time.sleep(call.account.latency_ms / 1000)
        _raise_injected(call)
        expected = call.account.secret.encode()
        if self._secret is None or not hmac.compare_digest(self._secret.encode(), expected):
            raise CredentialRevoked("The sandbox refused the credential.")
        return call.account

    def verify(self) -> Account:
        account = self._begin()
        return Account(
            external_id=account.external_id,
            handle=account.handle,
            display_name=account.display_name,
        )

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

    def lookup(self, idempotency_key: str) -> Published | None:
        account = self._begin()
        post = sandbox_post_by_key(account=account, idempotency_key=idempotency_key)
        return _published(post) if post is not None else None

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

    def delete(self, external_id: str) -> None:
        account = self._begin()
        sandbox_post_delete(account=account, external_id=external_id)

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

    def metrics(self, external_id: str) -> PostMetrics:
        account = self._begin()
        post = sandbox_post_get(account=account, external_id=external_id)
        if post is None or post.deleted_at is not None:
            raise PermanentError(f"No post {external_id!r} on the sandbox.")
        return PostMetrics(
            likes=post.likes, reposts=post.reposts, replies=post.replies, quotes=post.quotes
        )
