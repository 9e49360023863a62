"""A publishing worker process for the fault tests: dispatch until nothing is left.

Usage: python -m roost.publishing.tests.dispatch_worker
Database settings come from DATABASE_URL and ROOST_SANDBOX_DATABASE_URL. Like `roost
worker`, it keeps a lease alive and its sender threads ask the shared gate. Channels
may also use the test connector of `roost.publishing.tests.keyless`.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.test")

import django

django.setup()

from roost.publishing.dispatch import (  # noqa: E402
    dispatch_once,
    variants_recover_orphans,
    worker_name,
)
from roost.publishing.models import Variant, VariantState  # noqa: E402
from roost.publishing.tests import keyless  # noqa: E402
from roost.publishing.worker import LeaseKeeper  # noqa: E402


def main() -> None:
    keyless.register()
    worker = worker_name()
    lease = LeaseKeeper()
    lease.start()
    pool = ThreadPoolExecutor(max_workers=4)  # network calls side by side, as in `roost worker`
    idle = 0
    while idle < 20:
        variants_recover_orphans()
        if dispatch_once(worker=worker, limit=8, pool=pool, lease=lease.lease_id):
            idle = 0
            continue
        pending = Variant.objects.filter(
            state__in=[VariantState.SCHEDULED, VariantState.SENDING]
        ).exists()
        idle = 0 if pending else idle + 1
        time.sleep(0.1)
    lease.stop()


if __name__ == "__main__":
    main()
