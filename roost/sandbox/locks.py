"""The sandbox network's row locks; no other module of the app calls `select_for_update`."""

from __future__ import annotations

from roost.core.locks import locked, locked_one
from roost.sandbox.models import SandboxAccount, SandboxInbound, SandboxPost


def account_locked(account_id: int) -> SandboxAccount:
    """The account row, locked until the surrounding transaction ends.

    Publishing and numbering inbound items happen under this lock, so two
    publishes with one idempotency key cannot both insert, and sequences commit
    in order.
    """
    return locked_one(SandboxAccount.objects.all(), account_id)


def post_locked(account: SandboxAccount, external_id: str) -> SandboxPost | None:
    """The account's post with this id, locked (None when it has none)."""
    return next(
        iter(locked(SandboxPost.objects.filter(account=account, external_id=external_id))), None
    )


def inbound_locked(account: SandboxAccount, external_id: str) -> SandboxInbound | None:
    """The inbound item with this id addressed to the account, locked (None: none)."""
    return next(
        iter(locked(SandboxInbound.objects.filter(account=account, external_id=external_id))),
        None,
    )
