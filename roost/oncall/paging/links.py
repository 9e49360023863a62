"""One-time links in a page's notifications: acknowledge or resolve without signing in.

The link carries a random secret, signed so that a forged or altered link is turned
away before the database is asked. Only the SHA-256 digest of the secret is stored;
the link expires (on the paging clock) and is spent by its first use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from roost.core.models import User
from roost.oncall.models import Page, PageLink
from roost.oncall.paging import clock

SALT = "roost.oncall.page-link"


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "ROOST_PAGE_LINK_HOURS", 24))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def page_link_create(*, page: Page, person: User, purpose: str) -> str:
    """A new link's token (shown once, in the notification). Inside the step's transaction."""
    return page_links_create(wanted=[(page, person, purpose)])[0]


def page_links_create(*, wanted: list[tuple[Page, User, str]]) -> list[str]:
    """New links, one per (page, person, purpose), written in one query; their tokens
    in the same order."""
    expires_at = clock.now() + link_lifetime()
    signer = signing.Signer(salt=SALT)
    secrets_made = [secrets.token_urlsafe(24) for _ in wanted]
    PageLink.objects.bulk_create(
        PageLink(
            organization_id=page.organization_id,
            page=page,
            person=person,
            purpose=PageLink.Purpose(purpose),
            digest=_digest(secret),
            expires_at=expires_at,
        )
        for (page, person, purpose), secret in zip(wanted, secrets_made, strict=True)
    )
    return [signer.sign(secret) for secret in secrets_made]


def link_url(token: str) -> str:
    path = reverse("oncall:page_link", args=[token])
    base = getattr(settings, "ROOST_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{path}"


def link_find(token: str) -> PageLink | None:
    """The link a token names, spent or not; None for a forged or unknown token."""
    try:
        secret = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (
        PageLink.objects.select_related("page", "person", "page__organization")
        .filter(digest=_digest(secret))
        .first()
    )
