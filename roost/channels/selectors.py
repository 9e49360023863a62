"""Reads of channels, scoped to the viewer's organisation and channel groups."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from roost.channels.models import Channel, ChannelStatus
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed

EXPIRY_WARNING = dt.timedelta(days=7)


class Health(enum.StrEnum):
    OK = "ok"
    NO_BACKUP = "no_backup"
    EXPIRING = "expiring"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"


HEALTH_LABELS = {
    Health.OK: "Healthy",
    Health.NO_BACKUP: "No backup owner",
    Health.EXPIRING: "Credential expires within 7 days",
    Health.ERROR: "Last call failed",
    Health.RATE_LIMITED: "Rate limited",
}


def _health_q(health: Health) -> Q:
    now = timezone.now()
    failing = Q(last_error_at__isnull=False) & (
        Q(last_success_at__isnull=True) | Q(last_error_at__gt=F("last_success_at"))
    )
    expiring = Q(credential_expires_at__lt=now + EXPIRY_WARNING)
    limited = Q(rate_limited_until__gt=now)
    no_backup = Q(backup_owner__isnull=True)
    if health is Health.NO_BACKUP:
        return no_backup
    if health is Health.EXPIRING:
        return expiring
    if health is Health.ERROR:
        return failing
    if health is Health.RATE_LIMITED:
        return limited
    return ~(no_backup | expiring | failing | limited)


def troubled_q() -> Q:
    """Channels with any health problem."""
    return ~_health_q(Health.OK)


@dataclass(frozen=True)
class ChannelFilter:
    network: str = ""
    brand_id: int | None = None
    channel_group_id: int | None = None
    health: Health | None = None
    status: str = ""
    search: str = ""


def _scoped(*, viewer: User, action: Action) -> QuerySet[Channel]:
    channels = Channel.objects.filter(organization_id=viewer.organization_id).select_related(
        "channel_group", "brand", "primary_owner", "backup_owner"
    )
    allowed = channel_group_ids_allowed(viewer, action)
    if allowed is not None:
        channels = channels.filter(channel_group_id__in=allowed)
    return channels


def channel_list(
    *, viewer: User, filters: ChannelFilter | None = None, action: Action = Action.CHANNEL_VIEW
) -> QuerySet[Channel]:
    """Channels in the groups where the viewer may take `action`, narrowed by the filters.

    Archived channels are left out unless the filter asks for them by status.
    """
    channels = _scoped(viewer=viewer, action=action)
    f = filters or ChannelFilter()
    if f.network:
        channels = channels.filter(network=f.network)
    if f.brand_id:
        channels = channels.filter(brand_id=f.brand_id)
    if f.channel_group_id:
        channels = channels.filter(channel_group_id=f.channel_group_id)
    if f.status:
        channels = channels.filter(status=f.status)
    else:
        channels = channels.exclude(status=ChannelStatus.ARCHIVED)
    if f.search:
        channels = channels.filter(
            Q(handle__icontains=f.search) | Q(display_name__icontains=f.search)
        )
    if f.health:
        channels = channels.filter(_health_q(f.health))
    return channels.order_by("network", "handle", "pk")


def channel_get(*, viewer: User, channel_id: int, action: Action = Action.CHANNEL_VIEW) -> Channel:
    return get_object_or_404(_scoped(viewer=viewer, action=action), pk=channel_id)


def channel_problems(channel: Channel) -> list[Health]:
    """What is wrong with one channel, for badges."""
    now = timezone.now()
    problems = []
    if channel.backup_owner_id is None:
        problems.append(Health.NO_BACKUP)
    if channel.credential_expires_at and channel.credential_expires_at < now + EXPIRY_WARNING:
        problems.append(Health.EXPIRING)
    if channel.last_error_at and (
        channel.last_success_at is None or channel.last_error_at > channel.last_success_at
    ):
        problems.append(Health.ERROR)
    if channel.rate_limited_until and channel.rate_limited_until > now:
        problems.append(Health.RATE_LIMITED)
    return problems
