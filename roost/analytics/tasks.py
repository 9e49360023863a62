"""Analytics' background work: each part adds its jobs in a block of its own."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.analytics.collect import metrics_collect
from roost.core.clock import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []


# Collecting the networks' figures (roost.analytics.collect).


@task()
def collect_metrics() -> int:
    """Read the figures of every post and channel that is due; safe to run twice in one
    slot (the second run finds nothing due). Answers how many readings were taken."""
    result = metrics_collect()
    return result.posts_read + result.channels_read


PERIODIC_JOBS += [
    PeriodicJob("analytics.collect", collect_metrics, dt.timedelta(hours=1)),
]
