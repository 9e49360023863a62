"""Benchmark: the channels page with a large registry, against a naive listing.

Roost renders Settings → Channels as 50 rows a page with the owners, group and
brand joined in one query. The reference renders the same table the way a
first version would: every channel, with each row's group, brand and owners
fetched one by one. Both render the same template rows for the same channels.
Measured: time to answer one request through Django's test client, median of
several runs; the page must show the registry's total, or the run fails.

Runs on a fresh SQLite database in a temporary directory, or on PostgreSQL
when DATABASE_URL is set (use a scratch database: it adds an organisation).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, setup_django

TARGET_MS = 150.0  # one page of a 2,000-channel registry, median


def seed(channels: int) -> tuple[object, object]:
    from roost.channels.models import Channel
    from roost.core.models import Brand, ChannelGroup, Membership, Organization, Role, User

    tag = f"{os.getpid()}-{time.time_ns()}"
    org = Organization.objects.create(
        name="Bench", slug=f"bench-{tag}", require_two_factor=False, is_demo=True
    )
    admin = User.objects.create_user(
        email=f"admin-{tag}@bench.example",
        password=None,
        organization=org,
        name="Admin",
    )
    Membership.objects.create(organization=org, user=admin, role=Role.ADMIN)
    brands = [Brand.objects.create(organization=org, name=f"Brand {n}") for n in range(4)]
    groups = [
        ChannelGroup.objects.create(organization=org, name=f"Group {n}", brand=brands[n % 4])
        for n in range(12)
    ]
    owners = [
        User.objects.create_user(
            email=f"owner{n}-{tag}@bench.example",
            password=None,
            organization=org,
            name=f"Owner {n}",
        )
        for n in range(40)
    ]
    networks = ("bluesky", "x", "mastodon", "linkedin", "threads")
    Channel.objects.bulk_create(
        Channel(
            organization=org,
            network=networks[n % len(networks)],
            placement="post",
            connector="sandbox",
            handle=f"channel{n}",
            channel_group=groups[n % len(groups)],
            brand=brands[n % len(brands)],
            primary_owner=owners[n % len(owners)],
            backup_owner=owners[(n + 1) % len(owners)] if n % 3 else None,
        )
        for n in range(channels)
    )
    return admin, org


def naive_page(admin: object) -> str:
    """The reference: every channel, related rows fetched one at a time."""
    from django.template.loader import render_to_string

    from roost.channels.models import Channel
    from roost.channels.selectors import HEALTH_LABELS, channel_problems

    channels = list(
        Channel.objects.filter(organization_id=admin.organization_id).order_by("network", "handle")
    )  # type: ignore[attr-defined]
    rows = [(c, channel_problems(c)) for c in channels]
    for channel, _ in rows:  # what the template touches, one query each
        _ = (
            channel.channel_group.name,
            channel.brand,
            channel.primary_owner.name,
            channel.backup_owner,
        )

    class Page(list):  # type: ignore[type-arg]
        paginator = type("P", (), {"count": len(rows)})()

        def has_other_pages(self) -> bool:
            return False

    return render_to_string(
        "channels/_channel_rows.html",
        {"rows": rows, "page": Page(rows), "health_labels": HEALTH_LABELS},
    )


def median_ms(action, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in seconds")
    args = parser.parse_args()
    channels, runs = (400, 3) if args.quick else (2000, 7)
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from django.db import connection
        from django.test import Client

        admin, _ = seed(channels)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(admin)  # type: ignore[arg-type]
        first = client.get("/settings/channels/")
        if first.status_code != 200 or f"{channels} channels" not in first.content.decode():
            print(f"correctness: the page did not show {channels} channels ({first.status_code})")
            sys.exit(1)
        roost_ms = median_ms(lambda: client.get("/settings/channels/"), runs)
        naive_ms = median_ms(lambda: naive_page(admin), runs)
        vendor = connection.vendor
    ratio = naive_ms / roost_ms
    print(f"database: {vendor}; {channels} channels, {runs} runs, medians:")
    print(f"  Roost page (50 rows, joined)  {roost_ms:8.1f} ms")
    print(f"  naive listing (reference)     {naive_ms:8.1f} ms")
    summary = {
        "bench": "channel_list",
        "size": {"channels": channels, "runs": runs, "database": vendor},
        "value": round(roost_ms, 2),
        "unit": "ms per page",
        "better": "lower",
        "reference": "every channel with related rows fetched one by one",
        "reference_value": round(naive_ms, 2),
        "ratio": round(ratio, 2),
        "target": TARGET_MS,
        "ok": roost_ms <= TARGET_MS,
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "channel_list.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
