"""The escalation engine: tells the steps that have come due, on any number of workers.

Each turn claims a batch of due pages with SELECT ... FOR UPDATE SKIP LOCKED (one
worker's batch is passed over by the others) and tells each page's next step inside the
same transaction. A worker killed mid-turn loses its transaction: its pages stay due and
the next turn, on any worker, takes them. Nothing told is told again, because the
notification rows and the page's position commit together.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection

from django.db import DatabaseError, transaction

from roost.core import audit, locks
from roost.core.notifications.models import Delivery, DeliveryStatus
from roost.oncall.models import Page, PageStatus
from roost.oncall.paging import clock
from roost.oncall.paging.services import (
    page_delivery_failed,
    page_escalate,
    pages_escalate,
)

logger = logging.getLogger(__name__)

BATCH = 25


def _due(now: dt.datetime):  # type: ignore[no-untyped-def]
    return Page.objects.filter(
        status=PageStatus.TRIGGERED, next_step_at__isnull=False, next_step_at__lte=now
    ).select_related("organization", "policy")


def escalations_due_count(*, now: dt.datetime | None = None, leaving: Collection[int] = ()) -> int:
    """How many pages are due at `now`, held by a worker or not, less those `leaving`."""
    return _due(now or clock.now()).exclude(pk__in=leaving).count()


def escalations_run(
    *, now: dt.datetime | None = None, batch: int = BATCH, failed: set[int] | None = None
) -> int:
    """Tell every step due at `now` (the paging clock's when None); answers how many
    pages moved. Stops when no due page is left that another worker does not hold.
    A batch is told in one go; if that fails, its pages are told one by one, so one
    page that cannot be told does not hold up the others. The pages that could not be
    told are added to `failed` when given."""
    moment = now or clock.now()
    moved = 0
    failed = set() if failed is None else failed
    while True:
        with transaction.atomic():
            pages = locks.locked_batch(_due(moment).exclude(pk__in=failed), size=batch)
            logs: dict[int, list[audit.Entry]] = defaultdict(list)
            try:
                with transaction.atomic():
                    pages_escalate(pages=pages, now=moment, logs=logs)
                moved += len(pages)
            except DatabaseError:
                logger.exception("escalating a batch of %s pages failed; one by one", len(pages))
                logs.clear()
                moved += _one_by_one(pages, moment, logs, failed)
            # Last, so the organisation's audit chain is held only for the insert.
            for page in pages:
                if logs.get(page.organization_id):
                    audit.record_many(
                        organization=page.organization, entries=logs.pop(page.organization_id)
                    )
        if len(pages) < batch:
            return moved


def _one_by_one(
    pages: list[Page],
    moment: dt.datetime,
    logs: dict[int, list[audit.Entry]],
    failed: set[int],
) -> int:
    moved = 0
    for page in pages:
        # The failed batch changed these objects before it was undone.
        page.refresh_from_db(fields=["status", "cycle", "step_position", "next_step_at"])
        log: list[audit.Entry] = []
        try:
            with transaction.atomic():
                page_escalate(page=page, now=moment, log=log)
        except DatabaseError:
            failed.add(page.pk)
            # This page's step is undone; it stays due for the next turn.
            logger.exception("escalating page %s failed", page.pk)
            continue
        logs[page.organization_id].extend(log)
        moved += 1
    return moved


def delivery_outcome(*, delivery: Delivery) -> None:
    """Told by the notifications when a delivery was sent or finally failed."""
    if delivery.status != DeliveryStatus.FAILED or delivery.source_type != "oncall.page":
        return
    try:
        page_id = int(delivery.source_id)
    except (TypeError, ValueError):
        return
    page_delivery_failed(page_id=page_id, delivery_id=delivery.pk)
