"""Paging's background jobs: thin, each calls one function and is safe to run twice."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.oncall.paging.engine import BATCH, escalations_due_count, escalations_run
from roost.oncall.paging.sources import (
    campaign_failures_page,
    revoked_credentials_page,
    sla_breaches_page,
)

# Steps are due on whole minutes of waiting; a turn every few seconds keeps them on time.
ESCALATION_EVERY = dt.timedelta(seconds=5)
# When many pages fall due at once (an incident storm), this many more workers help.
HELPERS = 3
# Ahead of the deliveries it creates and of routine jobs: a late page wakes nobody.
PRIORITY = 50


@task(priority=PRIORITY)
def escalate_due_pages(helper: bool = False) -> int:
    if not helper:
        for _ in range(min(HELPERS, escalations_due_count() // BATCH)):
            escalate_due_pages.enqueue(helper=True)
    return escalations_run()


@task()
def page_new_troubles() -> int:
    return sla_breaches_page() + campaign_failures_page() + revoked_credentials_page()


PAGING_JOBS = [
    PeriodicJob("oncall.escalate", escalate_due_pages, ESCALATION_EVERY),
    PeriodicJob("oncall.page_troubles", page_new_troubles, dt.timedelta(minutes=1)),
]
