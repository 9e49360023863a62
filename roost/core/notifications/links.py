"""Links in messages read outside Roost (e-mail, chat, webhooks) must be complete."""

from __future__ import annotations

from django.conf import settings


def absolute_url(url: str) -> str:
    """`url` with `ROOST_BASE_URL` in front when it is a path; unchanged when it is
    already complete, or when no base URL is configured."""
    base = getattr(settings, "ROOST_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{url}" if url.startswith("/") and base else url
