"""Benchmark: publishing a campaign and a burst, on PostgreSQL, with 4 workers.

Sandbox channels answer after 50 ms, like a quick real network.

(a) Campaign: one variant on each of 300 channels, all due at the same second.
    Reported: the spread from the first publish to the last, and the p99
    lateness (publish time minus due time). Target: 2 s or less for each.
(b) Burst: 10,000 posts on 300 channels, all due at once. Reported: posts per
    second until the last is published, against a bare claim-and-complete
    loop (psycopg, `SELECT ... FOR UPDATE SKIP LOCKED`, the same worker count,
    the same number of rows, no network) measured in the same run: each worker
    claims a row, marks it taken and commits, then marks it done and commits,
    one job at a time. Target: 500 posts/s or more, and at least 0.25 of the
    bare loop's rate. The same loop claiming ten rows at a time is measured
    too and reported beside it (`batched_reference_value`), not judged.

Both count duplicates on the network (must be 0, else exit 1) and report each
worker's peak resident memory (target: 300 MB or less).

Needs PostgreSQL in DATABASE_URL (use a scratch database); the sandbox network
gets a database of its own beside it (`<name>_sandbox`), created if missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT

WORKERS = 4
SENDERS = 48  # sender threads per worker: network calls in flight at once
LATENCY_MS = 50


def sandbox_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_sandbox"))


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(database_url: str) -> None:
    ensure_database(database_url)
    os.environ["ROOST_SANDBOX_DATABASE_URL"] = sandbox_url(database_url)
    ensure_database(os.environ["ROOST_SANDBOX_DATABASE_URL"])
    os.environ["ROOST_VAR_DIR"] = tempfile.mkdtemp(prefix="roost-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="sandbox", interactive=False, verbosity=0)


def seed_channels(count: int):  # type: ignore[no-untyped-def]
    from roost.channels.models import Channel, CredentialKind
    from roost.channels.services import channel_credential_set
    from roost.core.actors import SYSTEM
    from roost.core.models import ChannelGroup, Membership, Organization, Role, User
    from roost.sandbox.services import sandbox_account_open, sandbox_knobs_set

    tag = f"{os.getpid()}{time.time_ns() % 10**8}"
    org = Organization.objects.create(
        name="Burst", slug=f"burst-{tag}", is_demo=True, require_two_factor=False
    )
    admin = User.objects.create_user(
        email=f"admin-{tag}@burst.example", password=None, organization=org, name="Admin"
    )
    Membership.objects.create(organization=org, user=admin, role=Role.ADMIN)
    group = ChannelGroup.objects.create(organization=org, name="All")
    channels = Channel.objects.bulk_create(
        Channel(organization=org, network="bluesky", placement="post", connector="sandbox",
                handle=f"burst{tag}-{n}", channel_group=group, primary_owner=admin)
        for n in range(count)
    )  # fmt: skip
    for channel in channels:
        account, secret = sandbox_account_open(
            organization_id=org.pk, network="bluesky", handle=channel.handle
        )
        sandbox_knobs_set(account=account, latency_ms=LATENCY_MS)
        channel_credential_set(
            actor=SYSTEM, channel=channel, kind=CredentialKind.ACCESS_TOKEN, secret=secret
        )
    return org, admin, channels


def schedule(org, admin, channels, posts: int, due: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    from roost.publishing.models import Post, PostState, Variant, VariantState
    from roost.publishing.services import new_idempotency_key

    made = Post.objects.bulk_create(
        Post(organization=org, author=admin, master_text=f"Burst post {n}", scheduled_at=due,
             state=PostState.SCHEDULED)
        for n in range(posts)
    )  # fmt: skip
    Variant.objects.bulk_create(
        Variant(organization=org, post=post, channel=channels[n % len(channels)],
                text=post.master_text, scheduled_at=due, state=VariantState.SCHEDULED,
                idempotency_key=new_idempotency_key())
        for n, post in enumerate(made)
    )  # fmt: skip


class Workers:
    """WORKERS publishing processes, started and ready before any post is due, as a
    deployment's workers are."""

    def __enter__(self) -> Workers:
        self.procs = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "_publish_worker.py"), str(SENDERS)],
                env={**os.environ},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        for proc in self.procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                print(proc.stderr.read()[-3000:] if proc.stderr else "", file=sys.stderr)
                sys.exit(1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.peaks, self.cpu = [], []
        for proc in self.procs:
            out, err = proc.communicate("stop\n", timeout=120)
            if proc.returncode != 0:
                print(err[-3000:], file=sys.stderr)
                sys.exit(1)
            report = json.loads(out.strip().splitlines()[-1])
            self.peaks.append(report["peak_rss_mb"])
            self.cpu.append(report["cpu_s"])


def wait_until_published(org, timeout: float = 900.0) -> None:  # type: ignore[no-untyped-def]
    from roost.publishing.models import Variant, VariantState

    deadline = time.monotonic() + timeout
    pending = Variant.objects.filter(organization=org).exclude(
        state__in=[VariantState.PUBLISHED, VariantState.FAILED, VariantState.UNCONFIRMED]
    )
    while pending.exists():
        if time.monotonic() > deadline:
            print(f"correctness: posts still pending after {timeout:.0f} s", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.05)


def duplicates(org) -> int:  # type: ignore[no-untyped-def]
    from django.db.models import Count

    from roost.publishing.models import Variant
    from roost.sandbox.models import SandboxPost

    keys = list(Variant.objects.filter(organization=org).values_list("idempotency_key", flat=True))
    doubled = (
        SandboxPost.objects.filter(idempotency_key__in=keys)
        .values("idempotency_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    return doubled


def published_times(org) -> list[tuple[dt.datetime, dt.datetime]]:  # type: ignore[no-untyped-def]
    from roost.publishing.models import Variant, VariantState

    rows = list(
        Variant.objects.filter(organization=org).values_list(
            "state", "scheduled_at", "published_at"
        )
    )
    missing = [r for r in rows if r[0] != VariantState.PUBLISHED]
    if missing:
        print(f"correctness: {len(missing)} variants were not published", file=sys.stderr)
        sys.exit(1)
    return [(r[1], r[2]) for r in rows]


def campaign(channels_count: int) -> dict[str, float]:
    from django.utils import timezone

    org, admin, channels = seed_channels(channels_count)
    due = (timezone.now() + dt.timedelta(seconds=2)).replace(microsecond=0)
    schedule(org, admin, channels, channels_count, due)
    wait_until_published(org)
    times = published_times(org)
    lateness = sorted((published - scheduled).total_seconds() for scheduled, published in times)
    spread = (max(p for _, p in times) - min(p for _, p in times)).total_seconds()
    p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
    return {
        "spread_s": round(spread, 3),
        "p99_lateness_s": round(p99, 3),
        "duplicates": duplicates(org),
    }


def burst(posts: int, channels_count: int) -> dict[str, float]:
    from django.utils import timezone

    org, admin, channels = seed_channels(channels_count)
    # Due a moment after they are all written, as posts scheduled ahead become due.
    due = timezone.now() + dt.timedelta(seconds=2 + posts / 5000)
    schedule(org, admin, channels, posts, due)
    if timezone.now() >= due:
        print("note: writing the posts took longer than the head start", file=sys.stderr)
    wait_until_published(org)
    times = published_times(org)
    first_due = min(s for s, _ in times)
    last = max(p for _, p in times)
    rate = posts / max((last - first_due).total_seconds(), 0.001)
    return {"rate": round(rate, 1), "duplicates": duplicates(org)}


def _bare_worker(url: str, table: str, per_claim: int) -> None:
    import psycopg

    claim = (
        f"SELECT id FROM {table} WHERE state = 0 ORDER BY id LIMIT {per_claim} "  # noqa: S608
        "FOR UPDATE SKIP LOCKED"
    )
    with psycopg.connect(url) as conn:
        while True:
            with conn.transaction():
                rows = conn.execute(claim).fetchall()
                if not rows:
                    return
                ids = [r[0] for r in rows]
                conn.execute(f"UPDATE {table} SET state = 1 WHERE id = ANY(%s)", [ids])  # noqa: S608
            with conn.transaction():
                conn.execute(f"UPDATE {table} SET state = 2 WHERE id = ANY(%s)", [ids])  # noqa: S608


def bare_loop(url: str, rows: int, per_claim: int = 1) -> float:
    import psycopg

    table = f"bench_bare_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, state int NOT NULL DEFAULT 0)")
        conn.execute(f"INSERT INTO {table} (state) SELECT 0 FROM generate_series(1, %s)", [rows])  # noqa: S608
    workers = [
        multiprocessing.Process(target=_bare_worker, args=(url, table, per_claim))
        for _ in range(WORKERS)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {table}")
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "publish_burst needs PostgreSQL: set DATABASE_URL=postgres://... (a scratch database)"
        )
        sys.exit(3)
    setup(url)
    campaign_channels, burst_posts, burst_channels = (
        (60, 1000, 60) if args.quick else (300, 10_000, 300)
    )
    runs = 1 if args.quick else 3
    # The workers run throughout, as a deployment's do; a first small burst warms them
    # up (database connections, imports) and is not counted.
    with Workers() as workers:
        burst(200, 20)
        campaigns = [campaign(campaign_channels) for _ in range(runs)]
        bursts = [burst(burst_posts, burst_channels) for _ in range(runs)]
    bare = statistics.median(bare_loop(url, burst_posts) for _ in range(runs))
    batched = statistics.median(bare_loop(url, burst_posts, per_claim=10) for _ in range(runs))
    spread = statistics.median(c["spread_s"] for c in campaigns)
    p99 = statistics.median(c["p99_lateness_s"] for c in campaigns)
    rate = statistics.median(b["rate"] for b in bursts)
    dupes = sum(c["duplicates"] for c in campaigns) + sum(b["duplicates"] for b in bursts)
    peak = max(workers.peaks)
    ratio = rate / bare
    ok = spread <= 2 and p99 <= 2 and rate >= 500 and ratio >= 0.25 and peak <= 300 and dupes == 0
    print(
        f"PostgreSQL, {WORKERS} workers x {SENDERS} senders, sandbox answering in {LATENCY_MS} ms"
    )
    print(
        f"  (a) campaign, {campaign_channels} channels: spread {spread:.2f} s, p99 {p99:.2f} s late"
    )
    print(f"  (b) burst of {burst_posts} posts on {burst_channels} channels: {rate:.0f} posts/s")
    print(f"      bare SKIP LOCKED claim-and-complete loop: {bare:.0f} rows/s; ratio {ratio:.2f}")
    print(
        f"      the same loop claiming 10 rows at a time: {batched:.0f} rows/s; "
        f"ratio {rate / batched:.3f} (reported, not judged)"
    )
    print(f"  duplicates on the network: {dupes}; peak RSS per worker: {peak:.0f} MB")
    summary = {
        "bench": "publish_burst",
        "size": {"campaign_channels": campaign_channels, "burst_posts": burst_posts,
                 "burst_channels": burst_channels, "workers": WORKERS, "runs": runs},
        "value": round(rate, 1),
        "unit": "posts/s",
        "better": "higher",
        "reference": "bare psycopg SELECT ... FOR UPDATE SKIP LOCKED claim-and-complete loop, "
                     "one row per claim",
        "reference_value": round(bare, 1),
        "ratio": round(ratio, 3),
        "target": 500,
        "ok": ok,
        "batched_reference_value": round(batched, 1),
        "ratio_to_batched": round(rate / batched, 3),
        "campaign_spread_s": spread,
        "campaign_p99_lateness_s": p99,
        "duplicates": dupes,
        "peak_rss_mb_per_worker": peak,
    }  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "publish_burst.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    if dupes:
        sys.exit(1)


if __name__ == "__main__":
    main()
