"""Analytics' background work on the worker's clock."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.analytics.collect import metrics_collect
from roost.analytics.competitors import competitors_read_due
from roost.analytics.reports import campaign_reports_send_due, scheduled_reports_send_due
from roost.core.clock import PeriodicJob


@task()
def collect_metrics() -> int:
    """Read the figures of every post and channel that is due; safe to run twice in one
    slot (the second run finds nothing due). Answers how many readings were taken."""
    result = metrics_collect()
    return result.posts_read + result.channels_read


@task()
def read_competitors() -> int:
    """Read each tracked competitor's public figures once a UTC day."""
    return competitors_read_due()


@task()
def send_scheduled_reports() -> int:
    """E-mail each scheduled report whose latest period has not been sent."""
    return scheduled_reports_send_due()


@task()
def send_campaign_reports() -> int:
    """E-mail the report of each campaign whose span has just ended."""
    return campaign_reports_send_due()


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("analytics.collect", collect_metrics, dt.timedelta(hours=1)),
    # Hourly slots, so a day missed while the worker was down is caught up within the hour.
    PeriodicJob("analytics.competitors_read", read_competitors, dt.timedelta(hours=1)),
    PeriodicJob("analytics.scheduled_reports", send_scheduled_reports, dt.timedelta(hours=1)),
    PeriodicJob("analytics.campaign_reports", send_campaign_reports, dt.timedelta(hours=1)),
]
