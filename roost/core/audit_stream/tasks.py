"""The audit stream's jobs: deliver new events every minute, verify the chains every six hours."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.audit_stream.services import audit_chains_check, destinations_deliver
from roost.core.clock import PeriodicJob


@task()
def deliver_audit_stream() -> int:
    return destinations_deliver()


@task()
def verify_audit_chains() -> int:
    return len(audit_chains_check())


PERIODIC_JOBS = [
    PeriodicJob("audit_stream.deliver", deliver_audit_stream, dt.timedelta(minutes=1)),
    PeriodicJob("audit_stream.verify_chains", verify_audit_chains, dt.timedelta(hours=6)),
]
