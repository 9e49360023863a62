"""Benchmark: publishing while workers are killed, on PostgreSQL, with 3 workers.

2,000 posts on 300 channels fall due at once; a worker is killed (SIGKILL) every
2 s and started again at once, until every post is out. Reported: the time from
due to the last post published. The reference is the same drain, measured in the
same run, with no worker killed: `ratio` is reference time / time with kills (1.0
would mean killing workers costs nothing). Target: the drain with kills finishes
within 20 s, as a dead worker's claims come back within seconds. Sandbox channels
answer after 50 ms. Duplicates on the network must be 0 (else exit 1).

Needs PostgreSQL in DATABASE_URL (use a scratch database); the sandbox network
gets a database of its own beside it (`<name>_sandbox`), created if missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT
from publish_burst import duplicates, published_times, schedule, seed_channels, setup

WORKERS = 3
SENDERS = 8  # `roost worker`'s default
KILL_EVERY_S = 2.0
TARGET_S = 20.0


def start_worker() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_publish_worker.py"), str(SENDERS)],
        env={**os.environ},
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def drain(posts: int, channels_count: int, *, kill: bool, seed: int) -> dict[str, float]:
    from django.utils import timezone

    from roost.publishing.models import Variant, VariantState

    rng = random.Random(seed)
    workers = [start_worker() for _ in range(WORKERS)]
    time.sleep(3)  # started and ready before the posts fall due, as a deployment's are
    org, admin, channels = seed_channels(channels_count)
    due = timezone.now() + dt.timedelta(seconds=2 + posts / 5000)
    schedule(org, admin, channels, posts, due)
    pending = Variant.objects.filter(organization=org).exclude(
        state__in=[VariantState.PUBLISHED, VariantState.FAILED, VariantState.UNCONFIRMED]
    )
    kills, next_kill = 0, time.monotonic() + KILL_EVERY_S
    deadline = time.monotonic() + 900
    while pending.exists():
        if time.monotonic() > deadline:
            print("correctness: posts still pending after 900 s", file=sys.stderr)
            sys.exit(1)
        if kill and timezone.now() >= due and time.monotonic() >= next_kill:
            victim = rng.randrange(WORKERS)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            workers[victim] = start_worker()
            kills += 1
            next_kill += KILL_EVERY_S
        time.sleep(0.05)
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    times = published_times(org)
    last = max(published for _, published in times)
    return {
        "drain_s": round((last - due).total_seconds(), 2),
        "kills": kills,
        "duplicates": duplicates(org),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    parser.add_argument("--runs", type=int, default=0, help="runs of each (default 3, quick 1)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("publish_recovery needs PostgreSQL: set DATABASE_URL=postgres://... (a scratch one)")
        sys.exit(3)
    setup(url)
    posts, channels = (400, 60) if args.quick else (2000, 300)
    runs = args.runs or (1 if args.quick else 3)
    killed = [drain(posts, channels, kill=True, seed=run) for run in range(runs)]
    calm = [drain(posts, channels, kill=False, seed=run) for run in range(runs)]
    value = statistics.median(r["drain_s"] for r in killed)
    reference = statistics.median(r["drain_s"] for r in calm)
    dupes = sum(int(r["duplicates"]) for r in killed + calm)
    print(f"PostgreSQL, {WORKERS} workers x {SENDERS} senders, sandbox answering in 50 ms")
    print(
        f"  {posts} posts on {channels} channels, a worker killed every {KILL_EVERY_S:.0f} s: "
        f"last published {value:.1f} s after due (runs: {[r['drain_s'] for r in killed]})"
    )
    print(f"  the same with no worker killed: {reference:.1f} s; duplicates: {dupes}")
    summary = {
        "bench": "publish_recovery",
        "size": {"posts": posts, "channels": channels, "workers": WORKERS, "runs": runs,
                 "kill_every_s": KILL_EVERY_S},
        "value": value,
        "unit": "s from due to last published",
        "better": "lower",
        "reference": "the same drain with no worker killed",
        "reference_value": reference,
        "ratio": round(reference / value, 3) if value else 0.0,
        "target": TARGET_S,
        "ok": value <= TARGET_S and dupes == 0,
        "kills": [r["kills"] for r in killed],
        "duplicates": dupes,
    }  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "publish_recovery.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    if dupes:
        sys.exit(1)


if __name__ == "__main__":
    main()
