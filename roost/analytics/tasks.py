"""Analytics' background work: each part adds its jobs in a block of its own."""

from __future__ import annotations

from roost.core.clock import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []


# -- Reports: scheduled reports and campaign reports by e-mail ---------------------------

import datetime as _dt  # noqa: E402

from django_tasks import task  # noqa: E402

from roost.analytics.reports import (  # noqa: E402
    campaign_reports_send_due,
    scheduled_reports_send_due,
)


@task()
def send_scheduled_reports() -> int:
    """E-mail each scheduled report whose latest period has not been sent."""
    return scheduled_reports_send_due()


@task()
def send_campaign_reports() -> int:
    """E-mail the report of each campaign whose span has just ended."""
    return campaign_reports_send_due()


PERIODIC_JOBS += [
    PeriodicJob("analytics.scheduled_reports", send_scheduled_reports, _dt.timedelta(hours=1)),
    PeriodicJob("analytics.campaign_reports", send_campaign_reports, _dt.timedelta(hours=1)),
]
