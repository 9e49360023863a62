"""The access reviews' clock job. Thin, and safe to run twice (see `reviews_remind`)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.core.clock import PeriodicJob
from roost.governance.reviews.services import reviews_remind


@task()
def remind_and_escalate() -> dict[str, int]:
    return reviews_remind()


PERIODIC_JOBS = [
    PeriodicJob("access_reviews.remind_and_escalate", remind_and_escalate, dt.timedelta(hours=1)),
]
