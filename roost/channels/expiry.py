"""Warn a channel's owners a week before its credential expires, once per expiry date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.channels.models import Channel, ChannelStatus
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import AuditEvent
from roost.core.notifications import notify

WARNING_AHEAD = dt.timedelta(days=7)


def _already_warned(channel: Channel) -> bool:
    return AuditEvent.objects.filter(
        organization_id=channel.organization_id,
        action="channels.credential.expiry_warned",
        target_type="channels.channel",
        target_id=str(channel.pk),
        after__expires_at=channel.credential_expires_at.isoformat()
        if channel.credential_expires_at
        else "",
    ).exists()


def credential_expiry_warn(*, now: dt.datetime | None = None) -> int:
    """Tell the primary and backup owners of every channel whose credential expires within
    7 days (in Roost and on their contact methods); each expiry date is warned about once
    (the audit log remembers)."""
    moment = now or timezone.now()
    due = Channel.objects.filter(
        status__in=[ChannelStatus.ACTIVE, ChannelStatus.PAUSED],
        credential_expires_at__gt=moment,
        credential_expires_at__lte=moment + WARNING_AHEAD,
    ).select_related("primary_owner", "backup_owner", "channel_group__organization")
    warned = 0
    for channel in due:
        if _already_warned(channel):
            continue
        assert channel.credential_expires_at is not None
        owners = [channel.primary_owner] + ([channel.backup_owner] if channel.backup_owner else [])
        recipients = [o.email for o in owners if o.is_active]
        days = max(1, (channel.credential_expires_at - moment).days)
        with transaction.atomic():
            audit.record(
                organization=channel.channel_group.organization,
                actor=SYSTEM,
                action="channels.credential.expiry_warned",
                target=channel,
                after={"expires_at": channel.credential_expires_at.isoformat(), "to": recipients},
            )
            notify(
                organization=channel.channel_group.organization,
                recipients=owners,
                subject=(
                    f"{channel.handle} ({channel.network}) must be reconnected within {days} days"
                ),
                body=(
                    f"The credential of {channel.handle} on {channel.network} expires on "
                    f"{channel.credential_expires_at:%Y-%m-%d %H:%M} UTC.\n"
                    "Reconnect the channel in Roost before then, or publishing to it will stop."
                ),
                url=reverse("channels:detail", args=[channel.pk]),
                source=channel,
            )
        warned += 1
    return warned
