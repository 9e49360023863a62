"""Time-limited grants end by themselves: the job that revokes expired grants.

A grant stops counting the moment it expires (`roost.core.permissions.in_force_q`); this
only tidies up, through the revoke service so that each is audited, and tells the person.
Kept apart from `roost.core.services`, which the notifications package itself uses.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError
from roost.core.models import Membership
from roost.core.notifications import notify
from roost.core.services import membership_revoke

logger = logging.getLogger(__name__)


def memberships_expire(*, now: dt.datetime | None = None) -> int:
    """Revoke every grant whose expiry has passed, as Roost itself, and tell each person;
    answers how many were revoked. Safe to run twice: a grant revoked already is skipped.

    The last organisation-wide admin is never revoked (the revoke refuses it); that grant
    stays expired, and so counts for nothing, until another admin is granted."""
    moment = now or timezone.now()
    due = (
        Membership.objects.filter(expires_at__lte=moment)
        .select_related("user__organization", "channel_group")
        .order_by("pk")
    )
    revoked = 0
    for membership in due:
        try:
            with transaction.atomic():
                membership_revoke(actor=SYSTEM, membership=membership, reason="expired")
                notify(
                    organization=membership.user.organization,
                    recipients=[membership.user],
                    subject=(
                        f"Your {membership.get_role_display()} role on "
                        f"{membership.scope_label} has expired"
                    ),
                    body=(
                        f"The time-limited {membership.get_role_display()} role on "
                        f"{membership.scope_label} ended on "
                        f"{membership.expires_at:%Y-%m-%d %H:%M} UTC and was revoked. Ask an "
                        "admin if you still need it."
                    ),
                    url=reverse("core:person", args=[membership.user_id]),
                )
        except ApplicationError as error:
            logger.warning("expired grant %s kept: %s", membership.pk, error.message)
            continue
        revoked += 1
    return revoked
