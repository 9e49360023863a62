"""Publishing's background jobs. Sending itself runs in the worker's dispatcher thread."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.publishing.approvals import approval_reminders_send
from roost.publishing.dispatch import variants_recover_orphans


@task()
def send_approval_reminders() -> int:
    return approval_reminders_send()


@task()
def recover_orphaned_sends() -> int:
    return variants_recover_orphans()


PERIODIC_JOBS = [
    PeriodicJob("publishing.approval_reminders", send_approval_reminders, dt.timedelta(minutes=10)),
    PeriodicJob("publishing.recover_orphans", recover_orphaned_sends, dt.timedelta(minutes=1)),
]
