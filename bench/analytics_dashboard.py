"""Benchmark: the overview and channel dashboards over a year of figures, against DuckDB.

Roost keeps every reading of a post as a fact and, as facts are written, a daily
rollup per channel (`ChannelDay`); a dashboard reads the rollups. The reference is
DuckDB, a columnar analytics engine, computing the same aggregation (totals, the
previous period's totals, figures by day and by network, the best posts) straight from
the same facts, exported from PostgreSQL in the same run.

Size: 300 channels, a year, about 10,000,000 post facts (posts published through the
year, each read about thirty times), generated inside PostgreSQL with
`generate_series`; rollups and totals are computed from the facts by SQL, and checked
to equal them. Measured: the server time of `dashboard_build("overview")` and
`dashboard_build("channel")` for the last 90 days, repeated, p50 and p95; DuckDB's
time for the same figures, repeated, p50 and p95. The totals of the 90 days read from
Roost's rollups must equal DuckDB's sums of the facts, or the run fails.

Needs PostgreSQL: DATABASE_URL=postgres://... naming a scratch database (the run adds
an organisation of its own and removes it at the end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# ruff: noqa: S608 - the SQL below is built from integers and dates this script made itself.

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, setup_django
from publish_burst import ensure_database

TARGET_P95_MS = 300.0
FIGURES = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)
NETWORKS = ("linkedin", "x", "instagram", "facebook", "bluesky", "mastodon", "threads")
PLACEMENTS = {"instagram": "square", "facebook": "feed"}


class Size:
    def __init__(self, *, channels: int, days: int, posts_a_day: int, readings: int, runs: int):
        self.channels, self.days, self.posts_a_day = channels, days, posts_a_day
        self.readings, self.runs = readings, runs

    @property
    def posts(self) -> int:
        return self.channels * self.days * self.posts_a_day


FULL = Size(channels=300, days=365, posts_a_day=3, readings=31, runs=20)
QUICK = Size(channels=20, days=120, posts_a_day=2, readings=12, runs=5)


def _seed_people_and_channels(size: Size, tag: str) -> tuple[Any, Any, list[int]]:
    from roost.channels.models import Channel
    from roost.core.models import ChannelGroup, Membership, Organization, Role, User

    org = Organization.objects.create(
        name="Analytics bench", slug=f"bench-analytics-{tag}", require_two_factor=False
    )
    admin = User.objects.create_user(
        email=f"admin-{tag}@bench.example", password=None, organization=org, name="Admin"
    )
    Membership.objects.create(organization=org, user=admin, role=Role.ADMIN)
    group = ChannelGroup.objects.create(organization=org, name="All channels")
    channels = Channel.objects.bulk_create(
        Channel(
            organization=org,
            network=NETWORKS[n % len(NETWORKS)],
            placement=PLACEMENTS.get(NETWORKS[n % len(NETWORKS)], "post"),
            connector="sandbox",
            handle=f"channel{n}",
            channel_group=group,
            primary_owner=admin,
        )
        for n in range(size.channels)
    )
    return org, admin, [channel.pk for channel in channels]


def _clone_columns(model: Any, overrides: dict[str, str]) -> tuple[str, str]:
    """The column list of the model's table, and a SELECT list that copies the template
    row `t` except where `overrides` gives an SQL expression."""
    columns = [field.column for field in model._meta.concrete_fields]
    select = [overrides.get(column, f"t.{column}") for column in columns]
    return ", ".join(columns), ", ".join(select)


def _generate(size: Size, org: Any, admin: Any, channel_ids: list[int], end: dt.date) -> None:
    """Posts, variants, facts, totals, channel readings and rollups, all in PostgreSQL."""
    from django.db import connection

    from roost.analytics.models import (
        ChannelDay,
        ChannelMetricFact,
        PostMetricFact,
        PostMetricTotal,
    )
    from roost.publishing.models import Post, PostState, Variant, VariantState

    start = dt.datetime.combine(end, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(days=size.days - 1)
    now = dt.datetime.combine(end, dt.time(23, 59), tzinfo=dt.UTC)
    post = Post.objects.create(
        organization=org, author=admin, master_text="A year of posts", state=PostState.PUBLISHED
    )
    variant = Variant.objects.create(
        organization=org, post=post, channel_id=channel_ids[0], text="A year of posts",
        state=VariantState.PUBLISHED, idempotency_key=f"bench-template-{org.pk}",
        external_id="template", published_at=start,
    )  # fmt: skip
    with connection.cursor() as cursor:
        # The rows below are consistent by construction: skip the foreign-key triggers
        # for this transaction (a deferred check per row would queue tens of millions
        # of events until the commit). Needs a superuser, as on a scratch database.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT max(id) FROM publishing_post")
        post_base = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM publishing_variant")
        variant_base = cursor.fetchone()[0]
        channels = "ARRAY[" + ",".join(map(str, channel_ids)) + "]::bigint[]"
        per_day = size.channels * size.posts_a_day
        # Post g goes out on day g / per_day, on channel g % channels, at an hour
        # spread over the day.
        published = (
            f"TIMESTAMPTZ '{start.isoformat()}' + ((g / {per_day}) * INTERVAL '1 day')"
            f" + ((7 + (g * 7) % 14) * INTERVAL '1 hour')"
        )
        columns, select = _clone_columns(Post, {"id": f"{post_base} + g"})
        cursor.execute(
            f"INSERT INTO publishing_post ({columns}) SELECT {select} "
            f"FROM publishing_post t, generate_series(1, {size.posts}) g WHERE t.id = {post.pk}"
        )
        columns, select = _clone_columns(
            Variant,
            {
                "id": f"{variant_base} + g",
                "post_id": f"{post_base} + g",
                "channel_id": f"({channels})[1 + g % {size.channels}]",
                "idempotency_key": f"'bench-{org.pk}-' || g",
                "external_id": "'post-' || g",
                "published_at": published,
                "scheduled_at": published,
            },
        )
        cursor.execute(
            f"INSERT INTO publishing_variant ({columns}) SELECT {select} "
            f"FROM publishing_variant t, generate_series(1, {size.posts}) g "
            f"WHERE t.id = {variant.pk}"
        )
        Variant.objects.filter(pk=variant.pk).delete()
        Post.objects.filter(pk=post.pk).delete()
        for table in ("publishing_post", "publishing_variant"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        # Readings: hourly for a day, then daily. Growth decays with the reading's
        # number; each post has a size of its own.
        hourly = 24
        read_at = (
            f"v.published_at + CASE WHEN n <= {hourly} THEN n * INTERVAL '1 hour' "
            f"ELSE (n - {hourly} + 1) * INTERVAL '1 day' END"
        )
        weight = "(1 + (v.id * 7919) % 97) * exp(-n / 8.0)"
        figures = {
            "impressions": f"floor(40 * {weight})",
            "reach": f"floor(28 * {weight})",
            "likes": f"floor(1.4 * {weight})",
            "comments": f"floor(0.3 * {weight})",
            "shares": f"floor(0.2 * {weight})",
            "saves": f"floor(0.1 * {weight})",
            "link_clicks": f"floor(0.5 * {weight})",
            "video_views": f"floor(3 * {weight}) * (v.id % 3 = 0)::int",
        }
        fact_table = PostMetricFact._meta.db_table
        cursor.execute(
            f"INSERT INTO {fact_table} (organization_id, variant_id, channel_id, read_at, day, "
            f"{', '.join(FIGURES)}) "
            f"SELECT {org.pk}, v.id, v.channel_id, r.read_at, "
            "(r.read_at AT TIME ZONE 'UTC')::date, "
            f"{', '.join(figures[name] for name in FIGURES)} "
            f"FROM publishing_variant v, generate_series(1, {size.readings}) n, "
            f"LATERAL (SELECT {read_at} AS read_at) r "
            f"WHERE v.organization_id = {org.pk} AND r.read_at <= TIMESTAMPTZ '{now.isoformat()}'"
        )
        total_table = PostMetricTotal._meta.db_table
        offered = json.dumps(list(FIGURES))
        cursor.execute(
            f"INSERT INTO {total_table} (organization_id, variant_id, channel_id, campaign_id, "
            f"published_at, offered, first_read_at, read_at, readings, {', '.join(FIGURES)}) "
            f"SELECT {org.pk}, f.variant_id, f.channel_id, NULL, v.published_at, "
            f"'{offered}'::jsonb, min(f.read_at), max(f.read_at), count(*), "
            f"{', '.join(f'sum(f.{name})' for name in FIGURES)} "
            f"FROM {fact_table} f JOIN publishing_variant v ON v.id = f.variant_id "
            f"WHERE f.organization_id = {org.pk} GROUP BY f.variant_id, f.channel_id, "
            f"v.published_at"
        )
        # The channels' own readings: one a day, followers growing.
        reading_table = ChannelMetricFact._meta.db_table
        followers = "(1000 + (c * 37) % 50000 + d * (1 + c % 9))"
        cursor.execute(
            f"INSERT INTO {reading_table} (organization_id, channel_id, read_at, followers, "
            f"profile_views) SELECT {org.pk}, ({channels})[c], "
            f"TIMESTAMPTZ '{start.isoformat()}' + d * INTERVAL '1 day' + INTERVAL '6 hours', "
            f"{followers}, 0 "
            f"FROM generate_series(1, {size.channels}) c, generate_series(0, {size.days - 1}) d"
        )
        day_table = ChannelDay._meta.db_table
        cursor.execute(
            f"INSERT INTO {day_table} (organization_id, channel_id, day, network, "
            f"posts_published, followers, follower_growth, profile_views, {', '.join(FIGURES)}) "
            f"SELECT {org.pk}, ch.id, days.day, ch.network, "
            f"coalesce(p.posts, 0), m.followers, "
            "coalesce(m.followers - lag(m.followers) "
            "OVER (PARTITION BY ch.id ORDER BY days.day), 0), "
            f"0, {', '.join(f'coalesce(s.{name}, 0)' for name in FIGURES)} "
            f"FROM channels_channel ch "
            f"CROSS JOIN (SELECT (TIMESTAMPTZ '{start.isoformat()}' AT TIME ZONE 'UTC')::date + d "
            f"AS day FROM generate_series(0, {size.days - 1}) d) days "
            f"LEFT JOIN (SELECT channel_id, day, {', '.join(f'sum({n}) AS {n}' for n in FIGURES)} "
            f"FROM {fact_table} WHERE organization_id = {org.pk} GROUP BY channel_id, day) s "
            f"ON s.channel_id = ch.id AND s.day = days.day "
            f"LEFT JOIN (SELECT channel_id, (published_at AT TIME ZONE 'UTC')::date AS day, "
            f"count(*) AS posts FROM publishing_variant WHERE organization_id = {org.pk} "
            f"GROUP BY 1, 2) p ON p.channel_id = ch.id AND p.day = days.day "
            f"LEFT JOIN (SELECT channel_id, (read_at AT TIME ZONE 'UTC')::date AS day, "
            f"followers FROM {reading_table} WHERE organization_id = {org.pk}) m "
            f"ON m.channel_id = ch.id AND m.day = days.day "
            f"WHERE ch.organization_id = {org.pk}"
        )
        for table in (fact_table, total_table, day_table, "publishing_variant"):
            cursor.execute(f"ANALYZE {table}")


def _export_facts(org: Any, directory: Path) -> tuple[Path, Path]:
    """The organisation's facts and channels as CSV files, through COPY."""
    from django.db import connection

    facts = directory / "facts.csv"
    channels = directory / "channels.csv"
    queries = {
        facts: (
            "SELECT f.channel_id, f.variant_id, f.read_at, f.day, v.published_at, "
            f"{', '.join('f.' + name for name in FIGURES)} "
            "FROM analytics_postmetricfact f JOIN publishing_variant v ON v.id = f.variant_id "
            f"WHERE f.organization_id = {org.pk}"
        ),
        channels: f"SELECT id, network FROM channels_channel WHERE organization_id = {org.pk}",
    }
    raw = connection.connection
    with raw.cursor() as cursor:
        for path, query in queries.items():
            with (
                path.open("wb") as out,
                cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
            ):
                for block in copy:
                    out.write(block)
    return facts, channels


def _duckdb(facts: Path, channels: Path) -> Any:
    import duckdb

    db = duckdb.connect()
    figure_types = ", ".join(f"'{name}': 'BIGINT'" for name in FIGURES)
    db.execute(
        "CREATE TABLE facts AS SELECT * FROM read_csv(?, header = false, columns = {"
        "'channel_id': 'BIGINT', 'variant_id': 'BIGINT', 'read_at': 'TIMESTAMPTZ', "
        f"'day': 'DATE', 'published_at': 'TIMESTAMPTZ', {figure_types}}})",
        [str(facts)],
    )
    db.execute(
        "CREATE TABLE channels AS SELECT * FROM read_csv(?, header = false, "
        "columns = {'id': 'BIGINT', 'network': 'VARCHAR'})",
        [str(channels)],
    )
    return db


def _sums(names: tuple[str, ...] = FIGURES) -> str:
    return ", ".join(f"sum({name}) AS {name}" for name in names)


def duckdb_overview(db: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The overview's figures straight from the facts: this period, the previous one,
    by day, by network, and the ten posts with most engagement published in it."""
    days = (end - start).days + 1
    before = start - dt.timedelta(days=days)
    period = "day BETWEEN ? AND ?"
    totals = db.execute(f"SELECT {_sums()} FROM facts WHERE {period}", [start, end]).fetchone()
    previous = db.execute(
        f"SELECT {_sums()} FROM facts WHERE {period}",
        [before, start - dt.timedelta(days=1)],
    ).fetchone()
    by_day = db.execute(
        f"SELECT day, {_sums()} FROM facts WHERE {period} GROUP BY day ORDER BY day",
        [start, end],
    ).fetchall()
    by_network = db.execute(
        f"SELECT c.network, {_sums()} FROM facts f JOIN channels c ON c.id = f.channel_id "
        f"WHERE {period} GROUP BY c.network ORDER BY c.network",
        [start, end],
    ).fetchall()
    top = db.execute(
        "SELECT variant_id, sum(likes + comments + shares + saves + link_clicks) AS e "
        "FROM facts WHERE published_at::date BETWEEN ? AND ? "
        "GROUP BY variant_id ORDER BY e DESC, variant_id LIMIT 10",
        [start, end],
    ).fetchall()
    return {"totals": totals, "previous": previous, "by_day": by_day,
            "by_network": by_network, "top": top}  # fmt: skip


def duckdb_channel(db: Any, channel_id: int, start: dt.date, end: dt.date) -> dict[str, Any]:
    """One channel's figures straight from the facts: totals, by day, its posts."""
    where = "channel_id = ? AND day BETWEEN ? AND ?"
    totals = db.execute(
        f"SELECT {_sums()} FROM facts WHERE {where}", [channel_id, start, end]
    ).fetchone()
    by_day = db.execute(
        f"SELECT day, {_sums()} FROM facts WHERE {where} GROUP BY day ORDER BY day",
        [channel_id, start, end],
    ).fetchall()
    posts = db.execute(
        f"SELECT variant_id, {_sums()} FROM facts WHERE channel_id = ? "
        "AND published_at::date BETWEEN ? AND ? GROUP BY variant_id ORDER BY variant_id",
        [channel_id, start, end],
    ).fetchall()
    return {"totals": totals, "by_day": by_day, "posts": posts}


def rollup_totals(org: Any, start: dt.date, end: dt.date, channel_id: int | None = None) -> tuple:
    """The period's totals as Roost's rollups hold them."""
    from django.db.models import Sum

    from roost.analytics.models import ChannelDay

    days = ChannelDay.objects.filter(organization=org, day__range=(start, end))
    if channel_id is not None:
        days = days.filter(channel_id=channel_id)
    sums = days.aggregate(**{name: Sum(name) for name in FIGURES})
    return tuple(int(sums[name] or 0) for name in FIGURES)


def timed(action: Callable[[], Any], runs: int) -> list[float]:
    action()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _remove(org: Any) -> None:
    """Take the run's organisation out again, its generated rows first (in bulk: the
    ORM would load millions of them to delete them one relation at a time)."""
    from django.db import connection, transaction

    tables = (
        "analytics_postmetricfact",
        "analytics_postmetrictotal",
        "analytics_channelmetricfact",
        "analytics_channelday",
        "publishing_variant",
        "publishing_post",
        "channels_channel",
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [org.pk])
        org.delete()


def _spread(times: list[float]) -> str:
    return f"p50 {statistics.median(times):8.1f}  p95 {p95(times):8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "analytics_dashboard needs PostgreSQL: "
            "set DATABASE_URL=postgres://... (a scratch database)"
        )
        sys.exit(3)
    size = QUICK if args.quick else FULL
    ensure_database(url)
    with tempfile.TemporaryDirectory() as scratch:
        setup_django(scratch)
        from django.db import connection, transaction

        from roost.analytics.dashboard import Period, UnknownDashboard, dashboard_build

        tag = f"{os.getpid()}-{time.time_ns()}"
        end = dt.datetime.now(dt.UTC).date()
        started = time.perf_counter()
        with transaction.atomic():
            org, admin, channel_ids = _seed_people_and_channels(size, tag)
            _generate(size, org, admin, channel_ids, end)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM analytics_postmetricfact WHERE organization_id = %s",
                [org.pk],
            )
            facts_count = cursor.fetchone()[0]
        generated_s = time.perf_counter() - started
        print(f"generated {facts_count:,} facts, {size.posts:,} posts, {size.channels} channels "
              f"in {generated_s:.0f} s")  # fmt: skip
        try:
            started = time.perf_counter()
            facts_file, channels_file = _export_facts(org, Path(scratch))
            db = _duckdb(facts_file, channels_file)
            exported_s = time.perf_counter() - started
            print(f"exported to DuckDB in {exported_s:.0f} s")
            period = Period(start=end - dt.timedelta(days=89), end=end)
            channel_id = channel_ids[len(channel_ids) // 2]

            # Correctness: the rollups hold what the facts add up to.
            overview = duckdb_overview(db, period.start, period.end)
            channel = duckdb_channel(db, channel_id, period.start, period.end)
            expected = tuple(int(value or 0) for value in overview["totals"])
            expected_channel = tuple(int(value or 0) for value in channel["totals"])
            if rollup_totals(org, period.start, period.end) != expected or (
                rollup_totals(org, period.start, period.end, channel_id) != expected_channel
            ):
                print("correctness: the rollups of the 90 days differ from DuckDB's sums of facts")
                sys.exit(1)

            reference = {
                "overview": timed(lambda: duckdb_overview(db, period.start, period.end), size.runs),
                "channel": timed(
                    lambda: duckdb_channel(db, channel_id, period.start, period.end), size.runs
                ),
            }
            roost: dict[str, list[float]] = {}
            missing: list[str] = []
            for kind, filters in (("overview", {}), ("channel", {"channel": str(channel_id)})):
                try:
                    roost[kind] = timed(
                        lambda kind=kind, filters=filters: dashboard_build(  # type: ignore[misc]
                            kind, viewer=admin, period=period, filters=filters
                        ),
                        size.runs,
                    )
                except UnknownDashboard:
                    missing.append(kind)
        finally:
            _remove(org)

    print(f"{facts_count:,} facts; 90 days; {size.runs} runs each (ms):")
    for kind in ("overview", "channel"):
        ref = reference[kind]
        print(f"  {kind:9} DuckDB over the facts  {_spread(ref)}")
        if kind in roost:
            own = roost[kind]
            print(f"  {kind:9} Roost dashboard_build  {_spread(own)}")
        else:
            print(f"  {kind:9} Roost: no dashboard of that kind is declared yet")
    worst_roost = max((p95(times) for times in roost.values()), default=None)
    worst_reference = max(p95(times) for times in reference.values())
    value = None if missing else worst_roost
    summary = {
        "bench": "analytics_dashboard",
        "size": {"facts": facts_count, "channels": size.channels, "days": size.days,
                 "posts": size.posts, "runs": size.runs, "period_days": 90},
        "value": None if value is None else round(value, 1),
        "unit": "ms p95 (the slower of the overview and channel dashboards)",
        "better": "lower",
        "reference": "DuckDB aggregating the same facts (exported in this run)",
        "reference_value": round(worst_reference, 1),
        "ratio": None if value is None else round(worst_reference / value, 2),
        "target": TARGET_P95_MS,
        "ok": value is not None and value <= TARGET_P95_MS,
        "database": "postgresql",
        "p95_ms": {kind: round(p95(times), 1) for kind, times in roost.items()},
        "reference_p95_ms": {kind: round(p95(times), 1) for kind, times in reference.items()},
        "missing_dashboards": missing,
        "generate_s": round(generated_s, 1),
        "export_s": round(exported_s, 1),
    }  # fmt: skip
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "analytics_dashboard.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
