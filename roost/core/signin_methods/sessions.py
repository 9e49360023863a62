"""What a signed-in browser session keeps about its sign-in, by key.

The middleware (`roost.core.middleware`) reads these on every request; the sign-in
views write them."""

from __future__ import annotations

import time

from django.http import HttpRequest

LAST_SEEN_KEY = "roost_last_seen"
SIGNED_IN_AT_KEY = "roost_signed_in_at"
# Set at sign-in when the person owes a second factor although the organisation does not
# require one: they have set one up (an app or a key), so it is asked for.
SECOND_FACTOR_DUE_KEY = "roost_second_factor_due"


def session_started(request: HttpRequest, *, now: int | None = None, lifetime_seconds: int) -> None:
    """Mark the session as signed in now; its cookie lasts no longer than the lifetime."""
    now = int(time.time()) if now is None else now
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[LAST_SEEN_KEY] = now
    request.session.set_expiry(lifetime_seconds)
