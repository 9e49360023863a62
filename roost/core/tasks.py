"""Background jobs of the core app. Thin: each calls one service and is safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task

from roost.core.clock import PeriodicJob, clock_history_prune
from roost.core.membership_expiry import memberships_expire
from roost.core.signin import signin_failures_prune


@task()
def prune_signin_failures() -> int:
    return signin_failures_prune()


@task()
def prune_clock_history() -> int:
    return clock_history_prune()


@task()
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@task()
def expire_memberships() -> int:
    return memberships_expire()


PERIODIC_JOBS = [
    PeriodicJob("core.prune_signin_failures", prune_signin_failures, dt.timedelta(hours=1)),
    PeriodicJob("core.clear_expired_sessions", clear_expired_sessions, dt.timedelta(hours=1)),
    PeriodicJob("core.prune_clock_history", prune_clock_history, dt.timedelta(hours=6)),
    # A grant stops counting the moment it expires; this only tidies up and tells people.
    PeriodicJob("core.expire_memberships", expire_memberships, dt.timedelta(minutes=15)),
]
