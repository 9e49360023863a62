"""Where the sandbox network's accounts, posts and messages are seen: pages inside Roost
(`roost.sandbox.network_views`), so every link the connector hands out opens something.

Paths follow the network's own shape (`<network>/<handle>/posts/<id>`), under
`/sandbox/network/`: a post lives under its author, the account's posts under the
account and the audience's comments and mentions under the person who wrote them; a
direct message, private, under the account that received it.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from roost.channels.connectors.base import InboundKind
from roost.sandbox.models import SandboxInbound, SandboxPost


def _path(name: str, *args: str) -> str:
    try:
        return reverse(f"sandbox:{name}", args=args)
    except NoReverseMatch:  # a handle no path can hold (a slash in it): no link
        return ""


def post_link(*, network: str, handle: str, external_id: str) -> str:
    """A post by `handle`: one of an account's, or a comment or mention from its audience."""
    return _path("network_post", network, handle, external_id)


def message_link(*, network: str, account_handle: str, external_id: str) -> str:
    """A direct message to the account, in the exchange it belongs to."""
    return _path("network_message", network, account_handle, external_id)


def sandbox_post_link(post: SandboxPost) -> str:
    account = post.account
    return post_link(network=account.network, handle=account.handle, external_id=post.external_id)


def sandbox_inbound_link(item: SandboxInbound) -> str:
    account = item.account
    if item.kind == InboundKind.DIRECT_MESSAGE:
        return message_link(
            network=account.network, account_handle=account.handle, external_id=item.external_id
        )
    return post_link(
        network=account.network, handle=item.author_handle, external_id=item.external_id
    )
