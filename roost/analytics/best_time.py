"""The best time to post on a channel, from the organisation's own history.

Each post the channel published is put in the hour of week it went out, in the
channel's own time zone (its brand's, DST-correct: a post at 09:10 local time is in the
09:00 hour in summer and in winter). Its engagement rate is read by the organisation's
basis (per impression, per person reached or per follower). An hour's figure is the mean
rate of its posts, pulled towards the channel's mean in proportion to how few posts it
has (shrinkage: an hour with one lucky post does not win), with a 90% interval from the
spread of the channel's posts. An hour with fewer than `MIN_POSTS_PER_SLOT` posts is
"not enough posts yet"; a channel with fewer than `MIN_POSTS` offers no advice at all.

Posts younger than `SETTLING` are left out: their figures are still growing, and would
make the hours posted in most recently look worse than they are.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from roost.analytics.definitions import ENGAGEMENT_FIGURES
from roost.analytics.models import AnalyticsSettings, ChannelDay, EngagementBasis, PostMetricTotal
from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.publishing.schedule_hints import ChannelHints, ScheduleHint

# How far back the history is read.
HISTORY = dt.timedelta(days=180)
# Figures of a post younger than this are still growing fast.
SETTLING = dt.timedelta(hours=48)
# Below this many posts with figures, the channel gets no advice.
MIN_POSTS = 10
# Below this many posts, an hour is "not enough posts yet".
MIN_POSTS_PER_SLOT = 3
# Shrinkage: an hour's mean counts as much as this many posts at the channel's mean.
PRIOR_POSTS = 4
# The interval: mean ± Z * spread / sqrt(posts), about 90%.
Z_90 = 1.645
# How many hours the composer suggests per channel.
SUGGESTIONS = 3

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOT_ENOUGH = "not enough posts yet"


class Sureness:
    """How sure a good hour is, in the words the composer shows."""

    LIKELY = "likely better"  # even the interval's low end beats the channel's mean
    POSSIBLY = "possibly better"  # better on the estimate, within the noise


def engagements(total: PostMetricTotal) -> int:
    """What people did with the post, counted as the definitions count engagements."""
    return sum(getattr(total, name) for name in ENGAGEMENT_FIGURES)


@dataclass(frozen=True)
class Slot:
    """One hour of the week on the channel: Monday 0 to Sunday 6, hour 0 to 23."""

    weekday: int
    hour: int
    posts: int
    mean: float  # the mean rate of its posts
    estimate: float  # pulled towards the channel's mean
    low: float
    high: float
    sureness: str  # a `Sureness` value, or NOT_ENOUGH

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]}s {self.hour:02d}:00–{(self.hour + 1) % 24:02d}:00"

    @property
    def enough(self) -> bool:
        return self.posts >= MIN_POSTS_PER_SLOT


@dataclass(frozen=True)
class BestTimes:
    """A channel's engagement by hour of week, and its best hours (empty when unsure)."""

    channel: Channel
    time_zone: str
    basis: str
    posts: int  # posts with figures on the basis, in the history read
    mean: float  # the channel's mean rate
    slots: tuple[Slot, ...]  # hours with at least one post, Monday first
    best: tuple[Slot, ...]  # the best hours, best first

    @property
    def enough(self) -> bool:
        return self.posts >= MIN_POSTS

    @property
    def note(self) -> str:
        if not self.enough:
            return (
                f"{NOT_ENOUGH.capitalize()}: {self.posts} post{'s' if self.posts != 1 else ''} "
                f"with figures, advice starts at {MIN_POSTS}."
            )
        if not self.best:
            return "No hour stands out yet: every hour with enough posts does about as well."
        return ""


def _definitions(organization_id: int) -> tuple[str, str]:
    """The organisation's engagement basis and analytics time zone (defaults without
    settings)."""
    row = (
        AnalyticsSettings.objects.filter(organization_id=organization_id)
        .values_list("engagement_basis", "time_zone")
        .first()
    )
    basis, zone = row if row is not None else ("", "")
    return basis or EngagementBasis.IMPRESSIONS, zone or "UTC"


def channel_time_zone(channel: Channel, *, fallback: str = "UTC") -> str:
    """The zone a channel's hours are counted in: its brand's, else its channel group's
    brand's, else `fallback` (the organisation's analytics zone)."""
    for brand in (channel.brand, channel.channel_group.brand if channel.channel_group else None):
        if brand is not None and brand.time_zone:
            return brand.time_zone
    return fallback


class _Followers:
    """A channel's followers on a day: its latest reading on or before it."""

    def __init__(self, rows: list[tuple[dt.date, int]]) -> None:
        self.days = [day for day, _ in rows]
        self.counts = [count for _, count in rows]

    def on(self, day: dt.date) -> int:
        at = bisect.bisect_right(self.days, day)
        if at:
            return self.counts[at - 1]
        # Published before the first reading: the first reading is the best guess.
        return self.counts[0] if self.counts else 0


def _followers_of(channel_ids: list[int]) -> dict[int, _Followers]:
    rows: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    readings = (
        ChannelDay.objects.filter(channel_id__in=channel_ids, followers__isnull=False)
        .order_by("channel_id", "day")
        .values_list("channel_id", "day", "followers")
    )
    for channel_id, day, followers in readings:
        rows[channel_id].append((day, int(followers or 0)))
    return {channel_id: _Followers(rows[channel_id]) for channel_id in channel_ids}


def _rate(total: PostMetricTotal, basis: str, followers: _Followers | None) -> float | None:
    """The post's engagement rate on the basis, or None when the network gave no base."""
    if basis == EngagementBasis.FOLLOWERS:
        assert followers is not None
        base = followers.on(total.published_at.astimezone(dt.UTC).date())
    elif basis in total.offered:
        base = getattr(total, basis)
    else:
        base = 0
    if base <= 0:
        return None
    return engagements(total) / base


def best_times(*, viewer: User, channel: Channel, now: dt.datetime) -> BestTimes:
    """The channel's hours of the week by engagement rate (see the module's docstring).

    The viewer must see the channel's figures (`ANALYTICS_VIEW` on its group)."""
    if channel.organization_id != viewer.organization_id or not can(
        viewer, Action.ANALYTICS_VIEW, channel_group=channel.channel_group
    ):
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such channel.")
    return _best_times_of([channel], now=now)[channel.pk]


def _best_times_of(channels: Sequence[Channel], *, now: dt.datetime) -> dict[int, BestTimes]:
    """`BestTimes` for channels of one organisation, in a fixed number of queries."""
    if not channels:
        return {}
    basis, organization_zone = _definitions(channels[0].organization_id)
    ids = [channel.pk for channel in channels]
    followers = _followers_of(ids) if basis == EngagementBasis.FOLLOWERS else {}
    totals: dict[int, list[PostMetricTotal]] = defaultdict(list)
    for total in PostMetricTotal.objects.filter(
        channel_id__in=ids, published_at__gte=now - HISTORY, published_at__lte=now - SETTLING
    ).only("channel_id", "published_at", "offered", "impressions", "reach", *_ENGAGEMENT_FIELDS):
        totals[total.channel_id].append(total)
    return {
        channel.pk: _best_times(
            channel=channel,
            totals=totals[channel.pk],
            basis=basis,
            zone_name=channel_time_zone(channel, fallback=organization_zone),
            followers=followers.get(channel.pk),
        )
        for channel in channels
    }


def _best_times(
    *,
    channel: Channel,
    totals: list[PostMetricTotal],
    basis: str,
    zone_name: str,
    followers: _Followers | None,
) -> BestTimes:
    zone = zoneinfo.ZoneInfo(zone_name)
    by_slot: dict[tuple[int, int], list[float]] = defaultdict(list)
    rates: list[float] = []
    for total in totals:
        rate = _rate(total, basis, followers)
        if rate is None:
            continue
        local = total.published_at.astimezone(zone)
        by_slot[(local.weekday(), local.hour)].append(rate)
        rates.append(rate)
    mean = statistics.fmean(rates) if rates else 0.0
    spread = statistics.pstdev(rates) if len(rates) > 1 else 0.0
    slots = tuple(_slot(key, by_slot[key], mean=mean, spread=spread) for key in sorted(by_slot))
    ranked = sorted(
        (slot for slot in slots if slot.enough and slot.estimate > mean),
        key=lambda slot: (-slot.estimate, slot.weekday, slot.hour),
    )
    best = tuple(ranked[:SUGGESTIONS]) if len(rates) >= MIN_POSTS else ()
    return BestTimes(
        channel=channel,
        time_zone=zone_name,
        basis=basis,
        posts=len(rates),
        mean=mean,
        slots=slots,
        best=best,
    )


_ENGAGEMENT_FIELDS = ("likes", "comments", "shares", "saves", "link_clicks")


def _slot(key: tuple[int, int], rates: list[float], *, mean: float, spread: float) -> Slot:
    count = len(rates)
    slot_mean = statistics.fmean(rates)
    estimate = (count * slot_mean + PRIOR_POSTS * mean) / (count + PRIOR_POSTS)
    half = Z_90 * spread / math.sqrt(count)
    low, high = max(0.0, slot_mean - half), slot_mean + half
    if count < MIN_POSTS_PER_SLOT:
        sureness = NOT_ENOUGH
    elif low > mean:
        sureness = Sureness.LIKELY
    else:
        sureness = Sureness.POSSIBLY
    weekday, hour = key
    return Slot(weekday, hour, count, slot_mean, estimate, low, high, sureness)


def next_start(slot: Slot, *, time_zone: str, after: dt.datetime) -> dt.datetime:
    """The first start of the slot's hour, in its zone, after `after` (aware, in UTC).

    An hour that a DST change skips that week moves to the next week."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = after.astimezone(zone)
    day = local.date() + dt.timedelta(days=(slot.weekday - local.weekday()) % 7)
    for _ in range(3):
        wall = dt.datetime.combine(day, dt.time(slot.hour), tzinfo=zone)
        start = wall.astimezone(dt.UTC)
        # A wall time that does not exist comes back from UTC as another hour.
        if start > after and start.astimezone(zone).hour == slot.hour:
            return start
        day += dt.timedelta(days=7)
    raise AssertionError("an hour of the week recurs within three weeks")


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _hint(times: BestTimes, slot: Slot, *, now: dt.datetime) -> ScheduleHint:
    basis = EngagementBasis(times.basis).label.lower()
    return ScheduleHint(
        starts_at=next_start(slot, time_zone=times.time_zone, after=now),
        label=f"{slot.label} ({times.time_zone})",
        detail=(
            f"{slot.sureness.capitalize()}: {_percent(slot.mean)} {basis} over {slot.posts} "
            f"posts (90% between {_percent(slot.low)} and {_percent(slot.high)}), against "
            f"{_percent(times.mean)} for the channel's {times.posts} posts."
        ),
    )


def schedule_hints(
    *, viewer: User, channels: Sequence[Channel], now: dt.datetime
) -> list[ChannelHints]:
    """The composer's suggestions (declared to publishing's `schedule_hints` at start-up):
    for each channel whose figures the viewer may see, its best hours' next starts. The
    same few queries for any number of channels."""
    allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
    visible = [
        channel
        for channel in channels
        if channel.organization_id == viewer.organization_id
        and (allowed is None or channel.channel_group_id in allowed)
    ]
    times_of = _best_times_of(visible, now=now)
    found: list[ChannelHints] = []
    for channel in visible:
        times = times_of[channel.pk]
        found.append(
            ChannelHints(
                channel_id=channel.pk,
                channel_label=f"{channel.handle} · {channel.network}",
                hints=tuple(_hint(times, slot, now=now) for slot in times.best),
                note=times.note,
            )
        )
    return found
