"""Benchmark: 1,000 pages fall due within one second on PostgreSQL, 4 workers.

Every page follows a policy of three steps one minute apart, on a controlled clock:
the benchmark moves the clock to each step's due time, and measures, in wall-clock
time, how late each notification was made (the real time its delivery was written,
less the real moment its step fell due). The reference is the worker clock's own tick,
measured in the same run: how long after its slot began the escalation job started
(a step cannot be told before the job runs). `ratio` = reference p99 / paging p99.
Run twice: undisturbed, and with a worker killed (SIGKILL) one second after each step
falls due and started again. Target: p99 <= 5 s in both, and 0 duplicate notifications
(else exit 1); a page whose steps were not all told within 120 s fails too.

Needs PostgreSQL in DATABASE_URL (use a scratch database).
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
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT
from publish_burst import ensure_database

WORKERS = 4
STEPS = 3
TARGET_S = 5.0
STEP_TIMEOUT_S = 120.0


def setup(database_url: str) -> None:
    """The scratch database, migrated; the sandbox network (unused here) on a file."""
    ensure_database(database_url)
    var_dir = tempfile.mkdtemp(prefix="roost-bench-")
    os.environ["ROOST_VAR_DIR"] = var_dir
    os.environ["ROOST_SANDBOX_DATABASE_URL"] = f"sqlite:///{var_dir}/sandbox.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roost.config.settings.demo")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="sandbox", interactive=False, verbosity=0)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def seed(pages: int, clock_start: dt.datetime):  # type: ignore[no-untyped-def]
    """An organisation, three responders, a three-step policy and `pages` pages due at
    `clock_start`, written in one go (within one second)."""
    from roost.core.models import Membership, Organization, Role, User
    from roost.oncall.models import EscalationPolicy, EscalationStep, Page

    tag = f"{os.getpid()}{time.time_ns() % 10**8}"
    org = Organization.objects.create(
        name="Paging", slug=f"paging-{tag}", is_demo=True, require_two_factor=False
    )
    people = []
    for n in range(STEPS):
        person = User.objects.create_user(
            email=f"responder{n}-{tag}@paging.example", password=None, organization=org,
            name=f"Responder {n}",
        )  # fmt: skip
        Membership.objects.create(organization=org, user=person, role=Role.COMMUNITY_MANAGER)
        people.append(person)
    policy = EscalationPolicy.objects.create(organization=org, name="Three steps", is_default=True)
    EscalationStep.objects.bulk_create(
        EscalationStep(
            organization=org,
            policy=policy,
            position=n,
            target="person",
            person=person,
            wait_minutes=1,
        )
        for n, person in enumerate(people)
    )
    started = time.monotonic()
    Page.objects.bulk_create(
        Page(
            organization=org,
            number=n + 1,
            title=f"Storm {n}",
            policy=policy,
            raised_at=clock_start,
            next_step_at=clock_start,
        )
        for n in range(pages)
    )
    assert time.monotonic() - started < 1.0, "the pages took over a second to raise"
    return org


def start_worker(clock_file: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_paging_worker.py"), str(clock_file)],
        env={**os.environ, "ROOST_EMAIL_URL": "memory://"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(pages: int, *, kill: bool, seed_value: int) -> dict[str, float]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from roost.core.models import ClockSlot
    from roost.core.notifications.models import Delivery
    from roost.oncall.models import PageNotification

    rng = random.Random(seed_value)
    clock_file = Path(tempfile.mkdtemp(prefix="roost-paging-")) / "clock.txt"
    base = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC) + dt.timedelta(days=seed_value)
    clock_file.write_text((base - dt.timedelta(minutes=5)).isoformat())
    workers = [start_worker(clock_file) for _ in range(WORKERS)]
    # Whatever happens from here on, the workers are stopped at the end.
    try:
        # Started, and through the jobs a fresh worker runs first (every periodic job is due
        # at its first tick), before anything falls due: a deployment is long past them.
        time.sleep(5)
        idle_by = time.monotonic() + 180
        while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            if time.monotonic() > idle_by:
                break
            time.sleep(0.5)
        org = seed(pages, base)
        run_started = dt.datetime.now(dt.UTC)
        due_at_real: dict[int, dt.datetime] = {}
        kills = 0
        for step in range(STEPS):
            clock_file.write_text((base + dt.timedelta(minutes=step)).isoformat())
            due_at_real[step] = dt.datetime.now(dt.UTC)
            deadline = time.monotonic() + STEP_TIMEOUT_S
            killed = not kill
            told = PageNotification.objects.filter(organization=org, step_position=step)
            while told.count() < pages:
                if time.monotonic() > deadline:
                    print(f"correctness: step {step + 1} stalled", file=sys.stderr)
                    sys.exit(1)
                if not killed and dt.datetime.now(dt.UTC) - due_at_real[step] > dt.timedelta(
                    seconds=1
                ):
                    victim = rng.randrange(WORKERS)
                    workers[victim].send_signal(signal.SIGKILL)
                    workers[victim].wait()
                    workers[victim] = start_worker(clock_file)
                    kills += 1
                    killed = True
                time.sleep(0.05)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait()

    lateness = []
    deliveries = dict(Delivery.objects.filter(organization=org).values_list("pk", "created_at"))
    for step, ids in PageNotification.objects.filter(organization=org).values_list(
        "step_position", "delivery_ids"
    ):
        for delivery_id in ids:
            lateness.append((deliveries[delivery_id] - due_at_real[step]).total_seconds())
    duplicates = sum(
        n - 1
        for n in PageNotification.objects.filter(organization=org)
        .values("page", "cycle", "step_position", "person")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    ) + max(0, len(deliveries) - pages * STEPS)
    ticks = []
    for slot, result_id in ClockSlot.objects.filter(
        job="oncall.escalate", slot__gte=run_started
    ).values_list("slot", "task_result_id"):
        result = DBTaskResult.objects.filter(pk=result_id).values_list("started_at", flat=True)
        started = result.first() if result_id else None
        if started is not None:
            ticks.append((started - slot).total_seconds())
    return {
        "p50": statistics.median(lateness),
        "p99": p99(lateness),
        "max": max(lateness),
        "notifications": len(lateness),
        "duplicates": duplicates,
        "tick_p99": p99(ticks),
        "ticks": len(ticks),
        "kills": kills,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in a minute")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench/paging.py needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        sys.exit(3)
    setup(database_url)
    pages = 200 if args.quick else 1000
    runs = 1 if args.quick else 3
    calm = [run(pages, kill=False, seed_value=n) for n in range(runs)]
    killed = [run(pages, kill=True, seed_value=100 + n) for n in range(runs)]

    def median(results: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in results), 3)

    value = median(calm, "p99")
    value_killed = median(killed, "p99")
    reference = median(calm + killed, "tick_p99")
    duplicates = int(sum(r["duplicates"] for r in calm + killed))
    ok = value <= TARGET_S and value_killed <= TARGET_S and duplicates == 0
    summary = {
        "bench": "paging",
        "size": {"pages": pages, "steps": STEPS, "workers": WORKERS, "runs": runs},
        "value": value,
        "unit": "s p99 lateness",
        "better": "lower",
        "reference": "the worker clock's tick lateness for the escalation job (p99)",
        "reference_value": reference,
        "ratio": round(reference / value, 3) if value else None,
        "target": TARGET_S,
        "ok": ok,
        "p50": median(calm, "p50"),
        "max": median(calm, "max"),
        "p99_with_a_worker_killed": value_killed,
        "kills": int(sum(r["kills"] for r in killed)),
        "duplicates": duplicates,
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "paging.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    if duplicates:
        sys.exit(1)


if __name__ == "__main__":
    main()
