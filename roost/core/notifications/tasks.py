"""Background jobs of notifications. Thin: each calls one service and is safe to run twice."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.core.notifications.contact import deliveries_due_send, delivery_attempt


@task()
def delivery_send(*, delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id).status


@task()
def send_due_deliveries() -> int:
    return deliveries_due_send()


PERIODIC_JOBS = [
    PeriodicJob("notifications.deliveries_due", send_due_deliveries, dt.timedelta(minutes=1)),
]
