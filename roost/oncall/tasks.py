from __future__ import annotations

from roost.core.clock import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []
