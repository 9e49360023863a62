"""Analytics' background work: each part adds its jobs in a block of its own."""

from __future__ import annotations

from roost.core.clock import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []


# Competitors: each tracked account read once a UTC day (hourly slots, so a day missed
# while the worker was down is caught up within the hour).
import datetime as dt  # noqa: E402

from django_tasks import task  # noqa: E402

from roost.analytics.competitors import competitors_read_due  # noqa: E402


@task()
def read_competitors() -> int:
    return competitors_read_due()


PERIODIC_JOBS += [
    PeriodicJob("analytics.competitors_read", read_competitors, dt.timedelta(hours=1)),
]
