"""`roost worker` processes outlive their PostgreSQL restarting under them.

The workers run against a cluster of the test's own (the shared server is never
restarted), draining due posts while that cluster restarts twice, immediately, as
after a crash: every post must reach the network exactly once and every worker must
still be running at the end.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable

import psycopg
import pytest

from roost.publishing.models import Variant, VariantState
from roost.sandbox.models import SandboxPost

POSTS = 200
CHANNELS = 10
WORKERS = 3
LATENCY_MS = 40  # with one sender a worker, the drain takes a few seconds


def _wait_for(
    condition: Callable[[], bool], *, seconds: float, what: str, workers: list[subprocess.Popen]
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        dead = [w.args for w in workers if w.poll() is not None]
        assert not dead, f"a worker died while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.mark.postgres
def test_workers_carry_on_through_two_database_restarts(own_postgres, tmp_path):
    sandbox_db = tmp_path / "sandbox.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roost.publishing.tests.worker_settings",
        "DATABASE_URL": own_postgres.url,
        "ROOST_SANDBOX_DATABASE_URL": f"sqlite:///{sandbox_db}",
        "ROOST_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [sys.executable, "-m", "roost.publishing.tests.drain_fixture",
         str(POSTS), str(CHANNELS), str(LATENCY_MS)],
        env=env, check=True, timeout=120,
    )  # fmt: skip

    def on_network() -> list[str]:
        with sqlite3.connect(sandbox_db, timeout=20) as db:
            table = SandboxPost._meta.db_table
            return [key for (key,) in db.execute(f"SELECT idempotency_key FROM {table}")]

    def variant_states() -> dict[str, int]:
        try:
            with psycopg.connect(own_postgres.url, connect_timeout=5) as db:
                table = Variant._meta.db_table
                rows = db.execute(f"SELECT state, count(*) FROM {table} GROUP BY state")
                return dict(rows.fetchall())
        except psycopg.OperationalError:
            return {}  # the cluster is coming back up

    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    command = [
        sys.executable, "-m", "roost.cli", "worker", "--settings", "demo",
        "--senders", "1", "--interval", "0.2", "--clock-interval", "1",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        for log in logs
    ]
    try:
        for share in (4, 2):  # restart with a quarter of the posts sent, then with half
            _wait_for(
                lambda share=share: len(on_network()) >= POSTS // share,  # type: ignore[misc]
                seconds=60,
                what=f"1/{share} of the posts to go out",
                workers=workers,
            )
            assert len(on_network()) < POSTS, "the drain ended before the restart"
            own_postgres.restart_immediately()
            time.sleep(0.5)
        _wait_for(
            lambda: variant_states() == {VariantState.PUBLISHED: POSTS},
            seconds=90,
            what="every post published",
            workers=workers,
        )
        alive = [worker.poll() is None for worker in workers]
    except AssertionError as failed:
        output = "\n".join(log.read_text(errors="replace") for log in logs)
        states = variant_states()
        raise AssertionError(f"{failed}; states {states}; logs: {output[-3000:]}") from None
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    output = "\n".join(log.read_text(errors="replace") for log in logs)
    assert alive == [True] * WORKERS, f"a worker died: {output[-3000:]}"
    assert "task runner lost the database" in output  # the restarts reached the workers
    keys = on_network()
    assert len(keys) == POSTS, "a post was lost or sent twice"
    with psycopg.connect(own_postgres.url) as db:
        table = Variant._meta.db_table
        stored = {key for (key,) in db.execute(f"SELECT idempotency_key FROM {table}")}
    assert set(keys) == stored
