"""The task runner outlives its PostgreSQL restarting in the middle of a task.

The task's outcome cannot be stored on the lost connection; the runner reconnects
and puts the task back in the queue, and it runs again to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django_tasks_db.models import DBTaskResult


@pytest.mark.postgres
def test_a_task_cut_off_by_a_database_restart_goes_back_to_the_queue(own_postgres, tmp_path):
    notes, log = tmp_path / "runs.txt", tmp_path / "worker.log"
    notes.touch()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roost.config.settings.demo",
        "DATABASE_URL": own_postgres.url,
        "ROOST_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "ROOST_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [sys.executable, "-m", "roost.core.tests.slow_task", str(notes), "2"],
        env=env, check=True, timeout=120,
    )  # fmt: skip

    def statuses() -> list[str]:
        try:
            with psycopg.connect(own_postgres.url, connect_timeout=5) as db:
                table = DBTaskResult._meta.db_table
                return [status for (status,) in db.execute(f"SELECT status FROM {table}")]
        except psycopg.OperationalError:
            return []  # coming back up

    worker = subprocess.Popen(
        [sys.executable, "-m", "roost.cli", "worker", "--settings", "demo",
         "--no-clock", "--interval", "0.2"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while notes.read_text().count("ran") < 1:  # the task is under way
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        own_postgres.restart_immediately()
        while statuses() != ["SUCCESSFUL"]:
            assert worker.poll() is None, f"the worker died: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{statuses()}: {log.read_text()[-3000:]}"
            time.sleep(0.1)
        alive = worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert alive
    assert notes.read_text().count("ran") == 2  # cut off once, then run to the end
    assert "goes back to the queue" in log.read_text()
