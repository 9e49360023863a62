from __future__ import annotations

import datetime as dt

from django_tasks import task

from roost.channels.connect import channels_tokens_refresh_all
from roost.channels.credential_use import credential_uses_summarise
from roost.channels.expiry import credential_expiry_warn
from roost.channels.health import channels_health_check_all
from roost.channels.push_subscriptions import channel_push_unsubscribe
from roost.core.clock import PeriodicJob


@task()
def check_channel_health() -> int:
    return channels_health_check_all()


@task()
def warn_expiring_credentials() -> int:
    return credential_expiry_warn()


@task()
def refresh_expiring_tokens() -> int:
    return channels_tokens_refresh_all()


@task()
def summarise_credential_use() -> int:
    return credential_uses_summarise()


@task()
def unsubscribe_archived_channel(channel_id: int) -> str:
    return channel_push_unsubscribe(channel_id=channel_id)


PERIODIC_JOBS = [
    PeriodicJob("channels.refresh_tokens", refresh_expiring_tokens, dt.timedelta(minutes=5)),
    PeriodicJob("channels.check_health", check_channel_health, dt.timedelta(minutes=15)),
    PeriodicJob(
        "channels.warn_expiring_credentials", warn_expiring_credentials, dt.timedelta(hours=1)
    ),
    # Every few minutes, so an hour's summary follows soon after the hour ends.
    PeriodicJob(
        "channels.summarise_credential_use", summarise_credential_use, dt.timedelta(minutes=5)
    ),
]
