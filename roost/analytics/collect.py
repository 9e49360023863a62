"""Reading the networks' figures on the clock.

The job runs every hour. Each published post is read once per *slot*, and the slot
widens as the post ages, since its figures settle:

- younger than two days: every hour;
- younger than thirty days: every day (UTC);
- then every week, until it is ninety days old; after that it is no longer read.

Each channel's own figures (followers, profile views) are read once a day.

"Once per slot" is kept by what is stored, not by the job: a post whose latest
reading (`PostMetricTotal.read_at`) is inside its current slot is not read again, so
a job run twice in one hour (a retry, a second worker) reads nothing the second time,
and a slot missed while the workers were down is caught up by the next run.

Failures stay with their channel: a rate-limited account is left alone until the
network's wait is over (noted on the channel, as publishing does, so every caller
waits); a revoked or expired credential is skipped (the channel's health already
shows it to its owners); a network that does not answer stops that channel's reads
for this run. None of them stops the other channels.

Precondition for every function here: not inside a transaction, since they call
networks; each reading is written in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from roost.analytics.models import ChannelMetricFact, PostMetricTotal
from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
from roost.channels.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CredentialExpired,
    CredentialRevoked,
    PermanentError,
    RateLimited,
)
from roost.channels.health import channel_rate_limited, connectors_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.core.clock import slot_for
from roost.publishing.models import Variant, VariantState

logger = logging.getLogger(__name__)

HOURLY_UNTIL = dt.timedelta(days=2)
DAILY_UNTIL = dt.timedelta(days=30)
READ_UNTIL = dt.timedelta(days=90)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
PURPOSE = "analytics"

Clock = Callable[[], dt.datetime]


def post_slot(*, published_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """The start of the slot a post of that age is read once in; None when it is too old
    to be read any more (or not published yet)."""
    age = now - published_at
    if age < dt.timedelta(0) or age >= READ_UNTIL:
        return None
    if age < HOURLY_UNTIL:
        return slot_for(now, HOUR)
    if age < DAILY_UNTIL:
        return slot_for(now, DAY)
    return slot_for(now, WEEK)


def post_due(*, published_at: dt.datetime, read_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a post last read at `read_at` (None: never) is due for a reading now."""
    slot = post_slot(published_at=published_at, now=now)
    if slot is None:
        return False
    return read_at is None or read_at < slot


@dataclass
class CollectResult:
    """What one run did, per outcome, for the log and the tests."""

    posts_read: int = 0
    channels_read: int = 0
    facts: int = 0
    skipped_channels: dict[int, str] = field(default_factory=dict)
    failed_posts: int = 0


@dataclass(frozen=True)
class _Due:
    variant_id: int
    external_id: str


def _posts_due(*, now: dt.datetime) -> dict[int, list[_Due]]:
    """Published posts due for a reading, by channel id, least recently read first: the
    rule of `post_due`, as one query."""
    last_read = Subquery(
        PostMetricTotal.objects.filter(variant_id=OuterRef("pk")).values("read_at")[:1]
    )
    unread_since = [
        (now - HOURLY_UNTIL, slot_for(now, HOUR)),
        (now - DAILY_UNTIL, slot_for(now, DAY)),
        (now - READ_UNTIL, slot_for(now, WEEK)),
    ]
    due_rule = Q()
    younger_than: dt.datetime | None = None
    for published_after, slot in unread_since:
        band = Q(published_at__gt=published_after)
        if younger_than is not None:
            band &= Q(published_at__lte=younger_than)
        due_rule |= band & (Q(last_read__isnull=True) | Q(last_read__lt=slot))
        younger_than = published_after
    rows = (
        Variant.objects.filter(
            state=VariantState.PUBLISHED,
            published_at__gt=now - READ_UNTIL,
            published_at__lte=now,
            channel__status=ChannelStatus.ACTIVE,
        )
        .exclude(external_id="")
        .annotate(last_read=last_read)
        .filter(due_rule)
        .order_by(F("last_read").asc(nulls_first=True), "pk")
        .values_list("pk", "channel_id", "external_id")
    )
    due: dict[int, list[_Due]] = defaultdict(list)
    for variant_id, channel_id, external_id in rows:
        due[channel_id].append(_Due(variant_id=variant_id, external_id=external_id))
    return due


def _channels_due(*, now: dt.datetime) -> list[int]:
    """Active channels with no reading of their own figures yet today (UTC)."""
    read_today = ChannelMetricFact.objects.filter(read_at__gte=slot_for(now, DAY)).values(
        "channel_id"
    )
    return list(
        Channel.objects.filter(status=ChannelStatus.ACTIVE)
        .exclude(pk__in=read_today)
        .values_list("pk", flat=True)
    )


def _waiting(channel: Channel, now: dt.datetime) -> bool:
    return channel.rate_limited_until is not None and channel.rate_limited_until > now


class _ChannelStopped(Exception):
    """This channel's reads end for this run (the reason is the message)."""


def _stop_reason(error: ConnectorError, *, channel: Channel) -> str | None:
    """Why a connector error stops the channel's reads for this run (None: it does not,
    the failure belongs to the one post). Rate limits are noted on the channel."""
    if isinstance(error, RateLimited):
        channel_rate_limited(channel=channel, retry_after=error.retry_after)
        return f"rate limited for {error.retry_after:.0f} s"
    if isinstance(error, CredentialRevoked | CredentialExpired):
        return f"credential refused ({type(error).__name__})"
    if isinstance(error, PermanentError):
        return None
    return f"not answering ({type(error).__name__})"


def _read_posts(
    *, channel: Channel, connector: Connector, due: list[_Due], clock: Clock, result: CollectResult
) -> None:
    variants = Variant.objects.select_related("post").in_bulk([item.variant_id for item in due])
    for item in due:
        variant = variants.get(item.variant_id)
        if variant is None:
            continue
        try:
            metrics = connector.metrics(item.external_id)
        except ConnectorError as error:
            reason = _stop_reason(error, channel=channel)
            if reason is not None:
                raise _ChannelStopped(reason) from error
            # The post is gone from the network or cannot be read: the others still can.
            logger.info("analytics: post %s not read: %s", item.variant_id, error)
            result.failed_posts += 1
            continue
        variant.channel = channel
        fact = post_reading_record(
            variant=variant, reading=PostReading.from_connector(metrics), read_at=clock()
        )
        result.posts_read += 1
        result.facts += fact is not None


def _read_channel(
    *, channel: Channel, connector: Connector, clock: Clock, result: CollectResult
) -> None:
    try:
        stats = connector.channel_stats()
    except ConnectorError as error:
        reason = _stop_reason(error, channel=channel) or f"not read ({error})"
        raise _ChannelStopped(reason) from error
    channel_reading_record(channel=channel, stats=stats, read_at=clock())
    result.channels_read += 1


def metrics_collect(*, clock: Clock = timezone.now) -> CollectResult:
    """Read every due post and channel of every organisation; see the module docstring.

    `clock` says what time it is: when the job runs, and when each figure was read."""
    now = clock()
    result = CollectResult()
    posts_due = _posts_due(now=now)
    channels_due = set(_channels_due(now=now))
    wanted = sorted(set(posts_due) | channels_due)
    channels = list(
        Channel.objects.filter(pk__in=wanted).select_related("organization").order_by("pk")
    )
    channels = [channel for channel in channels if not _waiting(channel, now)]
    for channel_id in set(wanted) - {channel.pk for channel in channels}:
        result.skipped_channels[channel_id] = "rate limited: waiting"
    connectors = connectors_for(channels, purpose=PURPOSE) if channels else {}
    for channel in channels:
        connector = connectors[channel.pk]
        if isinstance(connector, VaultError):
            result.skipped_channels[channel.pk] = f"no credential ({connector})"
            continue
        try:
            if channel.pk in posts_due and connector.supports(Capability.METRICS):
                _read_posts(
                    channel=channel,
                    connector=connector,
                    due=posts_due[channel.pk],
                    clock=clock,
                    result=result,
                )
            if channel.pk in channels_due and connector.supports(Capability.CHANNEL_STATS):
                _read_channel(channel=channel, connector=connector, clock=clock, result=result)
        except _ChannelStopped as stopped:
            result.skipped_channels[channel.pk] = str(stopped)
        except Exception:
            # One channel's surprise must not cost every other channel its reading.
            logger.exception("analytics: reading channel %s failed", channel.pk)
            result.skipped_channels[channel.pk] = "failed"
    if result.skipped_channels:
        logger.info("analytics: channels not read this run: %s", result.skipped_channels)
    return result
