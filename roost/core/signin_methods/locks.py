"""The sign-in methods' row locks, on top of `roost.core.locks`."""

from __future__ import annotations

from roost.core.locks import locked
from roost.core.models import Organization
from roost.core.signin_methods.models import IdentityProvider


def organization_policy_locked(organization_id: int) -> Organization:
    """The organisation's row, locked while its sign-in policy changes (two-factor
    enforcement lives on it; the policy row may not exist yet)."""
    return locked(Organization.objects.filter(pk=organization_id))[0]


def identity_provider_locked(organization_id: int) -> IdentityProvider | None:
    """The organisation's provider, locked, or None when it has none yet. Call with the
    organisation's row locked, so two first saves queue instead of racing."""
    rows = locked(IdentityProvider.objects.filter(organization_id=organization_id))
    return rows[0] if rows else None
