"""Row locks, taken one way: in primary-key order, so two transactions locking
overlapping sets of rows queue instead of deadlocking.

Each app names its own locks in its `locks.py` (for instance "lock the post")
on top of these two functions; no other module calls `select_for_update`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import connection, models

from roost.core.models import FeedToken, Membership, Organization, Team, User

M = TypeVar("M", bound=models.Model)


def locked(
    queryset: models.QuerySet[M], *, no_key: bool = False, of: tuple[str, ...] = ()
) -> list[M]:
    """Lock and return the queryset's rows in primary-key order.

    Call inside a transaction. `no_key` takes FOR NO KEY UPDATE on PostgreSQL,
    which lets inserts that merely reference the rows go on. `of` names what to lock
    when the queryset joins related rows in (`("self",)`: only its own rows). SQLite
    has no row locks: its write transactions already take turns, and the rows are
    read as is.
    """
    return list(queryset.select_for_update(no_key=no_key, of=of).order_by("pk"))


def locked_one(
    queryset: models.QuerySet[M], pk: object, *, no_key: bool = False, of: tuple[str, ...] = ()
) -> M:
    """Lock and return one row; `Model.DoesNotExist` when the queryset has no such row."""
    return queryset.select_for_update(no_key=no_key, of=of).get(pk=pk)


def locked_ids(model: type[M], ids: Iterable[int], *, no_key: bool = False) -> list[M]:
    """Lock and return the rows with these ids, in primary-key order."""
    return locked(model._default_manager.filter(pk__in=sorted(set(ids))), no_key=no_key)


def locked_batch(queryset: models.QuerySet[M], *, size: int) -> list[M]:
    """Lock and return up to `size` of the queryset's rows in primary-key order, passing
    over rows another transaction holds (SKIP LOCKED, on this table's rows only), so
    several workers can take batches side by side. Where the database cannot skip
    locked rows, the batch is read without a lock."""
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset.order_by("pk")[:size])


# The core app's own locks.


def organization_chain_locked(organization_id: int) -> None:
    """Take turns on the organisation's audit chain: FOR NO KEY UPDATE on its row, so
    the many inserts that merely reference the organisation (each checks its foreign
    key with KEY SHARE) are not held up. SQLite needs no lock: its IMMEDIATE
    transactions already serialise writers."""
    if connection.features.has_select_for_update:
        Organization.objects.select_for_update(no_key=True).filter(pk=organization_id).values_list(
            "pk"
        ).first()


def user_locked(user_id: int) -> User | None:
    """The person's row, locked (None when there is no such person)."""
    return next(iter(locked(User.objects.filter(pk=user_id))), None)


def membership_locked(membership_id: int) -> Membership | None:
    """The grant's row, locked (None when it was revoked already)."""
    return next(iter(locked(Membership.objects.filter(pk=membership_id))), None)


def team_locked(team_id: int) -> Team:
    return locked_one(Team.objects.all(), team_id)


def live_feed_token_locked(user: User) -> FeedToken | None:
    """The person's feed token that still works, locked."""
    live = FeedToken.objects.filter(
        organization_id=user.organization_id, user=user, revoked_at__isnull=True
    )
    return next(iter(locked(live)), None)
