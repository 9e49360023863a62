"""Small pieces of the split inbox's rows: the first line of a message and a network's
short mark."""

from __future__ import annotations

from django import template

register = template.Library()

# A network's mark in a queue row; any other network shows its first two letters.
_MARKS = {
    "x": "X",
    "facebook": "f",
    "instagram": "IG",
    "linkedin": "in",
    "tiktok": "TT",
    "youtube": "YT",
    "bluesky": "BS",
    "threads": "@",
    "mastodon": "M",
    "pinterest": "P",
}


@register.filter
def first_line(text: str | None) -> str:
    """The first line of `text` that has anything on it."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


@register.filter
def network_mark(network: str) -> str:
    return _MARKS.get(network, network[:2].upper())


@register.filter
def thousands(value: int) -> str:
    """64500 -> "64,500"."""
    return f"{value:,}"
