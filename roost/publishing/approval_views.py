"""Publish → Approvals: the queue, a post's approval panel, and submit/approve/reject.

The composer shows the same panel: it includes `publishing/_approval_panel.html` with
`post` and `approval = approval_context(viewer=..., post=...)` in its context.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.htmx import HtmxHttpRequest
from roost.core.text_input import id_from
from roost.core.views.viewer import viewer_of
from roost.publishing.approvals import decisions
from roost.publishing.approvals import selectors as approval_selectors
from roost.publishing.approvals.panel import approval_context
from roost.publishing.media_attach import post_media_previews
from roost.publishing.models import Post

PANEL = "publishing/_approval_panel.html"


def _panel(request: HtmxHttpRequest, post: Post, *, error: str = "") -> HttpResponse:
    context = approval_context(viewer=viewer_of(request), post=post)
    context["error"] = error
    # After a swap the page's own address is where a later plain form post returns.
    context["next"] = request.htmx.current_url_abs_path or ""
    return render(request, PANEL, {"post": post, "approval": context})


def _back(request: HttpRequest, post: Post) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("approvals:post", post_id=post.pk)


def _act(
    request: HtmxHttpRequest, post: Post, done: str, action: Callable[[], Post]
) -> HttpResponse:
    """Call the service; a refusal the person can fix is shown, others go to the error page."""
    try:
        post = action()
    except ApplicationError as error:
        if error.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND):
            raise
        if request.htmx:
            return _panel(request, post, error=error.message)
        messages.error(request, error.message)
        return _back(request, post)
    if request.htmx:
        return _panel(request, post)
    messages.success(request, done)
    return _back(request, post)


def _version(request: HttpRequest) -> int | None:
    return id_from(request.POST.get("version"))


@require_safe
@login_required
def approval_queue(request: HttpRequest) -> HttpResponse:
    rows = approval_selectors.approval_queue_rows(viewer=viewer_of(request))
    return render(request, "publishing/approval_queue.html", {"area": "publish", "rows": rows})


@require_safe
@login_required
def approval_post(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    if request.htmx:
        return _panel(request, post)
    variants = list(post.variants.select_related("channel"))
    previews = post_media_previews(post=post, variants=variants)
    context = {
        "area": "publish",
        "post": post,
        "rows": [(variant, previews[variant.pk]) for variant in variants],
        "approval": approval_context(viewer=viewer, post=post),
    }
    return render(request, "publishing/approval_post.html", context)


@login_required
@require_POST
def approval_submit(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    return _act(
        request,
        post,
        "Sent for approval.",
        lambda: decisions.post_submit(post=post, actor=viewer),
    )


@login_required
@require_POST
def approval_approve(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    return _act(
        request,
        post,
        "Approved.",
        lambda: decisions.post_approve(
            post=post,
            approver=viewer,
            comment=request.POST.get("comment", ""),
            version=_version(request),
        ),
    )


@login_required
@require_POST
def approval_reject(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    post = approval_selectors.approval_post_get(viewer=viewer, post_id=post_id)
    return _act(
        request,
        post,
        "Rejected: the author has been told.",
        lambda: decisions.post_reject(
            post=post,
            approver=viewer,
            comment=request.POST.get("comment", ""),
            version=_version(request),
        ),
    )
