"""The sandbox network's own pages, inside Roost: what its links open.

Each page is read through `roost.sandbox.network_pages`, which answers 404 unless the
viewer's organisation has a channel connected to the account and the viewer may see it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from roost.core.models import User
from roost.sandbox import network_pages


def _viewer(request: HttpRequest) -> User:
    viewer = request.user
    assert isinstance(viewer, User)
    return viewer


@login_required
def account(request: HttpRequest, network: str, handle: str) -> HttpResponse:
    page = network_pages.account_page(viewer=_viewer(request), network=network, handle=handle)
    return render(request, "sandbox/network/account.html", {"area": "settings", "page": page})


@login_required
def post(request: HttpRequest, network: str, handle: str, external_id: str) -> HttpResponse:
    page = network_pages.post_page(
        viewer=_viewer(request), network=network, handle=handle, external_id=external_id
    )
    return render(request, "sandbox/network/post.html", {"area": "settings", "page": page})


@login_required
def message(request: HttpRequest, network: str, handle: str, external_id: str) -> HttpResponse:
    page = network_pages.message_page(
        viewer=_viewer(request), network=network, account_handle=handle, external_id=external_id
    )
    return render(request, "sandbox/network/message.html", {"area": "settings", "page": page})
