"""The demo's access story: a temporary cover that ends by itself and a dormant account,
so the access pages and the risk dashboard have something to show on first sign-in."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from roost.core import services
from roost.core.models import ChannelGroup, Membership, Organization, Role, User

COVER_DAYS = 5
DORMANT_DAYS = 75


def seed_demo_access(org: Organization, *, now: dt.datetime | None = None) -> None:
    """Victor covers the Corporate reports for a few days (granted by Ada, ending by
    itself) and has not signed in for months. Seeded once."""
    moment = now or timezone.now()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    group = ChannelGroup.objects.filter(organization=org, name="Corporate").first()
    victor, ada = people.get("victor"), people.get("ada")
    if group is None or victor is None or ada is None:
        return
    if Membership.objects.filter(user=victor, role=Role.ANALYST, channel_group=group).exists():
        return
    with transaction.atomic():
        services.membership_grant(
            actor=ada,
            user=victor,
            role=Role.ANALYST,
            channel_group=group,
            # From the real clock: a grant cannot be seeded already expired.
            expires_at=max(moment, timezone.now()) + dt.timedelta(days=COVER_DAYS),
        )
        # History no service writes: Victor's last sign-in, months ago.
        User.objects.filter(pk=victor.pk, last_login__isnull=True).update(
            last_login=moment - dt.timedelta(days=DORMANT_DAYS)
        )
