from __future__ import annotations

from roost.core.clock import PeriodicJob
from roost.oncall.paging.jobs import PAGING_JOBS

PERIODIC_JOBS: list[PeriodicJob] = [*PAGING_JOBS]
