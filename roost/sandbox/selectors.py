"""Reads of the sandbox network's state."""

from __future__ import annotations

from django.db.models import QuerySet

from roost.channels.models import Channel
from roost.sandbox.models import SandboxAccount, SandboxInbound, SandboxPost


def sandbox_accounts(*, organization_id: int) -> QuerySet[SandboxAccount]:
    """The accounts of one organisation's sandbox world: every read of accounts starts here."""
    return SandboxAccount.objects.filter(organization_id=organization_id)


def sandbox_account_find(
    *, organization_id: int, network: str, handle: str
) -> SandboxAccount | None:
    """The organisation's account with this handle on this network, if it has one."""
    return (
        sandbox_accounts(organization_id=organization_id)
        .filter(network=network, handle=handle)
        .first()
    )


def sandbox_account_for_channel(*, channel: Channel) -> SandboxAccount | None:
    """The sandbox account behind a sandbox channel, in the channel's own organisation."""
    if channel.connector != "sandbox":
        return None
    return sandbox_account_find(
        organization_id=channel.organization_id, network=channel.network, handle=channel.handle
    )


def sandbox_post_get(*, account: SandboxAccount, external_id: str) -> SandboxPost | None:
    """The account's post with this id, deleted or not."""
    return SandboxPost.objects.filter(account=account, external_id=external_id).first()


def sandbox_post_by_key(*, account: SandboxAccount, idempotency_key: str) -> SandboxPost | None:
    """The live post published under this key; a deleted one is gone, as on a real network."""
    if not idempotency_key:
        return None
    return SandboxPost.objects.filter(
        account=account, idempotency_key=idempotency_key, deleted_at__isnull=True
    ).first()


def sandbox_inbound_after(
    *, account: SandboxAccount, sequence: int, limit: int
) -> list[SandboxInbound]:
    """Up to `limit` inbound items with a sequence above `sequence`, oldest first."""
    newer = SandboxInbound.objects.filter(account=account, sequence__gt=sequence)
    items = list(newer.order_by("sequence")[:limit])
    for item in items:
        item.account = account  # spares a query per item when building its URL
    return items


def sandbox_inbound_recent(*, account: SandboxAccount, limit: int = 50) -> list[SandboxInbound]:
    return list(SandboxInbound.objects.filter(account=account).order_by("-sequence")[:limit])


def sandbox_posts_recent(*, account: SandboxAccount, limit: int = 10) -> list[SandboxPost]:
    return list(
        SandboxPost.objects.filter(account=account, deleted_at__isnull=True).order_by(
            "-created_at"
        )[:limit]
    )
