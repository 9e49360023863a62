"""Several web processes on one port: each binds it with SO_REUSEPORT and serves, and
`roost run` starts as many as it is told (a process per core: docs/web-load.md)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from roost.cli import DEFAULT_WEB_PROCESSES, build_parser
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
