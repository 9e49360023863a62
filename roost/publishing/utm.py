"""UTM tags on links, per channel and campaign."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def tag_link(url: str, *, source: str, campaign: str = "", medium: str = "social") -> str:
    """The link with utm_source/medium/campaign added; tags already present are kept."""
    if not url:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    wanted = {"utm_source": source, "utm_medium": medium}
    if campaign:
        wanted["utm_campaign"] = campaign
    for key, value in wanted.items():
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))
