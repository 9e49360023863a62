"""The sandbox network's own pages, inside Roost: what its links open, and the demo's
mailbox (`roost.sandbox.mail`).

Each page is read through `roost.sandbox.network_pages`, which answers 404 unless the
viewer's organisation has a channel connected to the account and the viewer may see it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from roost.core.models import User
from roost.sandbox import mail, network_pages


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


@require_safe
@login_required
def mailbox(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    everyone = request.GET.get("all") == "1" and mail.mail_may_see_all(viewer)
    context = {
        "area": "settings",
        "mails": mail.mail_list(viewer=viewer, everyone=everyone),
        "everyone": everyone,
        "may_see_all": mail.mail_may_see_all(viewer),
    }
    return render(request, "sandbox/mail/mailbox.html", context)


@login_required
def mail_message(request: HttpRequest, mail_id: int) -> HttpResponse:
    kept = mail.mail_get(viewer=_viewer(request), mail_id=mail_id)
    context = {"area": "settings", "mail": kept, "body": mail.mail_linked(kept.body)}
    return render(request, "sandbox/mail/message.html", context)
