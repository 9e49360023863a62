"""Analytics' background work: each part adds its jobs in a block of its own."""

from __future__ import annotations

from roost.core.clock import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []
