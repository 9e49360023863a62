"""Publishing's background jobs. Sending itself runs in the worker's dispatcher thread."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.publishing.approvals.notifications import approval_reminders_send
from roost.publishing.campaigns import campaigns_preflight_due
from roost.publishing.dispatch import variants_recover_orphans


@task()
def send_approval_reminders() -> int:
    return approval_reminders_send()


@task()
def recover_orphaned_sends() -> int:
    return variants_recover_orphans()


@task()
def run_campaign_preflights() -> int:
    return campaigns_preflight_due()


PERIODIC_JOBS = [
    PeriodicJob("publishing.campaign_preflight", run_campaign_preflights, dt.timedelta(minutes=1)),
    PeriodicJob("publishing.approval_reminders", send_approval_reminders, dt.timedelta(minutes=10)),
    PeriodicJob("publishing.recover_orphans", recover_orphaned_sends, dt.timedelta(minutes=1)),
]
