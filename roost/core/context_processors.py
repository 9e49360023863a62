from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roost.core.models import User
from roost.core.navigation import areas_for


def shell(request: HttpRequest) -> dict[str, Any]:
    # Lazy: only a page that draws the menu asks which areas open for the person.
    user = getattr(request, "user", None)
    return {
        "nav_areas": SimpleLazyObject(lambda: areas_for(user) if isinstance(user, User) else [])
    }
