"""The invitations' row locks, on top of `roost.core.locks`."""

from __future__ import annotations

from roost.core.invitations.models import Invitation, InvitationPolicy
from roost.core.locks import locked_one
from roost.core.models import Organization


def invitation_locked(invitation_id: int) -> Invitation:
    """The invitation, locked (its own row only), with its organisation and inviter."""
    queryset = Invitation.objects.select_related("organization", "invited_by")
    return locked_one(queryset, invitation_id, of=("self",))


def invitation_policy_locked(organization: Organization) -> InvitationPolicy:
    """The organisation's policy row, made when missing, locked."""
    InvitationPolicy.objects.get_or_create(organization=organization)
    return locked_one(
        InvitationPolicy.objects.filter(organization=organization),
        InvitationPolicy.objects.get(organization=organization).pk,
    )
