"""A publishing worker for bench/publish_burst.py: sender threads until nothing is left.

Prints one JSON line: {"peak_rss_mb": ..., "sent": ...}.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")

import django

django.setup()

from roost.publishing.dispatch import Dispatcher  # noqa: E402
from roost.publishing.models import Variant, VariantState  # noqa: E402


def main() -> None:
    senders = int(sys.argv[1])
    start_at = float(sys.argv[2])
    time.sleep(max(0.0, start_at - time.time()))
    threads = [Dispatcher(interval=0.02, batch=2) for _ in range(senders)]
    for thread in threads:
        thread.start()
    idle_since = None
    while True:
        time.sleep(0.2)
        busy = Variant.objects.filter(
            state__in=[VariantState.SCHEDULED, VariantState.SENDING]
        ).exists()
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 1.0:
            break
    for thread in threads:
        thread.stop()
    for thread in threads:
        thread.join(timeout=10)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mb": round(peak_kb / 1024, 1)}))


if __name__ == "__main__":
    main()
