"""Reads for the sandbox network's own pages: an account, a post with its replies and
metrics, a direct-message exchange.

The sandbox stands for another company's servers, but its pages are shown inside
Roost, so they obey Roost's tenancy: a viewer sees an account only through a channel
of their own organisation that is connected to it (the channel's `external_id` is the
account's) and that they may view. Anything else is not found, exactly like an id that
does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from roost.channels.connectors.base import InboundKind
from roost.channels.models import Channel
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.sandbox.links import sandbox_inbound_link, sandbox_post_link
from roost.sandbox.models import SandboxAccount, SandboxInbound, SandboxPost

THREAD_LIMIT = 200
ACCOUNT_POSTS = 50


def _channels_seen(viewer: User) -> Q:
    """The viewer's sandbox channels, as a condition on `Channel`."""
    seen = Q(organization_id=viewer.organization_id, connector="sandbox") & ~Q(external_id="")
    allowed = channel_group_ids_allowed(viewer, Action.CHANNEL_VIEW)
    if allowed is not None:
        seen &= Q(channel_group_id__in=allowed)
    return seen


def account_channels(*, viewer: User, account: SandboxAccount) -> list[Channel]:
    """The viewer's channels connected to the account (its placements); none: not theirs."""
    return list(
        Channel.objects.filter(
            _channels_seen(viewer), network=account.network, external_id=account.external_id
        ).order_by("placement", "pk")
    )


def _visible(viewer: User, account: SandboxAccount) -> list[Channel]:
    channels = account_channels(viewer=viewer, account=account)
    if not channels:
        raise Http404("No such account on the sandbox network.")
    return channels


@dataclass(frozen=True)
class Entry:
    """One item of a thread as the page shows it."""

    external_id: str
    author: str
    text: str
    created_at: dt.datetime
    link: str
    by_account: bool  # written by the account (a post or a reply), not its audience
    replying_to: str = ""
    label: str = "Post"  # what kind of item, in words
    deleted: bool = False
    hidden: bool = False  # hidden by the account: the network shows it to nobody
    metrics: SandboxPost | None = None


def _from_post(post: SandboxPost) -> Entry:
    return Entry(
        external_id=post.external_id,
        author=post.account.handle,
        text=post.text,
        created_at=post.created_at,
        link=sandbox_post_link(post),
        by_account=True,
        replying_to=post.reply_to,
        label="Reply" if post.reply_to else "Post",
        deleted=post.deleted_at is not None,
        metrics=post,
    )


def _from_inbound(item: SandboxInbound) -> Entry:
    return Entry(
        external_id=item.external_id,
        author=item.author_handle,
        text=item.text,
        created_at=item.created_at,
        link=sandbox_inbound_link(item),
        by_account=False,
        replying_to=item.parent_external_id,
        label=InboundKind(item.kind).label,
        hidden=item.hidden_at is not None,
    )


@dataclass(frozen=True)
class AccountPage:
    account: SandboxAccount
    channels: list[Channel]
    posts: list[Entry]


def account_page(*, viewer: User, network: str, handle: str) -> AccountPage:
    """The account's latest posts (not its replies), newest first."""
    channels = Channel.objects.filter(_channels_seen(viewer), network=network, handle=handle)
    external_ids = list(channels.values_list("external_id", flat=True))
    account = SandboxAccount.objects.filter(
        network=network, handle=handle, external_id__in=external_ids
    ).first()
    if account is None:
        raise Http404("No such account on the sandbox network.")
    posts = SandboxPost.objects.filter(account=account, reply_to="", deleted_at__isnull=True)
    entries = []
    for post in posts.order_by("-created_at", "-pk")[:ACCOUNT_POSTS]:
        post.account = account
        entries.append(_from_post(post))
    return AccountPage(account=account, channels=_visible(viewer, account), posts=entries)


@dataclass(frozen=True)
class PostPage:
    account: SandboxAccount
    channels: list[Channel]
    post: Entry
    parent: Entry | None
    thread: list[Entry]  # the replies, oldest first, to the post and to one another


def _post_or_item(external_id: str) -> SandboxPost | SandboxInbound | None:
    post = SandboxPost.objects.select_related("account").filter(external_id=external_id).first()
    if post is not None:
        return post
    return (
        SandboxInbound.objects.select_related("account")
        .filter(external_id=external_id)
        .exclude(kind=InboundKind.DIRECT_MESSAGE)
        .first()
    )


def _entry(found: SandboxPost | SandboxInbound) -> Entry:
    return _from_post(found) if isinstance(found, SandboxPost) else _from_inbound(found)


def _replies(account: SandboxAccount, root: str) -> list[Entry]:
    """Everything that answers `root`, directly or down a chain of replies, oldest first."""
    entries: list[Entry] = []
    wanted = {root}
    seen: set[str] = set()
    while wanted and len(entries) < THREAD_LIMIT:
        posts = SandboxPost.objects.filter(account=account, reply_to__in=wanted)
        # Hidden comments are not shown, as on a network where the account hid them.
        items = SandboxInbound.objects.filter(
            account=account, parent_external_id__in=wanted, hidden_at__isnull=True
        )
        found: list[SandboxPost | SandboxInbound] = [
            *posts[:THREAD_LIMIT],
            *items[:THREAD_LIMIT],
        ]
        for row in found:
            row.account = account
        seen |= wanted
        wanted = {row.external_id for row in found} - seen
        entries.extend(_entry(row) for row in found if row.external_id in wanted)
    return sorted(entries, key=lambda e: (e.created_at, e.external_id))[:THREAD_LIMIT]


def post_page(*, viewer: User, network: str, handle: str, external_id: str) -> PostPage:
    """A post by `handle` on the network: one of an account's posts or replies, or a
    comment, reply or mention from its audience; with what it answers and its replies."""
    found = _post_or_item(external_id)
    if found is None or found.account.network != network:
        raise Http404("No such post on the sandbox network.")
    author = found.account.handle if isinstance(found, SandboxPost) else found.author_handle
    if author != handle:
        raise Http404("No such post on the sandbox network.")
    account = found.account
    channels = _visible(viewer, account)
    answered = found.reply_to if isinstance(found, SandboxPost) else found.parent_external_id
    parent = _post_or_item(answered) if answered else None
    return PostPage(
        account=account,
        channels=channels,
        post=_entry(found),
        parent=_entry(parent) if parent is not None and parent.account_id == account.pk else None,
        thread=_replies(account, found.external_id),
    )


@dataclass(frozen=True)
class MessagePage:
    account: SandboxAccount
    channels: list[Channel]
    correspondent: str
    message_id: str
    exchange: list[Entry]  # the correspondent's messages and the account's answers


def message_page(
    *, viewer: User, network: str, account_handle: str, external_id: str
) -> MessagePage:
    """A direct message to the account, in its exchange with the person who sent it."""
    message = (
        SandboxInbound.objects.select_related("account")
        .filter(external_id=external_id, kind=InboundKind.DIRECT_MESSAGE)
        .first()
    )
    if (
        message is None
        or message.account.network != network
        or message.account.handle != account_handle
    ):
        raise Http404("No such message on the sandbox network.")
    account = message.account
    channels = _visible(viewer, account)
    theirs = list(
        SandboxInbound.objects.filter(
            account=account,
            kind=InboundKind.DIRECT_MESSAGE,
            author_handle=message.author_handle,
        ).order_by("-sequence")[:THREAD_LIMIT]
    )
    answers = list(
        SandboxPost.objects.filter(
            account=account, reply_to__in=[item.external_id for item in theirs]
        )[:THREAD_LIMIT]
    )
    for item in theirs:
        item.account = account
    for answer in answers:
        answer.account = account
    exchange = [*map(_from_inbound, theirs), *map(_from_post, answers)]
    return MessagePage(
        account=account,
        channels=channels,
        correspondent=message.author_handle,
        message_id=message.external_id,
        exchange=sorted(exchange, key=lambda e: (e.created_at, e.external_id)),
    )
