"""A PostgreSQL cluster of a test's own, on a free loopback port, that the test may
restart or stop as it likes (a shared server must never be disturbed by a test).

The cluster runs as the `postgres` system user when the test runs as root, since
`initdb` refuses root. It trusts every local connection and keeps nothing on
disk that matters: fsync is off.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_ROOT = Path("/usr/lib/postgresql")


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout), if any."""
    if not POSTGRES_ROOT.is_dir():
        return None
    versions = sorted(
        (p for p in POSTGRES_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
    )
    return versions[-1] / "bin" if versions else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    """One cluster in a temporary directory; `url` names its database `roost`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="roost-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.url = f"postgres://roost@127.0.0.1:{self.port}/roost"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "roost", "--auth=trust", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "roost", "roost")

    def _pg_ctl(self, *args: str) -> None:
        # The server's output goes to the log file: a pipe would keep the call waiting.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, *args)

    def start(self) -> None:
        self._pg_ctl("-w", "start")

    def restart_immediately(self) -> None:
        """Drop every connection at once, as a crash would, and come back up."""
        self._pg_ctl("-m", "immediate", "-w", "restart")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def throwaway_postgres(bin_dir: Path) -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres(bin_dir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.remove()
