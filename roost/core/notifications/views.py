from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from roost.core.notifications import selectors, services
from roost.core.views.viewer import viewer_of

SHOWN = 100


@require_safe
@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    notifications = list(selectors.notification_list(viewer=viewer)[:SHOWN])
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": notifications,
            "unread": sum(1 for n in notifications if not n.is_read),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    notification = selectors.notification_get(viewer=viewer, notification_id=notification_id)
    services.notification_mark_read(actor=viewer, notification=notification)
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(actor=viewer_of(request))
    return redirect("notifications:list")
