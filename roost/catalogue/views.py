"""Pages that show the platform catalogue. Thin: call a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from roost.catalogue import selectors
from roost.core.models import User

AREA = "settings"


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    book = selectors.catalogue_get(viewer=viewer)
    context = {"area": AREA, "catalogue": book, "networks": book.networks}
    return render(request, "catalogue/index.html", context)


@require_safe
@login_required
def network(request: HttpRequest, key: str) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    found = selectors.network_get(viewer=viewer, key=key)
    return render(request, "catalogue/network.html", {"area": AREA, "network": found})


@require_safe
@login_required
def changes(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)
    book = selectors.catalogue_get(viewer=viewer)
    context = {"area": AREA, "catalogue": book, "changes": selectors.change_list(viewer=viewer)}
    return render(request, "catalogue/changes.html", context)
