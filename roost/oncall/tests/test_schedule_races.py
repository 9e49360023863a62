"""Overrides and gap notices written at the same moment by several callers, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.notifications.models import Notification
from roost.oncall.models import CoverageGapNotice, Override
from roost.oncall.schedules import services
from roost.oncall.tests.conftest import layer_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 6
T = TypeVar("T")
WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def all_at_once(work: Callable[[int], T]) -> list[T | Exception]:
    """Run `work(n)` in CALLERS threads released together, each on its own connection."""
    barrier = threading.Barrier(CALLERS)

    def run(n: int) -> T | Exception:
        try:
            barrier.wait()
            return work(n)
        except ApplicationError as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(CALLERS) as pool:
        return list(pool.map(run, range(CALLERS)))


def test_of_overlapping_overrides_made_at_once_exactly_one_is_kept(
    lead, people, make_schedule, make_user, org
):
    schedule = make_schedule()
    start = dt.datetime(2026, 2, 2, 9, tzinfo=WARSAW)
    services.layer_create(actor=lead, schedule=schedule, data=layer_input(people, start=start))

    def take(n: int) -> Override:
        return services.override_create(
            actor=lead,
            schedule=schedule,
            person=people[n % len(people)],
            start=start + dt.timedelta(minutes=10 * n),
            end=start + dt.timedelta(hours=2),
        )

    results = all_at_once(take)

    kept = [r for r in results if isinstance(r, Override)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(kept) == 1 and len(refused) == CALLERS - 1
    assert {r.code for r in refused} == {ErrorCode.CONFLICT}
    assert list(Override.objects.values_list("pk", flat=True)) == [kept[0].pk]


def test_two_checks_at_once_tell_the_owner_about_a_gap_once(lead, people, make_schedule):
    now = timezone.now()
    schedule = make_schedule()
    services.layer_create(
        actor=lead,
        schedule=schedule,
        data=layer_input(
            people[:1], start=now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
        ),
    )
    services.time_off_create(
        actor=lead,
        person=people[0],
        start=now + dt.timedelta(days=1),
        end=now + dt.timedelta(days=1, hours=3),
    )

    told = all_at_once(lambda n: services.coverage_gaps_notify(now=now))

    assert sum(t for t in told if isinstance(t, int)) == 1
    assert CoverageGapNotice.objects.count() == 1
    assert Notification.objects.filter(recipient=lead).count() == 1
