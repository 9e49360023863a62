"""Walking a large table in batches without leaving a query open while each row is handled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def in_batches(queryset: QuerySet[M, Any], *, size: int = 500) -> Iterator[M]:
    """The rows of `queryset` in primary-key order, read `size` at a time, each batch
    read to its end before its first row is handed out.

    For loops that write as they go. `QuerySet.iterator()` keeps its query open
    between chunks; on SQLite an open query holds on to the snapshot it began in,
    and once another connection has committed, the loop's own writes fail with
    "database is locked" however long the busy timeout. Here each batch is a
    query of its own, started after the key of the last row handed out.
    """
    ordered = queryset.order_by("pk")
    last_pk = None
    while True:
        page = ordered if last_pk is None else ordered.filter(pk__gt=last_pk)
        batch = list(page[:size])
        yield from batch
        if len(batch) < size:
            return
        last_pk = batch[-1].pk
