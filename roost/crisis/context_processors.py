from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roost.core.models import User

MISSING = object()


def crisis_banner(request: HttpRequest) -> dict[str, Any]:
    """Crisis mode, when it is on, for the banner every page of the organisation shows.

    Whether it is on was read with the person (`crisis_mode_on_id`, see `apps.py`), so a
    page costs no query for it while crisis mode is off."""
    user = getattr(request, "user", None)

    def on() -> Any:
        from roost.crisis.selectors import crisis_mode_on

        if not isinstance(user, User):
            return None
        known = getattr(user, "crisis_mode_on_id", MISSING)
        if known is None:
            return None
        return crisis_mode_on(organization_id=user.organization_id)

    return {"crisis_on": SimpleLazyObject(on)}
