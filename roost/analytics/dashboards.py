"""The six dashboards: organisation overview, per network, per channel, per campaign,
community and publishing. Each builder reads `figures`, counts by `definitions`, says
it in words with `narrative`, and returns a plain `Dashboard`; `declare_dashboards`
registers them (at start-up, in the app's `ready`).

Every builder first checks ANALYTICS_VIEW and narrows to the viewer's channels
(`figures.scope_of`); a filter naming something the viewer cannot see is refused with
INVALID, the same as one that names nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from django.utils import timezone

from roost.analytics import figures as q
from roost.analytics.dashboard import (
    Chart,
    Dashboard,
    Figure,
    Period,
    Sentence,
    Series,
    Table,
    dashboard_kind_declare,
)
from roost.analytics.definitions import (
    APPROVAL_LEAD_TIME,
    CONVERSATIONS,
    ENGAGEMENTS,
    FAILURES,
    FOLLOWER_GROWTH,
    IMPRESSIONS,
    ON_TIME,
    POSTS,
    REACH,
    SLA_ATTAINMENT,
    engagement_rate,
    engagement_rate_definition,
    engagements,
    first_response_definition,
    median,
    settings_of,
)
from roost.analytics.models import AnalyticsSettings, ChannelDay
from roost.analytics.narrative import narrative_compose, value_text
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Team, User
from roost.core.permissions import Action, can_somewhere
from roost.publishing.models import Campaign

# Fewer answered conversations than this give no median; fewer decided ones no attainment.
MIN_RESPONSES = 5


def _refuse(message: str, field: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, field=field)


def _id(filters: Mapping[str, str], name: str) -> int | None:
    raw = (filters.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise _refuse(f"The {name} filter takes an id.", name)
    return int(raw)


def _viewer_checked(viewer: User) -> None:
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Your roles do not allow analytics.")


def _scope(viewer: User, filters: Mapping[str, str]) -> q.Scope:
    """The viewer's channels narrowed by the network, channel and team filters."""
    _viewer_checked(viewer)
    network = (filters.get("network") or "").strip()
    channel_id = _id(filters, "channel")
    team_id = _id(filters, "team")
    visible = q.channels_visible(viewer=viewer)
    if network and not visible.filter(network=network).exists():
        raise _refuse("Choose a network of your channels.", "network")
    if channel_id is not None and not visible.filter(pk=channel_id).exists():
        raise _refuse("Choose one of your channels.", "channel")
    if (
        team_id is not None
        and not Team.objects.filter(organization_id=viewer.organization_id, pk=team_id).exists()
    ):
        raise _refuse("Choose a team of your organisation.", "team")
    return q.scope_of(viewer=viewer, network=network, channel_id=channel_id, team_id=team_id)


def _day_labels(period: Period) -> tuple[str, ...]:
    return tuple(f"{period.start + dt.timedelta(days=i):%d %b}" for i in range(period.days))


def _rate(totals: Mapping[str, int], followers: float | None, basis: str) -> float | None:
    return engagement_rate(
        engaged=engagements(totals),
        basis=basis,
        impressions=totals["impressions"],
        reach=totals["reach"],
        followers=followers,
    )


def _followers_total(scope: q.Scope, day: dt.date) -> float | None:
    found = q.followers_at(scope=scope, day=day)
    return float(sum(found.values())) if found else None


def _reach_figures(
    scope: q.Scope, period: Period, settings: AnalyticsSettings
) -> tuple[list[Figure], dict[str, int], dict[str, int]]:
    """Engagements, rate, impressions, reach, follower growth and posts, both periods."""
    now = q.day_totals(scope=scope, period=period)
    before = q.day_totals(scope=scope, period=period.previous())
    rate_definition = engagement_rate_definition(settings.engagement_basis)
    rate_now = _rate(now, _followers_total(scope, period.end), settings.engagement_basis)
    rate_before = _rate(
        before, _followers_total(scope, period.previous().end), settings.engagement_basis
    )
    offered_reach = now["reach"] or before["reach"]
    result = [
        Figure("engagements", "Engagements", engagements(now), engagements(before),
               definition=ENGAGEMENTS.text),
        Figure("engagement_rate", "Engagement rate", rate_now, rate_before, unit="percent",
               definition=rate_definition.text),
        Figure("impressions", "Impressions", now["impressions"], before["impressions"],
               definition=IMPRESSIONS.text),
        Figure("reach", "Reach", now["reach"] if offered_reach else None,
               before["reach"] if offered_reach else None, definition=REACH.text),
        Figure("follower_growth", "Follower growth", now["follower_growth"],
               before["follower_growth"], definition=FOLLOWER_GROWTH.text),
        Figure("posts", "Posts published", now["posts_published"], before["posts_published"],
               definition=POSTS.text),
    ]  # fmt: skip
    return result, now, before


def _comparison_chart(
    key: str,
    title: str,
    period: Period,
    now: Sequence[float | None],
    before: Sequence[float | None],
    *,
    unit: str = "count",
    definition: str = "",
) -> Chart:
    """This period against the one before, day by day (day 1 against day 1)."""
    return Chart(
        key=key,
        title=title,
        kind="line",
        labels=_day_labels(period),
        axis="Day",
        series=(
            Series(f"{period.start:%d %b} to {period.end:%d %b}", tuple(now)),
            Series("Previous period", tuple(before)),
        ),
        unit=unit,  # type: ignore[arg-type]
        definition=definition,
    )


def _daily_engagement_chart(scope: q.Scope, period: Period) -> Chart:
    now = [engagements(row) for _, row in q.day_series(scope=scope, period=period)]
    before = [engagements(row) for _, row in q.day_series(scope=scope, period=period.previous())]
    return _comparison_chart(
        "engagements_daily", "Engagements per day", period, now, before,
        definition=ENGAGEMENTS.text,
    )  # fmt: skip


def _posts_table(posts: Sequence[q.PostRow], basis: str) -> Table:
    rows = []
    for post in posts:
        rate = _rate(post.figures, None, basis)
        excerpt = " ".join(post.text.split())
        rows.append(
            (
                excerpt[:80] + ("…" if len(excerpt) > 80 else ""),
                f"{q.network_label(post.network)} ({post.channel})",
                f"{post.published_at:%d %b %Y}",
                f"{post.figures['impressions']:,}",
                f"{post.engagements:,}",
                "" if rate is None else f"{rate:.1f}%",
            )
        )
    return Table(
        key="top_posts",
        title="Top posts by engagements",
        columns=("Post", "Channel", "Published", "Impressions", "Engagements", "Rate"),
        rows=tuple(rows),
    )


def _change_text(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else ""
    change = (now - before) / abs(before)
    return f"{change:+.0%}"


def _leader(
    by_key: Mapping[str, tuple[int, int]], label: Callable[[str], str], period: Period
) -> Figure | None:
    """The group whose engagements moved most (with enough data to say so)."""
    candidates = [
        Figure(f"engagements:{key}", f"{label(key)} engagements", now, before)
        for key, (now, before) in by_key.items()
    ]
    candidates = [
        f for f in candidates
        if f.change is not None and max(f.value or 0, f.previous or 0) >= 20
    ]  # fmt: skip
    if len(by_key) < 2 or not candidates:
        return None
    return max(candidates, key=lambda f: abs((f.value or 0) - (f.previous or 0)))


def _breakdown(
    scope: q.Scope, period: Period, *, by: str, label: Callable[[object], str], basis: str
) -> tuple[Chart, Table, dict[str, tuple[int, int]]]:
    now = q.totals_by(scope=scope, period=period, by=by)
    before = q.totals_by(scope=scope, period=period.previous(), by=by)
    keys = sorted(set(now) | set(before), key=lambda k: label(k).lower())
    zero = dict.fromkeys(q.DAY_FIGURES, 0)
    moved = {
        str(k): (engagements(now.get(k, zero)), engagements(before.get(k, zero))) for k in keys
    }
    title = "network" if by == "network" else "channel"
    chart = Chart(
        key=f"engagements_by_{title}",
        axis=title.capitalize(),
        title=f"Engagements by {title}",
        kind="bar",
        labels=tuple(label(k) for k in keys),
        series=(
            Series("This period", tuple(float(moved[str(k)][0]) for k in keys)),
            Series("Previous period", tuple(float(moved[str(k)][1]) for k in keys)),
        ),
        definition=ENGAGEMENTS.text,
    )
    rows = []
    for k in keys:
        figures = now.get(k, zero)
        rate = _rate(figures, None, basis) if basis != "followers" else None
        rows.append(
            (
                label(k),
                f"{figures['impressions']:,}",
                f"{engagements(figures):,}",
                "" if rate is None else f"{rate:.1f}%",
                f"{figures['posts_published']:,}",
                _change_text(*moved[str(k)]),
            )
        )
    table = Table(
        key=f"by_{title}",
        title=f"By {title}",
        columns=(title.capitalize(), "Impressions", "Engagements", "Rate", "Posts",
                 "Engagements vs previous"),
        rows=tuple(rows),
    )  # fmt: skip
    return chart, table, moved


def _reach_dashboard(
    kind: str, title: str, viewer: User, period: Period, filters: Mapping[str, str],
    scope: q.Scope, *, by: str | None,
) -> Dashboard:  # fmt: skip
    settings = settings_of(viewer.organization_id)
    figures, _, _ = _reach_figures(scope, period, settings)
    charts = [_daily_engagement_chart(scope, period)]
    tables: list[Table] = []
    leader = None
    if by is not None:
        names = {str(channel.pk): channel.handle for channel in scope.channels}

        def label(key: object) -> str:
            return q.network_label(str(key)) if by == "network" else names.get(str(key), str(key))

        chart, table, moved = _breakdown(
            scope, period, by=by, label=label, basis=settings.engagement_basis
        )
        charts.append(chart)
        tables.append(table)
        leader = _leader(moved, lambda key: label(key), period)
    posts = q.top_posts(scope=scope, period=period)
    tables.append(_posts_table(posts, settings.engagement_basis))
    spoken = [figures[0]] + ([leader] if leader else []) + figures[1:]
    return Dashboard(
        kind=kind,
        title=title,
        period=period,
        filters=dict(filters),
        figures=tuple(figures),
        narrative=narrative_compose(
            period=period, figures=spoken, top_post=posts[0] if posts else None
        ),
        charts=tuple(charts),
        tables=tuple(tables),
        generated_at=timezone.now(),
    )


def overview_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    scope = _scope(viewer, filters)
    return _reach_dashboard(
        "overview", "Organisation overview", viewer, period, filters, scope, by="network"
    )


def network_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    _viewer_checked(viewer)
    chosen = dict(filters)
    if not chosen.get("network"):
        first = q.channels_visible(viewer=viewer).values_list("network", flat=True).first()
        if first:
            chosen["network"] = first
    scope = _scope(viewer, chosen) if chosen.get("network") else q.Scope(viewer.organization_id, ())
    name = q.network_label(chosen.get("network", "")) or "No network"
    return _reach_dashboard("network", f"{name}", viewer, period, chosen, scope, by="channel_id")


def channel_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    _viewer_checked(viewer)
    chosen = dict(filters)
    if not chosen.get("channel"):
        first = q.channels_visible(viewer=viewer).values_list("pk", flat=True).first()
        if first:
            chosen["channel"] = str(first)
    scope = _scope(viewer, chosen) if chosen.get("channel") else q.Scope(viewer.organization_id, ())
    channel = scope.channels[0] if scope.channels else None
    title = f"{channel.handle} on {q.network_label(channel.network)}" if channel else "No channel"
    board = _reach_dashboard("channel", title, viewer, period, chosen, scope, by=None)
    # The channel's audience, day by day (a day without a reading has no point).
    followers = [None if row is None else float(row) for row in _followers_by_day(scope, period)]
    chart = Chart(
        key="followers_daily",
        title="Followers",
        kind="line",
        labels=_day_labels(period),
        axis="Day",
        series=(Series("Followers", tuple(followers)),),
        definition="The channel's followers at the last reading of each day.",
    )
    return Dashboard(
        kind=board.kind, title=board.title, period=period, filters=board.filters,
        figures=board.figures, narrative=board.narrative, charts=(*board.charts, chart),
        tables=board.tables, generated_at=board.generated_at,
    )  # fmt: skip


def _followers_by_day(scope: q.Scope, period: Period) -> list[int | None]:
    known = dict(
        ChannelDay.objects.filter(
            organization_id=scope.organization_id,
            channel_id__in=scope.channel_ids,
            day__gte=period.start,
            day__lte=period.end,
            followers__isnull=False,
        ).values_list("day", "followers")
    )
    return [known.get(period.start + dt.timedelta(days=i)) for i in range(period.days)]


def campaign_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    _viewer_checked(viewer)
    campaign_id = _id(filters, "campaign")
    campaigns = Campaign.objects.filter(organization_id=viewer.organization_id)
    if campaign_id is None:
        # The campaign most recently released, which has figures; else the newest one.
        campaign = (
            campaigns.filter(release_at__lte=timezone.now()).order_by("-release_at", "-pk").first()
            or campaigns.order_by("-created_at", "-pk").first()
        )
    else:
        campaign = campaigns.filter(pk=campaign_id).first()
        if campaign is None:
            raise _refuse("Choose a campaign of your organisation.", "campaign")
    settings = settings_of(viewer.organization_id)
    base = _scope(viewer, {})
    scope = q.Scope(
        organization_id=base.organization_id,
        channel_ids=base.channel_ids,
        campaign_id=campaign.pk if campaign else -1,
        channels=base.channels,
    )
    totals, posts_count = q.campaign_totals(scope=scope)
    engaged = engagements(totals)
    rate = _rate(totals, None, settings.engagement_basis)
    figures = (
        Figure("posts", "Posts", posts_count, None, definition=POSTS.text),
        Figure("impressions", "Impressions", totals["impressions"], None,
               definition=IMPRESSIONS.text),
        Figure("engagements", "Engagements", engaged, None, definition=ENGAGEMENTS.text),
        Figure("engagement_rate", "Engagement rate", rate, None, unit="percent",
               definition=engagement_rate_definition(settings.engagement_basis).text),
    )  # fmt: skip
    series = q.campaign_fact_series(scope=scope, period=period)
    chart = Chart(
        key="campaign_engagements_daily",
        title="Campaign engagements as read each day",
        kind="bar",
        labels=_day_labels(period),
        axis="Day",
        series=(Series("Engagements", tuple(float(engagements(row)) for _, row in series)),),
        definition=ENGAGEMENTS.text,
    )
    names = {channel.pk: channel for channel in base.channels}
    by_channel = q.campaign_by_channel(scope=scope)
    rows = tuple(
        (
            f"{names[pk].handle} ({q.network_label(names[pk].network)})",
            f"{count:,}",
            f"{figs['impressions']:,}",
            f"{engagements(figs):,}",
        )
        for pk, (figs, count) in sorted(by_channel.items(), key=lambda i: -engagements(i[1][0]))
        if pk in names
    )
    posts = q.top_posts(scope=scope, period=None)
    narrative: list[Sentence] = []
    if campaign is not None and posts_count and engaged:
        narrative.append(
            Sentence(
                f"“{campaign.name}” published {posts_count:,} posts, which drew {engaged:,} "
                f"engagements from {totals['impressions']:,} impressions.",
                ("posts", "engagements", "impressions"),
            )
        )
        if rate is not None:
            narrative.append(
                Sentence(
                    f"Its engagement rate is {value_text(rate, 'percent')}.", ("engagement_rate",)
                )
            )
        if len(rows) > 1:
            narrative.append(
                Sentence(
                    f"Its strongest channel was {rows[0][0]}, with {rows[0][3]} engagements.",
                    ("by_channel",),
                )
            )
        narrative.extend(narrative_compose(period=period, figures=(), top_post=posts[0]))
    return Dashboard(
        kind="campaign",
        title=f"Campaign: {campaign.name}" if campaign else "No campaign yet",
        period=period,
        filters={"campaign": str(campaign.pk)} if campaign else dict(filters),
        figures=figures,
        narrative=tuple(narrative[:5]),
        charts=(chart,),
        tables=(
            Table(
                "by_channel", "By channel", ("Channel", "Posts", "Impressions", "Engagements"), rows
            ),
            _posts_table(posts, settings.engagement_basis),
        ),
        generated_at=timezone.now(),
    )


def _community_figures(
    tally: q.ResponseTally, previous: q.ResponseTally, settings: AnalyticsSettings
) -> tuple[Figure, ...]:
    def median_minutes(t: q.ResponseTally) -> float | None:
        if len(t.response_seconds) < MIN_RESPONSES:
            return None
        found = median(t.response_seconds)
        return None if found is None else found / 60

    def attainment(t: q.ResponseTally) -> float | None:
        return t.attainment if t.met + t.missed >= MIN_RESPONSES else None

    def negative(t: q.ResponseTally) -> float | None:
        return 100 * t.negative / t.conversations if t.conversations >= MIN_RESPONSES else None

    return (
        Figure("conversations", "Conversations", tally.conversations, previous.conversations,
               definition=CONVERSATIONS.text),
        Figure("first_response", "Median first-response time", median_minutes(tally),
               median_minutes(previous), unit="minutes",
               definition=first_response_definition(settings).text),
        Figure("sla_attainment", "SLA attainment", attainment(tally), attainment(previous),
               unit="percent", definition=SLA_ATTAINMENT.text),
        Figure("negative_share", "Negative conversations", negative(tally), negative(previous),
               unit="percent", definition="The share of conversations whose sentiment the "
               "inbox classified as negative."),
    )  # fmt: skip


def _tally_rows(tallies: Mapping[int | None, q.ResponseTally]) -> tuple[tuple[str, ...], ...]:
    rows = []
    for tally in sorted(tallies.values(), key=lambda t: (-t.conversations, t.label)):
        found = median(tally.response_seconds)
        attainment = tally.attainment
        rows.append(
            (
                tally.label,
                f"{tally.conversations:,}",
                "" if found is None else value_text(found / 60, "minutes"),
                "" if attainment is None else f"{attainment:.0f}%",
            )
        )
    return tuple(rows)


def community_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    scope = _scope(viewer, filters)
    settings = settings_of(viewer.organization_id)
    now = q.community(scope=scope, period=period)
    before = q.community(scope=scope, period=period.previous())
    figures = _community_figures(now.total, before.total, settings)
    volume = _comparison_chart(
        "conversations_daily", "Conversations per day", period,
        [t.conversations for t in now.by_day.values()],
        [t.conversations for t in before.by_day.values()],
        definition=CONVERSATIONS.text,
    )  # fmt: skip
    attainment = Chart(
        key="sla_by_day",
        title="SLA attainment per day",
        kind="line",
        labels=_day_labels(period),
        axis="Day",
        series=(Series("SLA attainment", tuple(t.attainment for t in now.by_day.values())),),
        unit="percent",
        definition=SLA_ATTAINMENT.text,
    )
    sentiments = sorted(now.sentiment.items(), key=lambda item: -item[1])
    sentiment = Chart(
        key="sentiment",
        axis="Sentiment",
        title="Conversations by sentiment",
        kind="bar",
        labels=tuple(name.capitalize() for name, _ in sentiments),
        series=(Series("Conversations", tuple(float(count) for _, count in sentiments)),),
        definition="The sentiment the inbox gave each conversation.",
    )
    columns = ("", "Conversations", "Median first response", "SLA attainment")
    return Dashboard(
        kind="community",
        title="Community",
        period=period,
        filters=dict(filters),
        figures=figures,
        narrative=narrative_compose(period=period, figures=figures),
        charts=(volume, attainment, sentiment),
        tables=(
            Table("by_team", "By team", ("Team", *columns[1:]), _tally_rows(now.by_team)),
            Table("by_person", "By person", ("Person", *columns[1:]), _tally_rows(now.by_person)),
        ),
        generated_at=timezone.now(),
    )


def publishing_build(*, viewer: User, period: Period, filters: Mapping[str, str]) -> Dashboard:
    scope = _scope(viewer, filters)
    campaign_id = _id(filters, "campaign")
    if campaign_id is not None:
        if not Campaign.objects.filter(
            organization_id=viewer.organization_id, pk=campaign_id
        ).exists():
            raise _refuse("Choose a campaign of your organisation.", "campaign")
        scope = q.Scope(
            scope.organization_id, scope.channel_ids, campaign_id=campaign_id,
            channels=scope.channels,
        )  # fmt: skip
    now = q.publishing(scope=scope, period=period)
    before = q.publishing(scope=scope, period=period.previous())

    def on_time(t: q.PublishingDay) -> float | None:
        return 100 * t.on_time / t.published if t.published >= MIN_RESPONSES else None

    def lead(hours: list[float]) -> float | None:
        return median(hours) if len(hours) >= MIN_RESPONSES else None

    figures = (
        Figure("published", "Posts published", now.total.published, before.total.published,
               definition="Posts scheduled in the period that went out."),
        Figure("on_time_rate", "On-time rate", on_time(now.total), on_time(before.total),
               unit="percent", definition=ON_TIME.text),
        Figure("failures", "Failures", now.total.failed, before.total.failed,
               definition=FAILURES.text),
        Figure("approval_lead_time", "Approval lead time", lead(now.approval_hours),
               lead(before.approval_hours), unit="hours", definition=APPROVAL_LEAD_TIME.text),
    )  # fmt: skip
    chart = Chart(
        key="publishing_daily",
        title="Posts published and failed per day",
        kind="bar",
        labels=_day_labels(period),
        axis="Day",
        series=(
            Series("Published", tuple(float(t.published) for t in now.by_day.values())),
            Series("Failed", tuple(float(t.failed) for t in now.by_day.values())),
        ),
        definition=FAILURES.text,
    )
    names = {channel.pk: channel for channel in scope.channels}
    rows = tuple(
        (
            f"{names[pk].handle} ({q.network_label(names[pk].network)})",
            f"{t.scheduled:,}",
            f"{t.published:,}",
            "" if not t.published else f"{100 * t.on_time / t.published:.0f}%",
            f"{t.failed:,}",
        )
        for pk, t in sorted(now.by_channel.items(), key=lambda i: names[i[0]].handle)
    )
    return Dashboard(
        kind="publishing",
        title="Publishing",
        period=period,
        filters=dict(filters),
        figures=figures,
        narrative=narrative_compose(period=period, figures=figures),
        charts=(chart,),
        tables=(
            Table(
                "by_channel",
                "By channel",
                ("Channel", "Scheduled", "Published", "On time", "Failed"),
                rows,
            ),
        ),
        generated_at=timezone.now(),
    )


# The kinds in the order the pages list them, with the filters each takes.
DASHBOARDS: tuple[tuple[str, str, Callable[..., Dashboard], tuple[str, ...]], ...] = (
    ("overview", "Overview", overview_build, ()),
    ("network", "Network", network_build, ("network",)),
    ("channel", "Channel", channel_build, ("channel",)),
    ("campaign", "Campaign", campaign_build, ("campaign",)),
    ("community", "Community", community_build, ("network", "channel", "team")),
    ("publishing", "Publishing", publishing_build, ("network", "channel", "campaign")),
)


def declare_dashboards() -> None:
    for kind, title, builder, filters in DASHBOARDS:
        dashboard_kind_declare(kind=kind, title=title, builder=builder, filters=filters)
