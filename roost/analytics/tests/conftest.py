"""Analytics fixtures: channels and published posts to read figures of."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

import pytest

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Role
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState


@pytest.fixture
def make_channel(org, admin, make_user) -> Callable[..., Channel]:
    def make(network: str = "linkedin", handle: str = "acme", group: str = "Consumer") -> Channel:
        channel_group, _ = ChannelGroup.objects.get_or_create(organization=org, name=group)
        owner = make_user(org, Role.PUBLISHER, channel_group=channel_group)
        return channel_services.channel_create(
            actor=admin, organization=org, network=network, placement="post", handle=handle,
            channel_group=channel_group, primary_owner=owner,
        )  # fmt: skip

    return make


@pytest.fixture
def channel(make_channel) -> Channel:
    return make_channel()


@pytest.fixture
def make_published() -> Callable[..., Variant]:
    """A post published on the channel at that moment (nothing is sent anywhere)."""

    def make(
        channel: Channel,
        published_at: dt.datetime,
        *,
        text: str = "Our new jacket is here.",
        campaign: Campaign | None = None,
    ) -> Variant:
        post = Post.objects.create(
            organization_id=channel.organization_id,
            author=channel.primary_owner,
            master_text=text,
            campaign=campaign,
            state=PostState.PUBLISHED,
        )
        return Variant.objects.create(
            organization_id=channel.organization_id,
            post=post,
            channel=channel,
            text=text,
            state=VariantState.PUBLISHED,
            external_id=secrets.token_hex(6),
            idempotency_key=secrets.token_hex(8),
            published_at=published_at,
        )

    return make


# Dashboards: a few weeks of history written the way the collection job writes it.

HISTORY_END = dt.date(2026, 3, 28)


@pytest.fixture
def write_history(make_published) -> Callable[..., list[Variant]]:
    """Posts on the channel, one every `every` days over `days` days up to HISTORY_END,
    each read three times through `post_reading_record` (its figures scaled by `scale`,
    so a test can make a channel rise or fall), and a daily follower reading."""
    from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
    from roost.channels.connectors.base import ChannelStats

    def write(
        channel: Channel,
        *,
        days: int = 56,
        every: int = 2,
        scale: Callable[[int], float] = lambda day: 1.0,
        followers: int = 1000,
        campaign: Campaign | None = None,
    ) -> list[Variant]:
        start = HISTORY_END - dt.timedelta(days=days - 1)
        variants = []
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
            channel_reading_record(
                channel=channel,
                stats=ChannelStats(followers=followers + 3 * offset),
                read_at=noon + dt.timedelta(hours=10),
            )
            if offset % every:
                continue
            factor = scale(offset)
            variant = make_published(
                channel, noon - dt.timedelta(hours=3), text=f"Post {offset} on {channel.handle}",
                campaign=campaign,
            )  # fmt: skip
            for hours, share in ((1, 0.5), (5, 0.8), (9, 1.0)):
                post_reading_record(
                    variant=variant,
                    reading=PostReading(
                        impressions=round(1000 * factor * share),
                        reach=round(800 * factor * share),
                        likes=round(40 * factor * share),
                        comments=round(10 * factor * share),
                        shares=round(5 * factor * share),
                        saves=round(3 * factor * share),
                        link_clicks=round(2 * factor * share),
                        video_views=round(100 * factor * share),
                    ),
                    read_at=noon - dt.timedelta(hours=3) + dt.timedelta(hours=hours),
                )
            variants.append(variant)
        return variants

    return write


# -- Reports: a small dashboard of the tests' own, declared for the test's length ----------


def _sample_builder(kind: str, title: str):  # type: ignore[no-untyped-def]
    """A dashboard over ChannelDay (tenancy and the viewer's channel groups applied), with
    one figure, one line chart of impressions per day, one table of channels and one
    sentence: enough for exports and reports to show what any builder gives them."""
    from django.db.models import Sum

    from roost.analytics.dashboard import Chart, Dashboard, Figure, Sentence, Series, Table
    from roost.analytics.models import ChannelDay, PostMetricTotal
    from roost.core.permissions import Action, channel_group_ids_allowed

    def build(*, viewer, period, filters):  # type: ignore[no-untyped-def]
        days = ChannelDay.objects.filter(organization_id=viewer.organization_id)
        allowed = channel_group_ids_allowed(viewer, Action.ANALYTICS_VIEW)
        if allowed is not None:
            days = days.filter(channel__channel_group_id__in=allowed)
        if "channel" in filters:
            days = days.filter(channel_id=int(filters["channel"]))
        if "network" in filters:
            days = days.filter(network=filters["network"])
        if "campaign" in filters:
            channel_ids = PostMetricTotal.objects.filter(
                campaign_id=int(filters["campaign"])
            ).values("channel_id")
            days = days.filter(channel_id__in=channel_ids)

        def total(p):  # type: ignore[no-untyped-def]
            found = days.filter(day__gte=p.start, day__lte=p.end).aggregate(s=Sum("impressions"))
            return float(found["s"]) if found["s"] is not None else None

        this, before = total(period), total(period.previous())
        per_day = dict(
            days.filter(day__gte=period.start, day__lte=period.end)
            .values_list("day")
            .annotate(s=Sum("impressions"))
        )
        labels, values = [], []
        for n in range(period.days):
            day = period.start + dt.timedelta(days=n)
            labels.append(f"{day:%d %b}")
            values.append(float(per_day[day]) if day in per_day else None)
        by_channel = (
            days.filter(day__gte=period.start, day__lte=period.end)
            .values_list("channel__handle")
            .annotate(s=Sum("impressions"))
            .order_by("channel__handle")
        )
        figure = Figure(
            key="impressions", label="Impressions", value=this, previous=before,
            definition="Times a post was shown, as the network counts it.",
        )  # fmt: skip
        narrative = ()
        if figure.change is not None:
            word = "rose" if figure.change > 0 else "fell"
            narrative = (
                Sentence(
                    text=f"Impressions {word} {abs(figure.change) * 100:.0f}% on the period"
                    " before.",
                    uses=("impressions",),
                ),
            )
        return Dashboard(
            kind=kind, title=title, period=period, filters=filters, figures=(figure,),
            narrative=narrative,
            charts=(
                Chart(
                    key="impressions_by_day", title="Impressions per day", kind="line",
                    labels=tuple(labels), series=(Series("Impressions", tuple(values)),),
                ),
            ),
            tables=(
                Table(
                    key="channels", title="Channels", columns=("Channel", "Impressions"),
                    rows=tuple((handle, str(s)) for handle, s in by_channel),
                ),
            ),
            generated_at=dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC),
        )  # fmt: skip

    return build


@pytest.fixture
def sample_dashboards():  # type: ignore[no-untyped-def]
    """Declares "sample" (filters channel, network) and "campaign" (filter campaign) for
    the test, and puts the registry back as it was afterwards."""
    from roost.analytics import dashboard

    kept = dict(dashboard._kinds)
    dashboard.dashboard_kind_declare(
        kind="sample", title="Sample overview",
        builder=_sample_builder("sample", "Sample overview"), filters=("channel", "network"),
    )  # fmt: skip
    dashboard.dashboard_kind_declare(
        kind="campaign", title="Campaign", builder=_sample_builder("campaign", "Campaign"),
        filters=("campaign",),
    )  # fmt: skip
    yield
    dashboard._kinds.clear()
    dashboard._kinds.update(kept)


@pytest.fixture
def with_days(make_published):  # type: ignore[no-untyped-def]
    """Readings for a channel: one post, read once a day with `impressions` growing by
    the given amounts, from `first_day` on (noon UTC)."""
    from roost.analytics.record import PostReading, post_reading_record

    def make(channel, first_day: dt.date, growth: list[int], *, campaign=None):  # type: ignore[no-untyped-def]
        published = dt.datetime.combine(first_day, dt.time(9), tzinfo=dt.UTC)
        variant = make_published(channel, published, campaign=campaign)
        total = 0
        for n, amount in enumerate(growth):
            total += amount
            read_at = published + dt.timedelta(days=n, hours=3)
            post_reading_record(
                variant=variant, reading=PostReading(impressions=total, likes=total // 10),
                read_at=read_at,
            )  # fmt: skip
        return variant

    return make
