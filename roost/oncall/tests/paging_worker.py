"""`roost worker` on a clock read from a file, for the escalation fault test.

Usage: python -m roost.oncall.tests.paging_worker CLOCK_FILE [worker options...]
The file holds one ISO 8601 time; the test moves it forward, and every process that
reads paging's clock (the test and its workers) sees the same moment.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path


def worker_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process on the test's own databases."""
    from django.conf import settings
    from django.db import connections

    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roost.config.settings.demo",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}",
        "ROOST_SANDBOX_DATABASE_URL": f"sqlite:///{connections['sandbox'].settings_dict['NAME']}",
        "ROOST_VAR_DIR": str(tmp_path / "var"),
        "ROOST_EMAIL_URL": f"file://{tmp_path / 'mail'}",
    }


def file_clock(path: Path):  # type: ignore[no-untyped-def]
    def read() -> dt.datetime:
        return dt.datetime.fromisoformat(path.read_text().strip())

    return read


def main() -> int:
    from roost.cli import main as roost
    from roost.oncall.paging.clock import clock_use

    clock_use(file_clock(Path(sys.argv[1])))
    return roost(["worker", *sys.argv[2:]])


if __name__ == "__main__":
    sys.exit(main())
