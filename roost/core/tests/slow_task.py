"""A task for the task runner's tests, and a way to queue it in a fresh database.

Usage: python -m roost.core.tests.slow_task PATH SECONDS
Migrates the database named by DATABASE_URL and queues one `note_and_wait`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from django_tasks import task


@task()
def note_and_wait(*, path: str, seconds: float) -> None:
    """Note the run in the file at `path`, then take `seconds`."""
    with Path(path).open("a") as notes:
        notes.write("ran\n")
    time.sleep(seconds)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    import django

    django.setup()
    from django.core.management import call_command

    # Through its module's name: the worker imports the task by the path stored with it.
    from roost.core.tests.slow_task import note_and_wait as by_name

    call_command("migrate", interactive=False, verbosity=0)
    by_name.enqueue(path=sys.argv[1], seconds=float(sys.argv[2]))
