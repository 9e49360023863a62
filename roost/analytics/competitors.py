"""Competitors: other organisations' public accounts, read daily and set beside our own.

A competitor is read through one of the organisation's own channels on the same network
(its connection is what the network lets read public figures with): followers, posts,
and the posts of the last day with what people did with them. One reading a UTC day is
kept (`CompetitorDay`); reading again the same day replaces it, so the daily job is safe
to run twice. Networks whose API shows no public figures cannot be tracked: only
channels whose connector declares `Capability.PUBLIC_PROFILES` can read them.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from roost.analytics.best_time import engagements
from roost.analytics.models import ChannelDay, Competitor, CompetitorDay, PostMetricTotal
from roost.channels.connectors.base import (
    Capability,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    ProfileStats,
    RateLimited,
)
from roost.channels.connectors.registry import UnknownConnector, connector_class
from roost.channels.health import connector_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, User
from roost.core.permissions import Action, can_somewhere, channel_group_ids_allowed, require

logger = logging.getLogger(__name__)

MAX_HANDLE = 200
# Letters, digits and the punctuation handles use (dots, dashes, underscores, one "@"
# between user and instance, a leading "@"), or a DID.
_HANDLE = re.compile(r"^@?[\w][\w.-]*(@[\w.-]+)?$|^did:[a-z]+:[A-Za-z0-9._:%-]+$")
PERIODS = (30, 90)


class CompetitorError(enum.StrEnum):
    NO_CHANNEL = "no_channel"
    BAD_HANDLE = "bad_handle"
    DUPLICATE = "duplicate"


MESSAGES = {
    CompetitorError.NO_CHANNEL: (
        "No active channel of yours on {network} can read public figures: connect one "
        "first (Bluesky and Mastodon can)."
    ),
    CompetitorError.BAD_HANDLE: "{handle!r} is not a handle such as @name or @name@instance.",
    CompetitorError.DUPLICATE: "{handle} on {network} is tracked already.",
}


def _reads_public_profiles(channel: Channel) -> bool:
    try:
        connector = connector_class(channel.connector)
        return Capability.PUBLIC_PROFILES in connector.capabilities_for(channel.network)
    except UnknownConnector:
        return False


def reading_channels(*, organization: Organization, network: str) -> list[Channel]:
    """The organisation's active channels on the network that can read public figures."""
    channels = Channel.objects.filter(
        organization=organization, network=network, status=ChannelStatus.ACTIVE
    ).order_by("pk")
    return [channel for channel in channels if _reads_public_profiles(channel)]


def trackable_networks(*, organization: Organization) -> list[str]:
    networks = (
        Channel.objects.filter(organization=organization, status=ChannelStatus.ACTIVE)
        .values_list("network", flat=True)
        .distinct()
    )
    return sorted(n for n in networks if reading_channels(organization=organization, network=n))


def handle_clean(handle: str) -> str:
    """The handle as stored: trimmed, one leading "@" kept off, lower case (handles on
    Bluesky and Mastodon are case-insensitive)."""
    cleaned = (handle or "").strip().lstrip("@").lower()
    if not cleaned or len(cleaned) > MAX_HANDLE or not _HANDLE.match(cleaned):
        raise ApplicationError(
            ErrorCode.INVALID,
            MESSAGES[CompetitorError.BAD_HANDLE].format(handle=(handle or "")[:80]),
            field="handle",
        )
    return cleaned


def competitor_add(
    *,
    actor: User,
    organization: Organization,
    network: str,
    handle: str,
    display_name: str = "",
) -> Competitor:
    """Track a public account; it is read through the organisation's first channel on
    the network that can read public figures."""
    require(actor, Action.COMPETITOR_MANAGE)
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Not your organisation.")
    cleaned = handle_clean(handle)
    network = (network or "").strip()
    channels = reading_channels(organization=organization, network=network)
    if not channels:
        raise ApplicationError(
            ErrorCode.INVALID,
            MESSAGES[CompetitorError.NO_CHANNEL].format(network=network[:40] or "that network"),
            field="network",
        )
    try:
        with transaction.atomic():
            competitor = Competitor.objects.create(
                organization=organization,
                network=network,
                handle=cleaned,
                display_name=display_name.strip()[:200],
                via_channel=channels[0],
                added_by=actor,
            )
            audit.record(
                organization=organization,
                actor=actor,
                action="analytics.competitor.added",
                target=competitor,
                after={"network": network, "handle": cleaned, "via_channel": channels[0].pk},
            )
    except IntegrityError:
        raise ApplicationError(
            ErrorCode.CONFLICT,
            MESSAGES[CompetitorError.DUPLICATE].format(handle=cleaned, network=network),
            field="handle",
        ) from None
    return competitor


def competitor_remove(*, actor: User, competitor: Competitor) -> None:
    """Stop tracking the account and forget its history."""
    require(actor, Action.COMPETITOR_MANAGE)
    if competitor.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such competitor.")
    with transaction.atomic():
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="analytics.competitor.removed",
            target=competitor,
            before={"network": competitor.network, "handle": competitor.handle},
        )
        competitor.delete()


def competitor_get(*, viewer: User, competitor_id: int) -> Competitor:
    found = Competitor.objects.filter(
        organization_id=viewer.organization_id, pk=competitor_id
    ).first()
    if found is None or not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such competitor.")
    return found


# Reading, on the clock.


def competitor_read(*, competitor: Competitor, now: dt.datetime | None = None) -> bool:
    """Read the account's public figures now and keep them as its day's; False when the
    network would not answer (the reason is kept on the competitor).

    Precondition: not inside a transaction (the connector talks to a network)."""
    moment = now or timezone.now()
    channel = competitor.via_channel
    if channel is None or channel.status != ChannelStatus.ACTIVE:
        channels = reading_channels(
            organization=competitor.organization, network=competitor.network
        )
        channel = channels[0] if channels else None
    if channel is None:
        return _failed(competitor, f"No channel on {competitor.network} can read it.")
    try:
        stats = connector_for(channel, purpose="competitor figures").profile_stats(
            competitor.handle
        )
    except RateLimited as error:
        return _failed(competitor, f"Rate limited; read again later ({error}).")
    except (CredentialRevoked, CredentialExpired) as error:
        # The channel's health shows the credential; the next day's run tries again.
        return _failed(competitor, f"The channel {channel.handle} cannot sign in: {error}")
    except (ConnectorError, VaultError) as error:
        return _failed(competitor, f"{type(error).__name__}: {error}")
    _day_store(competitor=competitor, channel=channel, stats=stats, moment=moment)
    return True


def _failed(competitor: Competitor, reason: str) -> bool:
    Competitor.objects.filter(pk=competitor.pk).update(last_error=reason[:500])
    return False


def _day_store(
    *, competitor: Competitor, channel: Channel, stats: ProfileStats, moment: dt.datetime
) -> None:
    with transaction.atomic():
        CompetitorDay.objects.update_or_create(
            competitor=competitor,
            day=moment.astimezone(dt.UTC).date(),
            defaults={
                "organization_id": competitor.organization_id,
                "read_at": moment,
                "followers": stats.followers,
                "posts": stats.posts,
                "posts_that_day": max(0, stats.recent_posts),
                "engagements_that_day": max(0, stats.recent_engagements),
            },
        )
        changes: dict[str, object] = {"last_error": ""}
        if channel.pk != competitor.via_channel_id:
            changes["via_channel"] = channel
        if stats.display_name and not competitor.display_name:
            changes["display_name"] = stats.display_name[:200]
        Competitor.objects.filter(pk=competitor.pk).update(**changes)


def competitors_read_due(*, now: dt.datetime | None = None) -> int:
    """Read every active competitor not yet read this UTC day; one failure does not stop
    the others. Returns how many were read."""
    moment = now or timezone.now()
    today = moment.astimezone(dt.UTC).date()
    due = (
        Competitor.objects.filter(active=True)
        .exclude(days__day=today)
        .select_related("organization", "via_channel")
        .order_by("pk")
    )
    read = 0
    for competitor in due:
        try:
            read += competitor_read(competitor=competitor, now=moment)
        except Exception:
            logger.exception("reading competitor %s failed", competitor.pk)
    return read


# Side by side with the organisation's own channels.


@dataclass(frozen=True)
class ComparisonRow:
    """One account over the period: ours or a competitor's."""

    label: str
    own: bool
    followers: int | None  # at the period's last reading
    growth: int | None  # over the period
    posts: int
    engagements: int
    competitor_id: int | None = None
    last_error: str = ""

    @property
    def engagement_per_post(self) -> float | None:
        return self.engagements / self.posts if self.posts else None

    @property
    def growth_percent(self) -> float | None:
        if self.growth is None or self.followers is None:
            return None
        start = self.followers - self.growth
        return self.growth / start * 100 if start > 0 else None


@dataclass(frozen=True)
class Comparison:
    network: str
    days: int
    start: dt.date
    end: dt.date
    rows: tuple[ComparisonRow, ...]


def _competitor_row(competitor: Competitor, *, start: dt.date, end: dt.date) -> ComparisonRow:
    days = list(
        CompetitorDay.objects.filter(competitor=competitor, day__gte=start, day__lte=end).order_by(
            "day"
        )
    )
    followed = [day.followers for day in days if day.followers is not None]
    before = (
        CompetitorDay.objects.filter(competitor=competitor, day__lt=start, followers__isnull=False)
        .order_by("-day")
        .values_list("followers", flat=True)
        .first()
    )
    # Growth since the last reading before the period (as a channel's days count it),
    # else since the period's first reading.
    base = before if before is not None else (followed[0] if len(followed) > 1 else None)
    return ComparisonRow(
        label=competitor.display_name or competitor.handle,
        own=False,
        followers=followed[-1] if followed else None,
        growth=followed[-1] - base if followed and base is not None else None,
        posts=sum(day.posts_that_day for day in days),
        engagements=sum(day.engagements_that_day for day in days),
        competitor_id=competitor.pk,
        last_error=competitor.last_error,
    )


def _own_row(channel: Channel, *, start: dt.date, end: dt.date) -> ComparisonRow:
    days = ChannelDay.objects.filter(channel=channel, day__gte=start, day__lte=end)
    followed = list(days.filter(followers__isnull=False).order_by("day").values_list("followers"))
    growth = days.aggregate(growth=Sum("follower_growth"))["growth"]
    begin = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    totals = list(
        PostMetricTotal.objects.filter(
            channel=channel, published_at__gte=begin, published_at__lt=finish
        )
    )
    return ComparisonRow(
        label=f"{channel.handle} (ours)",
        own=True,
        followers=followed[-1][0] if followed else None,
        growth=int(growth) if followed and growth is not None else None,
        posts=len(totals),
        engagements=sum(engagements(total) for total in totals),
    )


def competitor_comparison(
    *, viewer: User, network: str, days: int, today: dt.date | None = None
) -> Comparison:
    """The network's competitors and the viewer's own channels on it (those whose
    figures the viewer may see) over the last `days` days, today included."""
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "You may not see analytics.")
    if days not in PERIODS:
        raise ApplicationError(
            ErrorCode.INVALID, f"The period is one of {', '.join(map(str, PERIODS))} days."
        )
    end = today or timezone.now().astimezone(dt.UTC).date()
    start = end - dt.timedelta(days=days - 1)
    channels = Channel.objects.filter(
        organization_id=viewer.organization_id, network=network
    ).exclude(status=ChannelStatus.ARCHIVED)
    allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
    if allowed is not None:
        channels = channels.filter(Q(channel_group_id__in=allowed))
    competitors = Competitor.objects.filter(
        organization_id=viewer.organization_id, network=network, active=True
    ).order_by("handle")
    rows = [_own_row(channel, start=start, end=end) for channel in channels.order_by("handle")]
    rows += [_competitor_row(competitor, start=start, end=end) for competitor in competitors]
    return Comparison(network=network, days=days, start=start, end=end, rows=tuple(rows))


def competitor_list(*, viewer: User) -> list[Competitor]:
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "You may not see analytics.")
    return list(
        Competitor.objects.filter(organization_id=viewer.organization_id)
        .select_related("via_channel")
        .order_by("network", "handle")
    )
