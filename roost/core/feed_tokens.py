"""Calendar-feed links: a secret token per person, stored as a digest, shown once.

A calendar app cannot sign in, so the feed URL carries a token that stands for
the person. It is random (not derived from the secret key, so knowing the key
mints nothing), only its SHA-256 digest is stored, issuing a new one revokes
the old, and it can be revoked outright; every change is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from roost.core import audit, locks
from roost.core.actors import Actor
from roost.core.models import FeedToken, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization

LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token_issue(*, user: User) -> str:
    """A new feed token for `user`, returned once; any earlier one stops working."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # The person's row orders concurrent issues, so one token stays live.
        locks.user_locked(user.pk)
        previous = locks.live_feed_token_locked(user)
        if previous is not None:
            previous.revoked_at = now
            previous.save(update_fields=["revoked_at"])
        issued = FeedToken.objects.create(
            organization_id=user.organization_id, user=user, digest=_digest(token), created_at=now
        )
        audit.record(
            organization=user.organization,
            actor=user,
            action="core.feed_token.issued",
            target=user,
            after={"feed_token": issued.pk, "replaces": previous.pk if previous else None},
        )
    return token


def feed_token_revoke(*, user: User, actor: Actor) -> bool:
    """Revoke `user`'s live feed token; False when there was none. `actor` is the person
    themselves, or an admin offboarding them."""
    if not (isinstance(actor, User) and actor.pk == user.pk):
        require_same_organization(actor, user, noun="Person")
        require(actor, Action.USER_DEACTIVATE)
    with transaction.atomic():
        live = locks.live_feed_token_locked(user)
        if live is None:
            return False
        live.revoked_at = timezone.now()
        live.save(update_fields=["revoked_at"])
        audit.record(
            organization=user.organization,
            actor=actor,
            action="core.feed_token.revoked",
            target=user,
            after={"feed_token": live.pk},
        )
    return True


def feed_token_current(*, user: User) -> FeedToken | None:
    """The person's live feed token (its dates, never the token itself)."""
    return FeedToken.objects.filter(
        organization_id=user.organization_id, user=user, revoked_at__isnull=True
    ).first()


def feed_token_owner(*, token: str) -> User | None:
    """The active person a live token stands for, or None."""
    if not token or len(token) > 100:
        return None
    found = (
        FeedToken.objects.filter(digest=_digest(token), revoked_at__isnull=True)
        .select_related("user__organization")
        .first()
    )
    if found is None or not found.user.is_active:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
        FeedToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user
