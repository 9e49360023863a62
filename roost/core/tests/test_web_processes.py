"""Several web processes on one port: granian's workers (the default server), or waitress
processes that each bind it with SO_REUSEPORT; `roost run` starts as many as it is told
(a process per core: docs/web-load.md)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from roost.cli import DEFAULT_WEB_PROCESSES, DEFAULT_WEB_SERVER, build_parser
from roost.config.web_server import web_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_two_servers_share_a_port_and_both_answer():
    port = free_port()
    servers = [
        web_server(
            get_wsgi_application(),
            host="127.0.0.1",
            port=port,
            threads=2,
            trusted_proxies=(),
            reuse_port=True,
        )
        for _ in range(2)
    ]
    try:
        for server in servers:
            threading.Thread(target=server.run, daemon=True).start()
        # Both hold the port at once (without reuse_port the second could not bind it),
        # and whichever the kernel hands a connection to answers it.
        for _ in range(6):
            with httpx.Client(timeout=10) as client:  # a new connection each time
                assert client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        for server in servers:
            server.close()


def test_without_reuse_port_a_second_server_cannot_take_the_port():
    port = free_port()
    first = web_server(
        get_wsgi_application(), host="127.0.0.1", port=port, threads=1, trusted_proxies=()
    )
    try:
        with pytest.raises(OSError):
            web_server(
                get_wsgi_application(), host="127.0.0.1", port=port, threads=1, trusted_proxies=()
            )
    finally:
        first.close()


def test_roost_run_starts_a_web_process_per_core_by_default_and_takes_a_count():
    parser = build_parser()
    assert parser.parse_args(["run"]).web_processes == DEFAULT_WEB_PROCESSES
    chosen = parser.parse_args(["run", "--web-processes", "3", "--web-threads", "4"])
    assert (chosen.web_processes, chosen.web_threads) == (3, 4)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                found.append(int(entry))
    return found


def test_granian_serves_in_the_workers_it_is_told_and_stops_on_sigterm(tmp_path):
    port = free_port()
    left_out = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in left_out}
    env["ROOST_VAR_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "roost.cli", "web", "--settings", "demo", "--server",
               "granian", "--workers", "2", "--threads", "2", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "granian never answered"
                time.sleep(0.3)
        assert (answer.status_code, answer.text) == (200, "ok")
        for _ in range(6):
            with httpx.Client(timeout=10) as client:  # a new connection each time
                assert client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert len(_children(server.pid)) >= 2  # the two workers
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0


def test_roost_run_serves_with_granian_by_default():
    parser = build_parser()
    assert parser.parse_args(["run"]).web_server == DEFAULT_WEB_SERVER == "granian"
    assert parser.parse_args(["run", "--web-server", "waitress"]).web_server == "waitress"
    assert parser.parse_args(["web"]).server == "granian"
