"""Conditional answers for the parts of a page that poll.

A page part that asks the server every few seconds mostly finds nothing new. The view
reads what the part shows (the rows of a page, their count) once, and names the parts
the answer depends on; the first answer carries an ETag made of them, the browser keeps
the answer and asks again with If-None-Match, and while they are unchanged the answer is
304 Not Modified: no template, no second read. htmx needs nothing for this:
its requests go through the browser's HTTP cache, which sends If-None-Match itself and
hands the kept body back to htmx as the answer.

The ETag is a keyed digest of the viewer (who they are, their time zone), the address
asked and the parts, so one person's answer never matches another's page. Parts
that show times relative to now ("due in 12 min") or names from other tables also carry
a period: the ETag changes once per period, at a moment spread by viewer, so such text
is never older than the period.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from roost.core.models import User

REFRESH_SECONDS = 60


def poll_etag(
    request: HttpRequest, viewer: User, parts: Iterable[object], *, refresh: int = REFRESH_SECONDS
) -> str:
    """The ETag of what `viewer` sees at this address while `parts` stay the same."""
    digest = hashlib.blake2b(
        key=settings.SECRET_KEY.encode()[:64], digest_size=16, person=b"roost-poll"
    )
    # The period's boundary falls at a different second for each viewer, so that
    # a room full of open inboxes does not render them all in the same second.
    period = int((time.time() + (viewer.pk * 7919) % refresh) // refresh) if refresh else 0
    head = (viewer.pk, viewer.organization_id, viewer.time_zone, request.get_full_path(), period)
    digest.update(repr(head).encode())
    for part in parts:
        digest.update(b"\x1e")
        digest.update(repr(part).encode())
    return f'"{digest.hexdigest()}"'


def _matches(request: HttpRequest, etag: str) -> bool:
    asked = parse_etags(request.headers.get("If-None-Match", ""))
    return etag in asked or f"W/{etag}" in asked


def answer_conditionally(
    request: HttpRequest,
    viewer: User,
    parts: Iterable[object],
    render: Callable[[], HttpResponse],
    *,
    refresh: int = REFRESH_SECONDS,
) -> HttpResponse:
    """304 when the browser already holds what `parts` describe, else `render()`; either
    way with the ETag, kept by the browser and asked about again before every use.

    For a view that reads its rows once and both validates and renders from them."""
    etag = poll_etag(request, viewer, parts, refresh=refresh)
    if _matches(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = render()
        if response.status_code != 200:
            return response
    response["ETag"] = etag
    # Kept by the browser, but asked about again before every use; never shared.
    patch_cache_control(response, private=True, no_cache=True)
    # The whole page and the part polled share an address.
    patch_vary_headers(response, ("HX-Request",))
    return response


def is_poll(request: HttpRequest) -> bool:
    """An HTMX GET: a part of a page asking again."""
    return request.method in ("GET", "HEAD") and bool(request.headers.get("HX-Request"))
