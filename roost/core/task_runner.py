"""The worker's task runner: the database task queue's worker, made to outlive the database.

The queue's own worker gives up on any database error but "database is locked",
so a database restart or a dropped connection ended the whole worker process.
Here a lost database is waited out instead: the connections of the thread are
dropped and opened again after a growing pause, and a task whose outcome could
not be written (the database went away under it) goes back to the queue, since
tasks are safe to run twice.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# What a database that went away raises: the server restarted or is down, the
# connection was cut or closed. Other database errors are defects and still end the run.
DATABASE_GONE = (OperationalError, InterfaceError)


class Backoff:
    """Pauses between tries that double from `first` up to `longest`, a little jittered
    so that many workers do not come back at the same instant."""

    def __init__(self, *, first: float = 0.5, longest: float = 15.0) -> None:
        self.first, self.longest = first, longest
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.first * 2**self.failures, self.longest)
        self.failures += 1
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 (spreading retries, not a secret)

    def reset(self) -> None:
        self.failures = 0


def drop_connections() -> None:
    """Close this thread's database connections, so the next query opens fresh ones."""
    for connection in connections.all(initialized_only=True):
        # Closing a dead connection may complain; Django forgets it all the same.
        with contextlib.suppress(*DATABASE_GONE):
            connection.close()


def until_database_answers(
    action: Callable[[], None], *, what: str, keep_trying: Callable[[], bool]
) -> bool:
    """Run `action`, waiting out a lost database between tries; False if told to stop first."""
    backoff = Backoff()
    while keep_trying():
        try:
            action()
            return True
        except DATABASE_GONE as error:
            delay = backoff.next_delay()
            logger.warning(
                "database unreachable while %s (%s); trying again in %.1f s",
                what,
                str(error).strip() or type(error).__name__,
                delay,
            )
            drop_connections()
            time.sleep(delay)
    return False


class TaskRunner(Worker):
    """Runs queued tasks until stopped, reconnecting whenever the database goes away."""

    # After this long without a database error, the next one starts the backoff afresh.
    STEADY_AFTER = 60.0

    def run(self) -> None:
        backoff = Backoff()
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except DATABASE_GONE as error:
                if time.monotonic() - started > self.STEADY_AFTER:
                    backoff.reset()
                delay = backoff.next_delay()
                logger.warning(
                    "task runner lost the database (%s); reconnecting in %.1f s",
                    str(error).strip() or type(error).__name__,
                    delay,
                )
                drop_connections()
                time.sleep(delay)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DATABASE_GONE as error:
            # The outcome could not be written: the task is still marked running, and
            # would stay so. Once the database answers again it goes back to the queue.
            logger.warning(
                "task %s: its outcome could not be stored (%s); it goes back to the queue",
                db_task_result.pk,
                str(error).strip() or type(error).__name__,
            )
            drop_connections()
            until_database_answers(
                lambda: _task_requeue(db_task_result),
                what=f"putting task {db_task_result.pk} back in the queue",
                keep_trying=lambda: self.running,
            )


def _task_requeue(db_task_result: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=db_task_result.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
