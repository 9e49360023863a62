"""The worker's clock: enqueue each periodic job once per time slot.

Any number of workers may run the clock. A slot is claimed by inserting a
(job, slot) row under a unique constraint in the same transaction as the
enqueue, so exactly one worker enqueues it and the others get an integrity
error and move on.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django_tasks.base import Task

from roost.core.models import ClockSlot

logger = logging.getLogger(__name__)
EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, so weekly slots start on Mondays


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Task  # type: ignore[type-arg]
    every: dt.timedelta


def periodic_jobs() -> list[PeriodicJob]:
    """Jobs declared as `PERIODIC_JOBS` in the `tasks` module of each Roost app."""
    jobs: list[PeriodicJob] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("roost."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        jobs.extend(getattr(module, "PERIODIC_JOBS", []))
    return jobs


def slot_for(moment: dt.datetime, every: dt.timedelta) -> dt.datetime:
    """The start of the slot that `moment` falls in."""
    periods = (moment - EPOCH) // every
    return EPOCH + periods * every


def tick(*, now: dt.datetime | None = None, jobs: list[PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed yet; return their names."""
    moment = now or timezone.now()
    enqueued = []
    for job in jobs if jobs is not None else periodic_jobs():
        slot = slot_for(moment, job.every)
        try:
            with transaction.atomic():
                claim = ClockSlot.objects.create(job=job.name, slot=slot)
                result = job.task.enqueue()
                # An update, not a save: a job run at once may have pruned old claims.
                ClockSlot.objects.filter(pk=claim.pk).update(task_result_id=str(result.id))
        except IntegrityError:
            continue
        enqueued.append(job.name)
    return enqueued


# How long finished background work stays on record. A job that runs every few seconds
# leaves tens of thousands of rows a day; kept forever, they would fill the database.
KEEP_FINISHED = dt.timedelta(days=7)
KEEP_FAILED = dt.timedelta(days=30)


def clock_history_prune(*, now: dt.datetime | None = None) -> int:
    """Forget the clock's old slots and the queue's finished tasks: successful ones after
    `KEEP_FINISHED`, failed ones (kept to be looked into) after `KEEP_FAILED`. Tasks
    waiting or running are never touched. Answers how many rows went."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    moment = now or timezone.now()
    slots, _ = ClockSlot.objects.filter(slot__lt=moment - KEEP_FINISHED).delete()
    done, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=moment - KEEP_FINISHED
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=moment - KEEP_FAILED
    ).delete()
    return slots + done + failed


class ClockThread(threading.Thread):
    """Ticks every `interval` seconds until stopped."""

    def __init__(self, *, interval: float = 15.0) -> None:
        super().__init__(name="roost-clock", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                # Inside the try: with the database gone, even dropping a broken
                # connection may raise, and the clock must outlive that too.
                close_old_connections()
                names = tick()
                if names:
                    logger.info("clock enqueued %s", ", ".join(names))
            except Exception:
                logger.exception("clock tick failed; retrying next interval")
            self.stopped.wait(self.interval)
        close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
