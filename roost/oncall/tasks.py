from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.oncall.paging.jobs import PAGING_JOBS
from roost.oncall.schedules.services import coverage_gaps_notify


@task()
def check_coverage_gaps() -> int:
    """Tell schedules' owners about gaps in the next 7 days (each gap once)."""
    return coverage_gaps_notify()


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("oncall.coverage_gaps", check_coverage_gaps, dt.timedelta(minutes=15)),
    *PAGING_JOBS,
]
