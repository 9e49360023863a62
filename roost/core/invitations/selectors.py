"""Reading invitations: the viewer's organisation only, and only for those who may invite."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from roost.core.invitations.models import Invitation, InvitationGrant, InvitationPolicy
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.text_input import MAX_ID


def invitation_list(*, viewer: User) -> QuerySet[Invitation]:
    require(viewer, Action.USER_INVITE)
    return (
        Invitation.objects.filter(organization_id=viewer.organization_id)
        .select_related("invited_by", "accepted_user", "revoked_by")
        .prefetch_related(
            Prefetch("grants", queryset=InvitationGrant.objects.select_related("channel_group"))
        )
        .order_by("-created_at", "-pk")
    )


def invitation_get(*, viewer: User, invitation_id: int) -> Invitation:
    """404 for another organisation's invitation, and for an id no row could have."""
    if not 0 < invitation_id <= MAX_ID:
        return get_object_or_404(Invitation.objects.none())
    return get_object_or_404(invitation_list(viewer=viewer), pk=invitation_id)


def invitation_policy_get(*, viewer: User) -> InvitationPolicy | None:
    require(viewer, Action.USER_INVITE)
    return InvitationPolicy.objects.filter(organization_id=viewer.organization_id).first()
