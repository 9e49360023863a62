from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.listening.alerts import monitors_evaluate
from roost.listening.feeds import feeds_poll_due
from roost.listening.matching import inbox_scan, monitor_backfill


@task()
def scan_inbox() -> int:
    """Run the inbound messages stored since the last scan through the monitors."""
    return inbox_scan()


@task()
def backfill_monitor(monitor_id: int) -> int:
    """Match a new or changed monitor against the last week of the inbox."""
    return monitor_backfill(monitor_id=monitor_id)


@task()
def poll_feeds() -> int:
    return feeds_poll_due()


@task()
def evaluate_monitors() -> int:
    return monitors_evaluate()


PERIODIC_JOBS = [
    PeriodicJob("listening.inbox", scan_inbox, dt.timedelta(minutes=1)),
    PeriodicJob("listening.feeds", poll_feeds, dt.timedelta(minutes=5)),
    PeriodicJob("listening.detect", evaluate_monitors, dt.timedelta(minutes=1)),
]
