"""The demo's invitations: an allowed domain and one invitation waiting to be accepted."""

from __future__ import annotations

from django.db import transaction

from roost.core.invitations.models import Invitation, InvitationPolicy
from roost.core.invitations.services import invitation_policy_set, invitations_create
from roost.core.models import ChannelGroup, Organization, Role, User

DEMO_DOMAIN = "northwind.example"
DEMO_INVITEE = "new.hire@northwind.example"


def seed_demo_invitations(org: Organization) -> None:
    """Keep what exists; an invitation is made once (its link is in the demo's mail log)."""
    admin = User.objects.filter(organization=org, email="ada@northwind.example").first()
    if admin is None:
        return
    with transaction.atomic():
        if not InvitationPolicy.objects.filter(organization=org).exists():
            invitation_policy_set(
                organization=org, actor=admin, allowed_email_domains=[DEMO_DOMAIN]
            )
        if not Invitation.objects.filter(organization=org).exists():
            group = ChannelGroup.objects.filter(organization=org, name="Consumer EMEA").first()
            invitations_create(
                organization=org,
                actor=admin,
                emails=[DEMO_INVITEE],
                roles=[Role.PUBLISHER],
                channel_groups=[group] if group else [],
            )
