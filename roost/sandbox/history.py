"""The sandbox network's figures at past moments, for seeding a demo's history.

A real network is read as time passes; a demo must show months of readings at once.
Since the sandbox's figures are a function of the moment asked about
(`roost.sandbox.figures`), the seed asks about past moments directly, and later live
readings through the connector continue the same curves.
"""

from __future__ import annotations

import datetime as dt

from roost.channels.connectors.base import ChannelStats, PostMetrics
from roost.channels.models import Channel
from roost.sandbox.figures import channel_figures, post_figures
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.selectors import sandbox_account_for_channel, sandbox_post_get
from roost.sandbox.services import sandbox_post_backdate


class SandboxHistory:
    """Answers the demo seed's questions about the sandbox channels of one run."""

    def __init__(self) -> None:
        self._accounts: dict[int, SandboxAccount | None] = {}
        self._posts: dict[str, SandboxPost | None] = {}

    def _account(self, channel: Channel) -> SandboxAccount | None:
        if channel.pk not in self._accounts:
            self._accounts[channel.pk] = sandbox_account_for_channel(channel=channel)
        return self._accounts[channel.pk]

    def post_metrics(
        self, *, channel: Channel, external_id: str, published_at: dt.datetime, at: dt.datetime
    ) -> PostMetrics | None:
        """The post's figures at `at`; None when the channel or the post is not on the
        sandbox. The network's post is first dated when Roost says it was published."""
        account = self._account(channel)
        if account is None:
            return None
        if external_id not in self._posts:
            post = sandbox_post_get(account=account, external_id=external_id)
            if post is not None and post.created_at > published_at:
                post = sandbox_post_backdate(
                    account=account, external_id=external_id, created_at=published_at
                )
            self._posts[external_id] = post
        post = self._posts[external_id]
        if post is None or post.deleted_at is not None:
            return None
        return post_figures(
            post=post,
            network=account.network,
            handle=account.handle,
            placement=channel.placement,
            at=at,
        )

    def channel_stats(self, *, channel: Channel, at: dt.datetime) -> ChannelStats | None:
        """The channel's own figures at `at`; None when it is not on the sandbox."""
        account = self._account(channel)
        if account is None:
            return None
        return channel_figures(network=account.network, handle=account.handle, at=at)
