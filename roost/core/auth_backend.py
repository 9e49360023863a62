"""Signing in with an e-mail address and a password, as Django's own backend does; a
signed-in request reads the person and their organisation in one query, since every
page needs both (the time zone, the two-factor policy, the tenancy of every query).

Apps above core that every page needs a fact from (is crisis mode on for the
organisation?) add it to that same query with `person_annotation_declare`, at start-up,
rather than each costing a query of its own on every page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.backends import ModelBackend

from roost.core.models import User

# name -> a function answering the expression (built late: models are not ready at import).
_annotations: dict[str, Callable[[], Any]] = {}


def person_annotation_declare(*, name: str, expression: Callable[[], Any]) -> None:
    """Read `expression()` (a subquery on the person's row) as `user.<name>` whenever a
    signed-in request reads the person. Declaring the same name again replaces it."""
    _annotations[name] = expression


class PersonWithOrganizationBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        extra = {name: expression() for name, expression in _annotations.items()}
        try:
            user = User.objects.select_related("organization").annotate(**extra).get(pk=user_id)
        except (User.DoesNotExist, ValueError, TypeError):
            return None
        return user if self.user_can_authenticate(user) else None
