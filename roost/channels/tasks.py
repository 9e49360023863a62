from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.channels.health import channels_health_check_all
from roost.core.clock import PeriodicJob


@task()
def check_channel_health() -> int:
    return channels_health_check_all()


PERIODIC_JOBS = [
    PeriodicJob("channels.check_health", check_channel_health, dt.timedelta(minutes=15)),
]
