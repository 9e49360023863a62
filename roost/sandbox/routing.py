"""The sandbox network keeps its state in a database of its own.

Like a real network, it must not share Roost's transactions: a post it has
accepted stays accepted when Roost's worker dies before committing. The
`sandbox` alias is a separate connection (by default a SQLite file beside
Roost's own), so its commits never wait for, or roll back with, Roost's.
"""

from __future__ import annotations

from typing import Any

SANDBOX_DB = "sandbox"
SANDBOX_APP = "sandbox"


class SandboxRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return SANDBOX_DB if model._meta.app_label == SANDBOX_APP else None  # type: ignore[attr-defined]

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return SANDBOX_DB if model._meta.app_label == SANDBOX_APP else None  # type: ignore[attr-defined]

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        labels = {obj1._meta.app_label, obj2._meta.app_label}
        if SANDBOX_APP in labels:
            return labels == {SANDBOX_APP}
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db == SANDBOX_DB:
            return app_label == SANDBOX_APP
        if app_label == SANDBOX_APP:
            return False
        return None
