"""The signed-in person behind a request, typed, for views behind `login_required`."""

from __future__ import annotations

from django.http import HttpRequest

from roost.core.models import User


def viewer_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "only for views behind login_required"
    return user
