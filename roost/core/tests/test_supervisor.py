"""`roost demo` keeps serving when its worker crashes: the worker is started again
(after a pause that grows with each crash) and the web process is left alone."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from roost.core.tests.throwaway_postgres import (
    free_port,
)


class _Lines:
    """The supervisor's output, read as it comes."""

    def __init__(self, stream) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for raw in stream:
            self._queue.put(raw.decode(errors="replace").rstrip())

    def wait_for(self, pattern: str, *, seconds: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no line like {pattern!r}; last output: {self.seen[-30:]}"
                ) from None
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found


def _status(port: int) -> int:
    web = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        web.request("GET", "/")
        return web.getresponse().status
    finally:
        web.close()


@pytest.mark.postgres
def test_a_killed_worker_is_restarted_while_the_web_keeps_serving(own_postgres, tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DATABASE_URL": own_postgres.url,
        "ROOST_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "ROOST_VAR_DIR": str(tmp_path / "var"),
    }
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "roost.cli", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert supervisor.stdout is not None
    lines = _Lines(supervisor.stdout)
    started = r"the {} process started \(pid (\d+)\)"
    try:
        web_pid = int(lines.wait_for(started.format("web"), seconds=120).group(1))
        worker_pid = int(lines.wait_for(started.format("worker")).group(1))
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _status(port) < 500
                break
            except OSError:
                assert time.monotonic() < deadline, "the web process never answered"
                time.sleep(0.2)

        for expected_delay in (1, 2):  # the pause doubles with each crash
            os.kill(worker_pid, signal.SIGKILL)
            lines.wait_for(
                rf"the worker process exited \(killed by SIGKILL\); "
                rf"restarting it in {expected_delay} s"
            )
            statuses = []
            serving_until = time.monotonic() + expected_delay
            while time.monotonic() < serving_until:  # the web serves while the worker is down
                statuses.append(_status(port))
                time.sleep(0.1)
            assert statuses and all(status < 500 for status in statuses)
            restarted = int(lines.wait_for(started.format("worker")).group(1))
            assert restarted != worker_pid
            worker_pid = restarted
            os.kill(worker_pid, 0)  # running

        assert supervisor.poll() is None
        os.kill(web_pid, 0)  # the same web process throughout
        assert not [line for line in lines.seen if "the web process started" in line][1:]
        assert _status(port) < 500
    finally:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout=30)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            raise
    assert supervisor.returncode == 0
    lines.wait_for(r"roost: stopped\.")
