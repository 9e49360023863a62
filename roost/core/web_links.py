"""Addresses that came from outside (a feed, a network's answer) and end up in a link."""

from __future__ import annotations

from urllib.parse import urlsplit


def web_link(value: str) -> str:
    """The address when it is an http or https one, else "": a page may put it in an
    href, where `javascript:` or `data:` would run in the reader's browser."""
    value = value.strip()
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https") or any(c.isspace() or ord(c) < 32 for c in value):
        return ""
    return value
