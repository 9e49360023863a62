"""Reads of webhook receipts, scoped to the viewer's organisation and channel rights."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from roost.channels.models import Channel
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.models import WebhookReceipt

RECENT_RECEIPTS = 50


def _visible(viewer: User) -> QuerySet[WebhookReceipt]:
    """Receipts of channels the viewer manages (leads of the channel's group)."""
    receipts = WebhookReceipt.objects.filter(
        organization_id=viewer.organization_id, channel__isnull=False
    )
    allowed = channel_group_ids_allowed(viewer, Action.CHANNEL_MANAGE)
    if allowed is not None:
        receipts = receipts.filter(channel__channel_group_id__in=allowed)
    return receipts


def webhook_receipts_recent(
    *, viewer: User, channel: Channel, limit: int = RECENT_RECEIPTS
) -> list[WebhookReceipt]:
    """The channel's latest receipts, newest first (the body is left out: it can be large)."""
    return list(_visible(viewer).filter(channel=channel).defer("body")[:limit])


def webhook_receipts_failed(*, viewer: User) -> list[WebhookReceipt]:
    """Accepted deliveries whose messages are not stored yet, on the channels the viewer
    manages, oldest first (the body is left out)."""
    failed = _visible(viewer).filter(outcome=WebhookReceipt.Outcome.FAILED)
    return list(failed.select_related("channel").defer("body").order_by("received_at", "pk"))


def webhook_receipt_get(*, viewer: User, receipt_id: int) -> WebhookReceipt:
    return get_object_or_404(_visible(viewer).select_related("channel"), pk=receipt_id)
