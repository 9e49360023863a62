"""The queries behind every dashboard: sums over the daily rollups, the posts' totals,
and the inbox's and publishing's own rows.

Each function takes a `Scope`: the organisation and the channels the viewer may see
figures of (ANALYTICS_VIEW on their channel groups), narrowed by the dashboard's filters.
`scope_of` is the only way to make one, so no query here can forget tenancy or the
viewer's channel groups. Days are UTC days, as the rollups are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from roost.analytics.dashboard import Period
from roost.analytics.definitions import (
    ON_TIME_TOLERANCE,
    calendar_of,
    first_response_seconds,
    settings_of,
)
from roost.analytics.models import POST_FIGURES, ChannelDay, PostMetricFact, PostMetricTotal
from roost.catalogue.specs import catalogue
from roost.channels.models import Channel
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed, grants_remembered
from roost.inbox.models import Conversation, SlaPolicy
from roost.inbox.sla.business_hours import business_seconds_between
from roost.inbox.sla.policies import policy_calendar
from roost.inbox.sla.services import fallback_target, policy_among
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.models import Variant, VariantState

DAY_FIGURES = (*POST_FIGURES, "posts_published", "follower_growth", "profile_views")
ENGAGEMENT_SUM = F("likes") + F("comments") + F("shares") + F("saves") + F("link_clicks")


def network_label(key: str) -> str:
    """The network's name in the catalogue ("LinkedIn"), or its key when it has none."""
    try:
        return catalogue().network(key).name
    except KeyError:
        return key


@dataclass(frozen=True)
class Scope:
    """Whose figures: one organisation's channels that the viewer may see, filtered."""

    organization_id: int
    channel_ids: tuple[int, ...]
    campaign_id: int | None = None
    team_id: int | None = None
    channels: tuple[Channel, ...] = field(default=(), compare=False)


def channels_visible(*, viewer: User) -> QuerySet[Channel]:
    """The channels whose figures the viewer may see (ANALYTICS_VIEW on their group)."""
    with grants_remembered():
        allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
    channels = Channel.objects.filter(organization_id=viewer.organization_id)
    if allowed is not None:
        channels = channels.filter(channel_group_id__in=allowed)
    return channels.order_by("network", "handle", "pk")


def scope_of(
    *,
    viewer: User,
    network: str = "",
    channel_id: int | None = None,
    campaign_id: int | None = None,
    team_id: int | None = None,
) -> Scope:
    channels = channels_visible(viewer=viewer)
    if network:
        channels = channels.filter(network=network)
    if channel_id is not None:
        channels = channels.filter(pk=channel_id)
    found = tuple(channels)
    return Scope(
        organization_id=viewer.organization_id,
        channel_ids=tuple(channel.pk for channel in found),
        campaign_id=campaign_id,
        team_id=team_id,
        channels=found,
    )


def _days(scope: Scope, period: Period) -> QuerySet[ChannelDay]:
    return ChannelDay.objects.filter(
        organization_id=scope.organization_id,
        channel_id__in=scope.channel_ids,
        day__gte=period.start,
        day__lte=period.end,
    )


def _ints(row: dict[str, Any], names: Iterable[str]) -> dict[str, int]:
    return {name: int(row.get(name) or 0) for name in names}


def day_totals(*, scope: Scope, period: Period) -> dict[str, int]:
    """The period's sums of the rollups: post figures, posts, follower growth, views."""
    row = _days(scope, period).aggregate(**{name: Sum(name) for name in DAY_FIGURES})
    return _ints(row, DAY_FIGURES)


def day_series(*, scope: Scope, period: Period) -> list[tuple[dt.date, dict[str, int]]]:
    """Every day of the period (days without a rollup are zeros), in order."""
    rows = {
        row["day"]: _ints(row, DAY_FIGURES)
        for row in _days(scope, period)
        .values("day")
        .order_by("day")
        .annotate(**{name: Sum(name) for name in DAY_FIGURES})
    }
    empty = dict.fromkeys(DAY_FIGURES, 0)
    return [
        (day, rows.get(day, empty))
        for day in (period.start + dt.timedelta(days=i) for i in range(period.days))
    ]


def totals_by(*, scope: Scope, period: Period, by: str) -> dict[Any, dict[str, int]]:
    """The period's sums per "network" or per "channel_id"."""
    return {
        row[by]: _ints(row, DAY_FIGURES)
        for row in _days(scope, period)
        .values(by)
        .order_by(by)
        .annotate(**{name: Sum(name) for name in DAY_FIGURES})
    }


def followers_at(*, scope: Scope, day: dt.date) -> dict[int, int]:
    """Each channel's followers at its last reading on or before the day (channels
    never read are left out)."""
    latest = ChannelDay.objects.filter(
        channel_id=OuterRef("pk"), day__lte=day, followers__isnull=False
    ).order_by("-day")
    rows = (
        Channel.objects.filter(organization_id=scope.organization_id, pk__in=scope.channel_ids)
        .annotate(followers=Subquery(latest.values("followers")[:1]))
        .values_list("pk", "followers")
    )
    return {pk: int(followers) for pk, followers in rows if followers is not None}


def _posts(scope: Scope) -> QuerySet[PostMetricTotal]:
    posts = PostMetricTotal.objects.filter(
        organization_id=scope.organization_id, channel_id__in=scope.channel_ids
    )
    if scope.campaign_id is not None:
        posts = posts.filter(campaign_id=scope.campaign_id)
    return posts


def _published_in(posts: QuerySet[PostMetricTotal], period: Period) -> QuerySet[PostMetricTotal]:
    since, until = bounds(period)
    return posts.filter(published_at__gte=since, published_at__lt=until)


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as UTC moments: its first day's midnight to the day after its last."""
    since = dt.datetime.combine(period.start, dt.time(0), tzinfo=dt.UTC)
    return since, since + dt.timedelta(days=period.days)


@dataclass(frozen=True)
class PostRow:
    variant_id: int
    text: str
    channel: str
    network: str
    published_at: dt.datetime
    figures: dict[str, int]

    @property
    def engagements(self) -> int:
        return sum(
            self.figures[name] for name in ("likes", "comments", "shares", "saves", "link_clicks")
        )


def top_posts(*, scope: Scope, period: Period | None, limit: int = 5) -> list[PostRow]:
    """The posts published in the period (None: whenever) with the most engagements so
    far."""
    posts = _posts(scope) if period is None else _published_in(_posts(scope), period)
    rows = (
        posts.annotate(engaged=ENGAGEMENT_SUM)
        .order_by("-engaged", "-published_at", "pk")
        .values(
            "variant_id",
            "variant__text",
            "channel__handle",
            "channel__network",
            "published_at",
            *POST_FIGURES,
        )[:limit]
    )
    return [
        PostRow(
            variant_id=row["variant_id"],
            text=row["variant__text"],
            channel=row["channel__handle"],
            network=row["channel__network"],
            published_at=row["published_at"],
            figures=_ints(row, POST_FIGURES),
        )
        for row in rows
    ]


def campaign_totals(*, scope: Scope) -> tuple[dict[str, int], int]:
    """A campaign's posts' figures so far (whenever read), and how many posts."""
    posts = _posts(scope)
    row = posts.aggregate(**{name: Sum(name) for name in POST_FIGURES})
    return _ints(row, POST_FIGURES), posts.count()


def campaign_fact_series(*, scope: Scope, period: Period) -> list[tuple[dt.date, dict[str, int]]]:
    """The campaign's post figures as read each day of the period."""
    assert scope.campaign_id is not None, "a campaign's scope"
    facts = PostMetricFact.objects.filter(
        organization_id=scope.organization_id,
        channel_id__in=scope.channel_ids,
        variant__post__campaign_id=scope.campaign_id,
        day__gte=period.start,
        day__lte=period.end,
    )
    rows = {
        row["day"]: _ints(row, POST_FIGURES)
        for row in facts.values("day")
        .order_by("day")
        .annotate(**{name: Sum(name) for name in POST_FIGURES})
    }
    empty = dict.fromkeys(POST_FIGURES, 0)
    return [
        (day, rows.get(day, empty))
        for day in (period.start + dt.timedelta(days=i) for i in range(period.days))
    ]


def campaign_by_channel(*, scope: Scope) -> dict[int, tuple[dict[str, int], int]]:
    rows = (
        _posts(scope)
        .values("channel_id")
        .order_by("channel_id")
        .annotate(posts=Count("pk"), **{name: Sum(name) for name in POST_FIGURES})
    )
    return {row["channel_id"]: (_ints(row, POST_FIGURES), int(row["posts"])) for row in rows}


# Community ------------------------------------------------------------------------------


@dataclass
class ResponseTally:
    """Conversations, their first-response times and SLA outcomes, for one group."""

    label: str
    conversations: int = 0
    negative: int = 0
    response_seconds: list[float] = field(default_factory=list)
    met: int = 0
    missed: int = 0

    @property
    def attainment(self) -> float | None:
        decided = self.met + self.missed
        return None if decided == 0 else 100 * self.met / decided


@dataclass
class Community:
    total: ResponseTally
    by_day: dict[dt.date, ResponseTally]
    by_team: dict[int | None, ResponseTally]
    by_person: dict[int | None, ResponseTally]
    sentiment: dict[str, int]


def community(*, scope: Scope, period: Period, now: dt.datetime | None = None) -> Community:
    """The conversations that began in the period on the scope's channels (and team):
    volume, sentiment, first-response time in the organisation's analytics business
    hours, and first-response SLA attainment under each conversation's own policy."""
    now = now or timezone.now()
    since, until = bounds(period)
    conversations = Conversation.objects.filter(
        organization_id=scope.organization_id,
        channel_id__in=scope.channel_ids,
        first_message_at__gte=since,
        first_message_at__lt=until,
    )
    if scope.team_id is not None:
        conversations = conversations.filter(team_id=scope.team_id)
    calendar = calendar_of(settings_of(scope.organization_id))
    policies = list(SlaPolicy.objects.filter(organization_id=scope.organization_id))
    policy_calendars = {policy.pk: policy_calendar(policy) for policy in policies}
    result = Community(
        total=ResponseTally("All conversations"),
        by_day={period.start + dt.timedelta(days=i): ResponseTally("") for i in range(period.days)},
        by_team={},
        by_person={},
        sentiment=defaultdict(int),
    )
    rows = conversations.values(
        "first_message_at",
        "first_response_at",
        "sentiment",
        "channel_id",
        "priority",
        "intent",
        "vip",
        "team_id",
        "team__name",
        "assignee_id",
        "assignee__name",
        "assignee__email",
    ).order_by("first_message_at", "pk")
    for row in rows.iterator(chunk_size=2000):
        policy = policy_among(
            policies,
            channel_id=row["channel_id"],
            priority=row["priority"],
            intent=row["intent"],
            vip=row["vip"],
        )
        if policy is None:
            target = fallback_target(priority=row["priority"], vip=row["vip"])
            target_seconds, sla_calendar = target.first_response_seconds, target.calendar
        else:
            target_seconds = policy.first_response_minutes * 60
            sla_calendar = policy_calendars[policy.pk]
        first, answered = row["first_message_at"], row["first_response_at"]
        seconds = None if answered is None else first_response_seconds(calendar, first, answered)
        elapsed = business_seconds_between(sla_calendar, first, answered or now)
        outcome = (
            "met"
            if answered is not None and elapsed <= target_seconds
            else "missed"
            if elapsed > target_seconds
            else None
        )
        person = row["assignee__name"] or row["assignee__email"] or "Unassigned"
        groups = (
            result.total,
            result.by_day[first.astimezone(dt.UTC).date()],
            result.by_team.setdefault(
                row["team_id"], ResponseTally(row["team__name"] or "No team")
            ),
            result.by_person.setdefault(row["assignee_id"], ResponseTally(person)),
        )
        for tally in groups:
            tally.conversations += 1
            tally.negative += row["sentiment"] == "negative"
            if seconds is not None:
                tally.response_seconds.append(seconds)
            tally.met += outcome == "met"
            tally.missed += outcome == "missed"
        result.sentiment[row["sentiment"] or "unknown"] += 1
    return result


# Publishing -----------------------------------------------------------------------------


@dataclass
class PublishingDay:
    scheduled: int = 0
    published: int = 0
    on_time: int = 0
    failed: int = 0


@dataclass
class Publishing:
    total: PublishingDay
    by_day: dict[dt.date, PublishingDay]
    by_channel: dict[int, PublishingDay]
    approval_hours: list[float]


def publishing(*, scope: Scope, period: Period) -> Publishing:
    """The variants scheduled in the period on the scope's channels: how many went out,
    on time or late, and how many failed; and the approvals closed in the period."""
    since, until = bounds(period)
    variants = Variant.objects.filter(
        organization_id=scope.organization_id,
        channel_id__in=scope.channel_ids,
        scheduled_at__gte=since,
        scheduled_at__lt=until,
    )
    if scope.campaign_id is not None:
        variants = variants.filter(post__campaign_id=scope.campaign_id)
    result = Publishing(
        total=PublishingDay(),
        by_day={period.start + dt.timedelta(days=i): PublishingDay() for i in range(period.days)},
        by_channel={},
        approval_hours=[],
    )
    for channel_id, state, scheduled_at, published_at in variants.values_list(
        "channel_id", "state", "scheduled_at", "published_at"
    ):
        assert scheduled_at is not None  # filtered on it above
        day = scheduled_at.astimezone(dt.UTC).date()
        for tally in (
            result.total,
            result.by_day[day],
            result.by_channel.setdefault(channel_id, PublishingDay()),
        ):
            tally.scheduled += 1
            if published_at is not None and state == VariantState.PUBLISHED:
                tally.published += 1
                tally.on_time += published_at - scheduled_at <= ON_TIME_TOLERANCE
            tally.failed += state in (VariantState.FAILED, VariantState.UNCONFIRMED)
    approvals = ApprovalRequest.objects.filter(
        organization_id=scope.organization_id,
        status=ApprovalRequest.Status.APPROVED,
        closed_at__gte=since,
        closed_at__lt=until,
        post__in=Variant.objects.filter(
            organization_id=scope.organization_id, channel_id__in=scope.channel_ids
        ).values("post_id"),
    )
    if scope.campaign_id is not None:
        approvals = approvals.filter(post__campaign_id=scope.campaign_id)
    result.approval_hours = [
        (closed - created).total_seconds() / 3600
        for created, closed in approvals.values_list("created_at", "closed_at")
        if closed is not None
    ]
    return result
