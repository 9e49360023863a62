"""Every change to the sandbox network's state.

The sandbox stands for another company's servers, so its writes must not share
Roost's transactions: a post the network has accepted stays accepted even when
Roost's own transaction rolls back or its worker dies before committing. The
sandbox therefore lives in a database of its own (the `sandbox` alias, see
`roost.sandbox.routing`), and each function here commits its own transaction
on it, whatever Roost's connection is doing at the time.

The network's own answers (a rejected post, an unknown id) are the connector's
typed errors; mistakes by whoever sets the sandbox up (the demo, the CLI, the
audience simulator) are `ApplicationError`s.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from roost.catalogue.specs import catalogue
from roost.channels.connectors.base import InboundKind, PermanentError
from roost.core.errors import ApplicationError, ErrorCode
from roost.sandbox import locks, rules
from roost.sandbox.models import (
    FAIL_UNTIL_CLEARED,
    FailMode,
    SandboxAccount,
    SandboxInbound,
    SandboxPost,
)
from roost.sandbox.routing import SANDBOX_DB


def _new_external_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(8)}"


def sandbox_account_open(
    *, organization_id: int, network: str, handle: str, display_name: str = ""
) -> tuple[SandboxAccount, str]:
    """Open an account in an organisation's sandbox world and return it with the secret
    it accepts.

    Idempotent by (organisation, network, handle): opening it again returns the existing
    account and its secret, and leaves the display name as it was. Another organisation
    opening the same handle gets an account of its own.
    """
    try:
        catalogue().network(network)
    except KeyError:
        raise ApplicationError(
            ErrorCode.INVALID, f"The catalogue has no network {network!r}.", field="network"
        ) from None
    if not handle.strip():
        raise ApplicationError(ErrorCode.INVALID, "A handle is required.", field="handle")
    key = {"organization_id": organization_id, "network": network, "handle": handle}
    account = SandboxAccount.objects.filter(**key).first()
    if account is None:
        try:
            with transaction.atomic(using=SANDBOX_DB):
                account = SandboxAccount.objects.create(
                    **key,
                    external_id=_new_external_id("u"),
                    display_name=display_name or handle,
                    secret=secrets.token_urlsafe(32),
                )
        except IntegrityError:
            # Opened at the same moment by someone else: theirs is the account.
            account = SandboxAccount.objects.get(**key)
    return account, account.secret


def sandbox_knobs_set(
    *,
    account: SandboxAccount,
    latency_ms: int | None = None,
    fail_mode: FailMode | str | None = None,
    fail_remaining: int | None = None,
    retry_after_s: int | None = None,
) -> SandboxAccount:
    """Change how the account's calls misbehave; None leaves a knob as it is.

    Setting a failing `fail_mode` without `fail_remaining` fails every call until
    cleared; setting `FailMode.NONE` clears it. Returns the account as stored.
    """
    if latency_ms is not None and latency_ms < 0:
        raise ApplicationError(ErrorCode.INVALID, "Latency cannot be negative.", field="latency_ms")
    if retry_after_s is not None and retry_after_s < 0:
        raise ApplicationError(
            ErrorCode.INVALID, "Retry-after cannot be negative.", field="retry_after_s"
        )
    if fail_remaining is not None and fail_remaining < FAIL_UNTIL_CLEARED:
        raise ApplicationError(
            ErrorCode.INVALID,
            "Failing calls is a count, or -1 for until cleared.",
            field="fail_remaining",
        )
    mode: FailMode | None = None
    if fail_mode is not None:
        try:
            mode = FailMode(fail_mode)
        except ValueError:
            raise ApplicationError(
                ErrorCode.INVALID, f"Unknown fail mode {fail_mode!r}.", field="fail_mode"
            ) from None
        if fail_remaining is None:
            fail_remaining = 0 if mode is FailMode.NONE else FAIL_UNTIL_CLEARED
    with transaction.atomic(using=SANDBOX_DB):
        locked = locks.account_locked(account.pk)
        changed: list[str] = []
        if latency_ms is not None:
            locked.latency_ms = latency_ms
            changed.append("latency_ms")
        if mode is not None:
            locked.fail_mode = mode
            changed.append("fail_mode")
        if fail_remaining is not None:
            locked.fail_remaining = fail_remaining
            changed.append("fail_remaining")
        if retry_after_s is not None:
            locked.retry_after_s = retry_after_s
            changed.append("retry_after_s")
        if changed:
            locked.save(update_fields=changed)
    return locked


@dataclass(frozen=True)
class SandboxCall:
    """One API call as the network sees it: whose it is and how it must fail, if at all."""

    account: SandboxAccount
    fail_mode: FailMode


def sandbox_call_begin(*, organization_id: int, network: str, handle: str) -> SandboxCall | None:
    """Start a call to one of an organisation's accounts: take one failure from its knobs
    when one is armed.

    None when the organisation's sandbox has no such account. A counted failure mode
    clears itself once its count runs out.
    """
    account = SandboxAccount.objects.filter(
        organization_id=organization_id, network=network, handle=handle
    ).first()
    if account is None:
        return None
    if account.fail_mode == FailMode.NONE or account.fail_remaining == 0:
        return SandboxCall(account=account, fail_mode=FailMode.NONE)
    with transaction.atomic(using=SANDBOX_DB):
        account = locks.account_locked(account.pk)
        fail_mode = FailMode(account.fail_mode)
        if fail_mode is FailMode.NONE or account.fail_remaining == 0:
            return SandboxCall(account=account, fail_mode=FailMode.NONE)
        if account.fail_remaining > 0:
            account.fail_remaining -= 1
            changed = ["fail_remaining"]
            if account.fail_remaining == 0:
                account.fail_mode = FailMode.NONE
                changed.append("fail_mode")
            account.save(update_fields=changed)
    return SandboxCall(account=account, fail_mode=fail_mode)


def _same_world_posts(account: SandboxAccount) -> QuerySet[SandboxPost]:
    """Posts on the account's network in the account's own organisation's sandbox: the
    only posts its calls can see or touch."""
    return SandboxPost.objects.filter(
        account__organization_id=account.organization_id, account__network=account.network
    )


def _reply_target_exists(*, account: SandboxAccount, external_id: str) -> bool:
    posts = _same_world_posts(account).filter(external_id=external_id, deleted_at__isnull=True)
    inbound = SandboxInbound.objects.filter(account=account, external_id=external_id)
    return posts.exists() or inbound.exists()


def _post_insert(
    *, account: SandboxAccount, text: str, media_count: int, link: str, idempotency_key: str | None
) -> SandboxPost:
    """A new top-level post in one statement (a busy network's hot path): the unique
    idempotency key turns a second insert with the same key into nothing, and then
    the post first made with it is returned."""
    external_id = _new_external_id("p")
    url = account.post_url(external_id)
    created_at = timezone.now()
    connection = connections[SANDBOX_DB]
    table = connection.ops.quote_name(SandboxPost._meta.db_table)
    sql = (
        f"INSERT INTO {table} (account_id, external_id, text, media_count, link, reply_to, "  # noqa: S608
        "idempotency_key, url, created_at, likes, reposts, replies, quotes) "
        "VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s, 0, 0, 0, 0) "
        "ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL "
        "DO NOTHING RETURNING id"
    )
    params: list[Any] = [
        account.pk,
        external_id,
        text,
        media_count,
        link,
        idempotency_key or None,
        url,
        connection.ops.adapt_datetimefield_value(created_at),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return SandboxPost.objects.get(account=account, idempotency_key=idempotency_key)
    post = SandboxPost(
        id=row[0],
        account=account,
        external_id=external_id,
        text=text,
        media_count=media_count,
        link=link,
        idempotency_key=idempotency_key or None,
        url=url,
        created_at=created_at,
    )
    post._state.adding, post._state.db = False, SANDBOX_DB
    return post


def sandbox_post_create(
    *,
    account: SandboxAccount,
    placement: str,
    text: str,
    mime_types: Sequence[str] = (),
    link: str = "",
    reply_to: str = "",
    idempotency_key: str | None = None,
) -> SandboxPost:
    """Publish a post (a reply when `reply_to` is set) on the account's network.

    The catalogue's text and media limits for (network, placement) apply; breaking
    one, or replying to something that does not exist, raises `PermanentError`. The
    same `idempotency_key` always returns the post first made with it, never a second
    one; the key stays spent even after that post is deleted.
    """
    rules.check_text(network=account.network, placement=placement, text=text)
    rules.check_media(
        network=account.network,
        placement=placement,
        mime_types=mime_types,
        required=not reply_to,
    )
    if not reply_to:
        return _post_insert(
            account=account,
            text=text,
            media_count=len(mime_types),
            link=link,
            idempotency_key=idempotency_key,
        )
    with transaction.atomic(using=SANDBOX_DB):
        locked = locks.account_locked(account.pk)
        if idempotency_key:
            existing = SandboxPost.objects.filter(
                account=locked, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        if reply_to and not _reply_target_exists(account=locked, external_id=reply_to):
            raise PermanentError(f"Nothing to reply to: no {reply_to!r} on the sandbox.")
        external_id = _new_external_id("p")
        post = SandboxPost.objects.create(
            account=locked,
            external_id=external_id,
            text=text,
            media_count=len(mime_types),
            link=link,
            reply_to=reply_to,
            idempotency_key=idempotency_key or None,
            url=locked.post_url(external_id),
        )
        if reply_to:
            _same_world_posts(locked).filter(external_id=reply_to).update(replies=F("replies") + 1)
    return post


def sandbox_post_delete(*, account: SandboxAccount, external_id: str) -> SandboxPost:
    """Delete one of the account's posts; deleting it again changes nothing.

    Raises `PermanentError` when the account has no such post.
    """
    with transaction.atomic(using=SANDBOX_DB):
        post = locks.post_locked(account, external_id)
        if post is None:
            raise PermanentError(f"No post {external_id!r} on the sandbox.")
        if post.deleted_at is None:
            post.deleted_at = timezone.now()
            post.save(update_fields=["deleted_at"])
    return post


def sandbox_inbound_hide(*, account: SandboxAccount, external_id: str, hidden: bool) -> bool:
    """Hide a comment, reply or mention addressed to the account, or show it again; doing
    it twice changes nothing. Returns whether it is hidden now.

    Raises `PermanentError` when the account has no such item, or it is a direct message
    (nothing public to hide).
    """
    with transaction.atomic(using=SANDBOX_DB):
        item = locks.inbound_locked(account, external_id)
        if item is None:
            raise PermanentError(f"No comment {external_id!r} on the sandbox.")
        if item.kind == InboundKind.DIRECT_MESSAGE:
            raise PermanentError("A direct message is not public; there is nothing to hide.")
        if hidden != (item.hidden_at is not None):
            item.hidden_at = timezone.now() if hidden else None
            item.save(update_fields=["hidden_at"])
    return hidden


def sandbox_inbound_add(
    *,
    account: SandboxAccount,
    kind: InboundKind | str,
    author_handle: str,
    text: str,
    language: str = "en",
    parent_external_id: str = "",
) -> SandboxInbound:
    """Deliver a comment, reply, mention or direct message to the account.

    A comment or reply on one of the network's posts adds to that post's reply count.
    """
    try:
        kind = InboundKind(kind)
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID, f"Unknown inbound kind {kind!r}.", field="kind"
        ) from None
    if not author_handle.strip():
        raise ApplicationError(ErrorCode.INVALID, "An author is required.", field="author_handle")
    with transaction.atomic(using=SANDBOX_DB):
        locked = locks.account_locked(account.pk)
        last = SandboxInbound.objects.filter(account=locked).aggregate(last=Max("sequence"))
        inbound = SandboxInbound.objects.create(
            account=locked,
            external_id=_new_external_id("i"),
            kind=kind,
            author_handle=author_handle,
            text=text,
            language=language,
            parent_external_id=parent_external_id,
            sequence=(last["last"] or 0) + 1,
        )
        if parent_external_id and kind in {InboundKind.COMMENT, InboundKind.REPLY}:
            _same_world_posts(locked).filter(external_id=parent_external_id).update(
                replies=F("replies") + 1
            )
    return inbound


def sandbox_post_backdate(
    *, account: SandboxAccount, external_id: str, created_at: dt.datetime
) -> SandboxPost:
    """Date one of the account's posts earlier, as if it had been published then (for a
    demo's history, published today on the network but dated months ago in Roost). A
    later date is refused: the network's figures of the post never move backwards."""
    with transaction.atomic(using=SANDBOX_DB):
        post = locks.post_locked(account, external_id)
        if post is None:
            raise PermanentError(f"No post {external_id!r} on the sandbox.")
        if created_at > post.created_at:
            raise ApplicationError(
                ErrorCode.INVALID, "A post can only be dated earlier.", field="created_at"
            )
        if created_at != post.created_at:
            post.created_at = created_at
            post.save(update_fields=["created_at"])
    return post
