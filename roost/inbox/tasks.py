from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.inbox.ingest import channels_ingest_all


@task()
def fetch_inboxes() -> int:
    return channels_ingest_all()


PERIODIC_JOBS = [PeriodicJob("inbox.fetch", fetch_inboxes, dt.timedelta(minutes=1))]
