"""A publishing worker for bench/publish_burst.py, running as `roost worker` does.

Prints "ready" once its threads run, publishes until a line arrives on stdin, then
prints one JSON line: {"peak_rss_mb": ...}.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")

import django

django.setup()

from roost.publishing.worker import Publishing  # noqa: E402


def main() -> None:
    senders = int(sys.argv[1])
    publishing = Publishing(senders=senders, interval=0.02)
    publishing.start()
    print("ready", flush=True)
    sys.stdin.readline()  # the benchmark says when its posts are all out
    publishing.stop(timeout=10)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = round(usage.ru_utime + usage.ru_stime, 2)
    print(json.dumps({"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "cpu_s": cpu}), flush=True)


if __name__ == "__main__":
    main()
