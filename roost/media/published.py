"""Signed public addresses for media that a network fetches itself.

Instagram, Threads, TikTok (photos) and Pinterest (some images) take a post's media
by address rather than as an upload: the network downloads it from Roost. The
address carries a signed token naming the stored file and its type: it needs no
sign-in, shows no id, cannot be forged or changed, and lasts `MAX_AGE` (an
Instagram container is kept a day; the rest fetch within minutes). Roost hands out
such addresses only when `ROOST_BASE_URL` is https, since a network fetches nothing
else; without one, the connectors of these networks refuse the post and say why.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "roost.media.published"
MAX_AGE = dt.timedelta(days=2)


def published_url(*, name: str, mime_type: str) -> str:
    """The public address of the stored file `name`, or "" when Roost has none."""
    base = str(getattr(settings, "ROOST_BASE_URL", "") or "")
    if not base.startswith("https://") or not name:
        return ""
    token = signing.dumps({"n": name, "m": mime_type}, salt=SALT, compress=True)
    return f"{base.rstrip('/')}{reverse('media:published', args=[token])}"


def published_file(token: str) -> tuple[str, str] | None:
    """The (stored name, type) a token names, or None when it is forged or too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    name, mime_type = data.get("n"), data.get("m")
    if not isinstance(name, str) or not isinstance(mime_type, str):
        return None
    return name, mime_type
