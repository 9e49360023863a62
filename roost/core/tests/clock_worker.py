"""A worker process for the clock test: ticks through the same slots as its rivals.

Usage: python -m roost.core.tests.clock_worker START_EPOCH SLOTS
Prints the (job, slot) pairs this process enqueued, as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.test")

import django

django.setup()

from django_tasks import task  # noqa: E402

from roost.core.clock import PeriodicJob, tick  # noqa: E402


@task()
def heartbeat() -> None:
    """The job under test; the database backend only stores it."""


def main() -> None:
    start_at, slots = float(sys.argv[1]), int(sys.argv[2])
    jobs = [
        PeriodicJob(
            "test.every_minute", heartbeat.using(backend="database"), dt.timedelta(minutes=1)
        ),
        PeriodicJob(
            "test.every_5_minutes", heartbeat.using(backend="database"), dt.timedelta(minutes=5)
        ),
    ]
    base = dt.datetime(2026, 3, 29, 0, 0, 30, tzinfo=dt.UTC)
    time.sleep(max(0.0, start_at - time.time()))
    mine = []
    for minute in range(slots):
        moment = base + dt.timedelta(minutes=minute)
        mine += [[name, moment.isoformat()] for name in tick(now=moment, jobs=jobs)]
    print(json.dumps(mine))


if __name__ == "__main__":
    main()
