"""What every benchmark shares: a fresh Roost database to measure against."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django(var_dir: str) -> None:
    """Roost's demo settings on a new SQLite file in `var_dir` (or DATABASE_URL), migrated."""
    os.environ["ROOST_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
