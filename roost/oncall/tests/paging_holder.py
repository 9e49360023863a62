"""A worker that dies holding a batch, for the escalation fault test.

Usage: python -m roost.oncall.tests.paging_holder CLOCK_FILE
It takes one batch of due pages as `escalations_run` does, tells their steps inside
the batch's transaction, says "holding" on its standard output, and then waits,
its transaction open, until the test kills it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    import django

    django.setup()
    from roost.oncall.paging import engine
    from roost.oncall.paging.clock import clock_use
    from roost.oncall.tests.paging_worker import file_clock

    clock_use(file_clock(Path(sys.argv[1])))
    tell = engine.pages_escalate

    def tell_and_hold(**kwargs):  # type: ignore[no-untyped-def]
        told = tell(**kwargs)
        print("holding", len(told), flush=True)
        while True:
            time.sleep(60)

    engine.pages_escalate = tell_and_hold  # type: ignore[assignment]
    engine.escalations_run()
    return 1  # not reached: the test kills this process first


if __name__ == "__main__":
    sys.exit(main())
