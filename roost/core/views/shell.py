"""Today, and the areas of the product that are not built yet."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from roost.core.models import User
from roost.core.navigation import AREAS_BY_KEY
from roost.core.permissions import Action, primary_role, require
from roost.core.selectors import membership_list
from roost.core.today import today_cards
from roost.core.two_factor import two_factor_required
from roost.core.views.viewer import viewer_of

# How often an open Today asks whether anything changed.
TODAY_POLL_SECONDS = 30


def _cards(request: HttpRequest, user: User) -> tuple[SafeString, str]:
    """Today's cards as HTML, and the entity tag that names that HTML."""
    cards = today_cards(viewer=user, now=timezone.now())
    html = render_to_string(
        "core/_today_cards.html",
        {
            "busy": [card for card in cards if not card.is_empty],
            "clear": [card for card in cards if card.is_empty],
        },
        request=request,
    )
    etag = '"' + hashlib.sha256(html.encode()).hexdigest()[:32] + '"'
    return mark_safe(html), etag  # the template engine escaped it


@require_safe
@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = viewer_of(request)
    require(user, Action.ORG_VIEW)
    role = primary_role(user)
    cards, etag = _cards(request, user)
    context = {
        "area": "today",
        "organization": user.organization,
        "role": role.label if role else "No role yet",
        "memberships": membership_list(viewer=user, user=user),
        "local_now": timezone.localtime(timezone.now()),
        "two_factor_off": not two_factor_required(user),
        "cards": cards,
        "etag": etag,
        "poll_seconds": TODAY_POLL_SECONDS,
    }
    return render(request, "core/today.html", context)


@login_required
@require_safe
def today_cards_partial(request: HttpRequest) -> HttpResponse:
    """The cards alone, for the page's polling. The answer is named by a hash of its
    HTML: asked with that name (If-None-Match), it is 304 Not Modified and no body, so
    an unchanged Today costs its queries but neither the transfer nor the page's swap."""
    user = viewer_of(request)
    require(user, Action.ORG_VIEW)
    html, etag = _cards(request, user)
    asked = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    response = HttpResponseNotModified() if etag in asked else HttpResponse(html)
    response["ETag"] = etag
    # Personal, and to be asked again every time: the browser may keep it only to
    # revalidate with the tag.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def area_view(key: str):  # type: ignore[no-untyped-def]
    area = AREAS_BY_KEY[key]

    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/area_not_built.html", {"area": key, "area_info": area})

    view.__name__ = f"area_{key}"
    return view


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
