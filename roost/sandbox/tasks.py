from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from roost.core.clock import PeriodicJob, slot_for
from roost.sandbox.audience import SLOT, audience_simulate_slot


@task()
def simulate_audience() -> int:
    return audience_simulate_slot(slot=slot_for(timezone.now(), SLOT))


PERIODIC_JOBS = [PeriodicJob("sandbox.simulate_audience", simulate_audience, SLOT)]
