from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from roost.core.navigation import AREAS


def shell(request: HttpRequest) -> dict[str, Any]:
    return {"nav_areas": AREAS}
