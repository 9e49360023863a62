"""How a service starts background work without importing its tasks.

The rule, everywhere: a task module imports the service it runs; a service that
needs work done later names the task by its import path here, after the
transaction commits. So services never import tasks, and no cycle runs through
a `tasks.py`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def enqueue_after_commit(task_path: str, **kwargs: Any) -> None:
    """Enqueue the task at `task_path` (e.g. "roost.media.tasks.generate_renditions")
    with keyword arguments once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: import_string(task_path).enqueue(**kwargs))
