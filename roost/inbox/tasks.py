from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.inbox.ingest import channels_ingest_all
from roost.inbox.sla_service import conversations_sla_refresh


@task()
def fetch_inboxes() -> int:
    return channels_ingest_all()


@task()
def refresh_sla() -> int:
    return conversations_sla_refresh()


PERIODIC_JOBS = [
    PeriodicJob("inbox.fetch", fetch_inboxes, dt.timedelta(minutes=1)),
    PeriodicJob("inbox.sla", refresh_sla, dt.timedelta(minutes=1)),
]
