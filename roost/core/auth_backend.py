"""Signing in with an e-mail address and a password, as Django's own backend does; a
signed-in request reads the person and their organisation in one query, since every
page needs both (the time zone, the two-factor policy, the tenancy of every query)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from roost.core.models import User


class PersonWithOrganizationBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("organization").get(pk=user_id)
        except (User.DoesNotExist, ValueError, TypeError):
            return None
        return user if self.user_can_authenticate(user) else None
