"""`roost worker` on a clock read from a file, for the escalation fault test.

Usage: python -m roost.oncall.tests.paging_worker CLOCK_FILE [worker options...]
The file holds one ISO 8601 time; the test moves it forward, and every process that
reads paging's clock (the test and its workers) sees the same moment.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path


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
