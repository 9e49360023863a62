"""The inbound webhook: the endpoint networks push to, and its settings for one channel."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from roost.channels import selectors as channel_selectors
from roost.channels.inbound_webhook import (
    WebhookIssued,
    channel_webhook_disable,
    channel_webhook_enable,
    channel_webhook_enabled_at,
    channel_webhook_id,
    channel_webhook_rotate,
)
from roost.channels.models import Channel
from roost.core.errors import ApplicationError
from roost.core.htmx import HtmxHttpRequest
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.core.problem_json import problem
from roost.core.views.viewer import viewer_of
from roost.inbox.webhooks import deliveries, linkedin, meta, network_push, selectors, x

logger = logging.getLogger(__name__)


def _read_body(request: HttpRequest) -> tuple[bytes, int]:
    """(body, its length); past the limit only the part a receipt keeps is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        declared = -1
    if declared > deliveries.MAX_BODY_BYTES:
        return request.read(deliveries.RECEIPT_BODY_BYTES), declared
    body = request.read(deliveries.MAX_BODY_BYTES + 1)
    return body, len(body)


@csrf_exempt  # a machine endpoint: the signature, not a session, authenticates it
def webhook_receive(request: HttpRequest, webhook_id: str) -> HttpResponse:
    if request.method != "POST":
        response = problem(
            request,
            status=405,
            code="method_not_allowed",
            detail="Webhook deliveries are sent with POST.",
        )
        response["Allow"] = "POST"
        return response
    try:
        body, size = _read_body(request)
        result = deliveries.webhook_receive(
            webhook_id=webhook_id,
            body=body,
            body_size=size,
            signature=request.headers.get(deliveries.SIGNATURE_HEADER),
            remote_addr=request.META.get("REMOTE_ADDR") or "",
        )
    except Exception:
        # Nothing was kept (the receipt could not be written): ask for the delivery again.
        logger.exception("A webhook delivery could not be received")
        return problem(
            request,
            status=503,
            code="unavailable",
            detail="Roost could not take the delivery; send it again later.",
        )
    if result.status < 300:
        answer = {
            "status": result.code,
            "receipt": result.receipt_id,
            "stored": result.stored,
            "detail": result.detail,
        }
        return JsonResponse(answer, status=result.status)
    extra: dict[str, object] = {}
    if result.receipt_id is not None:
        extra["receipt"] = result.receipt_id
    if result.errors:
        extra["errors"] = result.errors
    response = problem(
        request, status=result.status, code=result.code, detail=result.detail, **extra
    )
    if result.status == 401:
        response["WWW-Authenticate"] = deliveries.SIGNATURE_HEADER
    return response


def _settings_context(
    request: HttpRequest, *, viewer: User, channel: Channel, issued: WebhookIssued | None = None
) -> dict[str, object]:
    webhook_id = channel_webhook_id(channel)
    url = ""
    if webhook_id is not None:
        url = request.build_absolute_uri(reverse("inbox_webhooks:receive", args=[webhook_id]))
    return {
        "area": "settings",
        "channel": channel,
        "webhook_url": url,
        "enabled_at": channel_webhook_enabled_at(channel),
        "can_change": can(
            viewer, Action.CHANNEL_WEBHOOK_MANAGE, channel_group=channel.channel_group
        ),
        "issued": issued,
    }


@login_required
def channel_webhook(request: HtmxHttpRequest, channel_id: int) -> HttpResponse:
    """The webhook's page: address, enable and rotate, and recent deliveries.

    Asked by HTMX (from the channel's page), only the address panel is sent.
    """
    viewer = viewer_of(request)
    channel = channel_selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    context = _settings_context(request, viewer=viewer, channel=channel)
    if request.htmx:
        return render(request, "inbox/_webhook_panel.html", context)
    context["receipts"] = selectors.webhook_receipts_recent(viewer=viewer, channel=channel)
    return render(request, "inbox/channel_webhook.html", context)


@login_required
@require_POST
def channel_webhook_change(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Enable, rotate or disable; a new secret is in this one answer and nowhere else."""
    viewer = viewer_of(request)
    channel = channel_selectors.channel_get(
        viewer=viewer, channel_id=channel_id, action=Action.CHANNEL_MANAGE
    )
    action = request.POST.get("action", "")
    issued = None
    try:
        if action == "enable":
            issued = channel_webhook_enable(actor=viewer, channel=channel)
        elif action == "rotate":
            issued = channel_webhook_rotate(actor=viewer, channel=channel)
        elif action == "disable":
            channel_webhook_disable(actor=viewer, channel=channel)
            messages.success(request, "The webhook is disabled; its address no longer answers.")
        else:
            messages.error(request, "Unknown action.")
    except ApplicationError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    if issued is None:
        return redirect("inbox_webhooks:channel", channel_id=channel.pk)
    context = _settings_context(request, viewer=viewer, channel=channel, issued=issued)
    context["receipts"] = selectors.webhook_receipts_recent(viewer=viewer, channel=channel)
    response = render(request, "inbox/channel_webhook.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def webhook_receipts_failed(request: HttpRequest) -> HttpResponse:
    """Every accepted delivery not stored yet, with its reason, across managed channels."""
    viewer = viewer_of(request)
    receipts = selectors.webhook_receipts_failed(viewer=viewer)
    return render(
        request, "inbox/webhook_receipts_failed.html", {"area": "settings", "receipts": receipts}
    )


@login_required
@require_POST
def webhook_receipt_reprocess(request: HttpRequest, receipt_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    receipt = selectors.webhook_receipt_get(viewer=viewer, receipt_id=receipt_id)
    try:
        done = deliveries.webhook_receipt_reprocess(actor=viewer, receipt=receipt)
    except ApplicationError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"Processed again: {done.reason}")
    return redirect("inbox_webhooks:channel", channel_id=receipt.channel_id)


def _network_hook(
    request: HttpRequest,
    *,
    network: str,
    check: Callable[[], HttpResponse],
    receive: Callable[[bytes], object],
) -> HttpResponse:
    """A network's own webhook: its check of the address (GET) and its notifications
    (POST, the raw body read up to the limit); refusals as problem+json."""
    try:
        if request.method == "GET":
            return check()
        if request.method == "POST":
            receive(request.read(network_push.MAX_BODY_BYTES + 1))
            return HttpResponse("ok", content_type="text/plain")
    except ApplicationError as error:
        return problem(request, status=error.status, code=error.code.value, detail=error.message)
    response = problem(
        request, status=405, code="method_not_allowed", detail=f"{network} sends GET and POST."
    )
    response["Allow"] = "GET, POST"
    return response


@csrf_exempt  # a machine endpoint: Meta's signature, not a session, authenticates it
def meta_receive(request: HttpRequest, webhook_id: str) -> HttpResponse:
    """Meta's webhook for an organisation's app, see `roost.inbox.webhooks.meta`."""
    return _network_hook(
        request,
        network="Meta",
        check=lambda: HttpResponse(
            meta.meta_subscription_check(webhook_id=webhook_id, params=request.GET.dict()),
            content_type="text/plain",
        ),
        receive=lambda body: meta.meta_changes_receive(
            webhook_id=webhook_id,
            body=body,
            signature=request.headers.get("X-Hub-Signature-256", ""),
        ),
    )


@csrf_exempt  # a machine endpoint: LinkedIn's signature, not a session, authenticates it
def linkedin_receive(request: HttpRequest, webhook_id: str) -> HttpResponse:
    """LinkedIn's webhook for an organisation's app, see `roost.inbox.webhooks.linkedin`."""
    return _network_hook(
        request,
        network="LinkedIn",
        check=lambda: JsonResponse(
            linkedin.linkedin_challenge_answer(webhook_id=webhook_id, params=request.GET.dict())
        ),
        receive=lambda body: linkedin.linkedin_notification_receive(
            webhook_id=webhook_id, body=body, signature=request.headers.get("X-LI-Signature", "")
        ),
    )


@csrf_exempt  # a machine endpoint: X's signature, not a session, authenticates it
def x_receive(request: HttpRequest, webhook_id: str) -> HttpResponse:
    """X's webhook for an organisation's app, see `roost.inbox.webhooks.x`."""
    return _network_hook(
        request,
        network="X",
        check=lambda: JsonResponse(
            x.x_crc_answer(webhook_id=webhook_id, params=request.GET.dict())
        ),
        receive=lambda body: x.x_activity_receive(
            webhook_id=webhook_id,
            body=body,
            signature=request.headers.get("x-twitter-webhooks-signature", ""),
        ),
    )
