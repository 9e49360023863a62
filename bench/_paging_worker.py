"""`roost worker` for bench/paging.py, on the benchmark's controlled clock.

Usage: _paging_worker.py CLOCK_FILE. The file holds one ISO 8601 time that the
benchmark moves forward; paging reads its time from it, everything else from the wall.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")


def main() -> int:
    from roost.cli import main as roost
    from roost.oncall.paging.clock import clock_use

    moment = Path(sys.argv[1])
    clock_use(lambda: dt.datetime.fromisoformat(moment.read_text().strip()))
    return roost(["worker", "--settings", "demo", "--interval", "0.1", "--clock-interval", "0.5"])


if __name__ == "__main__":
    sys.exit(main())
