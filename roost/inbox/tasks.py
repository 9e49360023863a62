from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from roost.channels.models import Channel
from roost.core.clock import PeriodicJob
from roost.inbox.corrections.services import classifiers_retrain_due
from roost.inbox.ingest import channel_ingest, channels_ingest_all
from roost.inbox.moderation import messages_hide_by_rule
from roost.inbox.routing.auto_reply import auto_reply_send
from roost.inbox.sla.services import conversations_sla_refresh
from roost.inbox.snooze import conversations_wake_due


@task()
def fetch_inboxes() -> int:
    return channels_ingest_all()


@task()
def fetch_channel(channel_id: int) -> int:
    """Read one channel's inbox now (a network said something arrived)."""
    channel = Channel.objects.filter(pk=channel_id).select_related("channel_group").first()
    return channel_ingest(channel=channel).stored if channel is not None else 0


@task()
def refresh_sla() -> int:
    return conversations_sla_refresh()


@task()
def send_auto_reply(conversation_id: int, rule_id: int) -> str:
    """Send a routing rule's auto-reply; safe to run twice (see `auto_reply_send`)."""
    return auto_reply_send(conversation_id=conversation_id, rule_id=rule_id).value


@task()
def wake_snoozed() -> int:
    return conversations_wake_due()


@task()
def retrain_classifiers() -> int:
    """Retrain each organisation's adapter that has corrections newer than it."""
    return classifiers_retrain_due()


PERIODIC_JOBS = [
    PeriodicJob("inbox.fetch", fetch_inboxes, dt.timedelta(minutes=1)),
    PeriodicJob("inbox.sla", refresh_sla, dt.timedelta(minutes=1)),
    PeriodicJob("inbox.wake", wake_snoozed, dt.timedelta(minutes=1)),
    PeriodicJob("inbox.retrain", retrain_classifiers, dt.timedelta(hours=1)),
]


@task()
def hide_by_rule(matches: list[list[Any]]) -> int:
    """Hide what a moderation rule matched on ingest; safe to run twice."""
    return messages_hide_by_rule(matches=matches)
