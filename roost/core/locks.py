"""Row locks, taken one way: in primary-key order, so two transactions locking
overlapping sets of rows queue instead of deadlocking.

Each app names its own locks in its `locks.py` (for instance "lock the post")
on top of these two functions; no other module calls `select_for_update`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

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
