"""The worker's clock enqueues each (job, time slot) exactly once, however many workers run it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from roost.core.clock import PeriodicJob, periodic_jobs, slot_for, tick
from roost.core.models import ClockSlot

SLOTS = 90


@task()
def counted() -> None:
    """A job for the single-process tests."""


def test_slots_are_aligned_to_the_period():
    moment = dt.datetime(2026, 11, 24, 10, 17, 42, tzinfo=dt.UTC)
    assert slot_for(moment, dt.timedelta(minutes=15)) == dt.datetime(
        2026, 11, 24, 10, 15, tzinfo=dt.UTC
    )
    assert slot_for(moment, dt.timedelta(days=1)) == dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_second_tick_in_the_same_slot_enqueues_nothing():
    job = PeriodicJob("test.counted", counted.using(backend="database"), dt.timedelta(hours=1))
    moment = dt.datetime(2026, 11, 24, 10, 5, tzinfo=dt.UTC)
    assert tick(now=moment, jobs=[job]) == ["test.counted"]
    assert tick(now=moment + dt.timedelta(minutes=50), jobs=[job]) == []
    assert tick(now=moment + dt.timedelta(hours=1), jobs=[job]) == ["test.counted"]
    assert ClockSlot.objects.count() == 2
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_the_core_jobs_are_registered_and_run():
    names = {job.name for job in periodic_jobs()}
    assert {
        "core.prune_signin_failures",
        "core.clear_expired_sessions",
        "audit_stream.verify_chains",
        "audit_stream.deliver",
    } <= names
    # The test backend runs tasks at once, so a tick runs the jobs for real.
    assert set(tick(now=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))) == names


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_on_postgres_enqueue_each_slot_once():
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "roost.config.settings.test",
    }
    start_at = time.time() + 3  # both processes start ticking at the same instant
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "roost.core.tests.clock_worker", str(start_at), str(SLOTS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    claimed = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        claimed.append({tuple(pair) for pair in json.loads(out)})
    expected_slots = SLOTS + SLOTS // 5
    assert not claimed[0] & claimed[1], "a slot was enqueued by both workers"
    assert len(claimed[0] | claimed[1]) == expected_slots
    assert ClockSlot.objects.count() == expected_slots
    assert DBTaskResult.objects.count() == expected_slots


@pytest.mark.django_db
def test_old_slots_and_finished_tasks_are_forgotten_and_waiting_ones_kept():
    from django_tasks.base import TaskResultStatus

    from roost.core.clock import KEEP_FAILED, KEEP_FINISHED, clock_history_prune

    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    job = PeriodicJob("test.counted", counted.using(backend="database"), dt.timedelta(hours=1))
    tick(now=now - KEEP_FINISHED - dt.timedelta(hours=1), jobs=[job])
    tick(now=now - dt.timedelta(hours=1), jobs=[job])

    def task_row(status: str, finished_ago: dt.timedelta | None) -> str:
        result = counted.using(backend="database").enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status=status, finished_at=None if finished_ago is None else now - finished_ago
        )
        return str(result.id)

    old_done = task_row(TaskResultStatus.SUCCESSFUL, KEEP_FINISHED + dt.timedelta(minutes=1))
    new_done = task_row(TaskResultStatus.SUCCESSFUL, KEEP_FINISHED - dt.timedelta(minutes=1))
    failed_a_while_ago = task_row(TaskResultStatus.FAILED, KEEP_FINISHED + dt.timedelta(days=1))
    old_failed = task_row(TaskResultStatus.FAILED, KEEP_FAILED + dt.timedelta(minutes=1))
    waiting = task_row(TaskResultStatus.READY, None)
    clock_enqueued = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} - {
        old_done, new_done, failed_a_while_ago, old_failed, waiting
    }  # fmt: skip

    assert clock_history_prune(now=now) == 3
    assert list(ClockSlot.objects.values_list("slot", flat=True)) == [now - dt.timedelta(hours=1)]
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert len(clock_enqueued) == 2  # the ticks' own, still waiting
    assert kept == {new_done, failed_a_while_ago, waiting} | clock_enqueued
