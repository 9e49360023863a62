"""Benchmark: appending to the hash-chained audit log, against a plain INSERT.

Every change in Roost writes one audit event in its own transaction: lock the
organisation, read the chain's head, hash, insert. The reference writes the
same rows with a plain ORM insert per transaction (no lock, no head read, no
hash). The ratio says how much of the plain insert speed the chain keeps.
It also measures `audit.verify` over the appended chain, and fails (exit 1)
if the chain does not verify or an event is missing.

Runs on a fresh SQLite database in a temporary directory, or on PostgreSQL
when DATABASE_URL is set (use a scratch database: it adds organisations).
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

TARGET_RATIO = 0.4  # the chain keeps at least 40% of plain insert speed


def measure(events: int, run: int) -> tuple[float, float, float]:
    from django.db import transaction
    from django.utils import timezone

    from roost.core import audit
    from roost.core.actors import SYSTEM
    from roost.core.models import AuditEvent, Organization

    tag = f"{os.getpid()}-{time.time_ns()}-{run}"
    chained = Organization.objects.create(name=f"Chained {run}", slug=f"bench-chained-{tag}")
    plain = Organization.objects.create(name=f"Plain {run}", slug=f"bench-plain-{tag}")
    payload = {"field": "value", "n": 0}

    started = time.perf_counter()
    for n in range(events):
        audit.record(
            organization=chained, actor=SYSTEM, action="bench.event", after={**payload, "n": n}
        )
    chained_rate = events / (time.perf_counter() - started)

    started = time.perf_counter()
    for n in range(events):
        with transaction.atomic():
            AuditEvent(
                organization=plain,
                sequence=n + 1,
                occurred_at=timezone.now(),
                actor_label="system",
                action="bench.event",
                after={**payload, "n": n},
                previous_hash="0" * 64,
                hash="0" * 64,
            ).save(force_insert=True)
    plain_rate = events / (time.perf_counter() - started)

    started = time.perf_counter()
    result = audit.verify([chained])
    verify_rate = result.verified / (time.perf_counter() - started)
    if not result.ok or result.verified != events:
        print(f"correctness: chain verified {result.verified} of {events} ({result.reason})")
        sys.exit(1)
    return chained_rate, plain_rate, verify_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced size that runs in seconds")
    args = parser.parse_args()
    events, runs = (300, 3) if args.quick else (3000, 3)
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from django.db import connection

        results = [measure(events, run) for run in range(runs)]
        vendor = connection.vendor
    chained = statistics.median(r[0] for r in results)
    plain = statistics.median(r[1] for r in results)
    verify = statistics.median(r[2] for r in results)
    ratio = chained / plain
    print(f"database: {vendor}; {events} events per run, {runs} runs, medians:")
    print(f"  audit.record (hash chain)  {chained:10.0f} events/s")
    print(f"  plain INSERT (reference)   {plain:10.0f} events/s")
    print(f"  audit.verify               {verify:10.0f} events/s")
    summary = {
        "bench": "audit_chain",
        "size": {"events": events, "runs": runs, "database": vendor},
        "value": round(chained, 1),
        "unit": "events/s",
        "better": "higher",
        "reference": "plain ORM INSERT of the same rows, one transaction each",
        "reference_value": round(plain, 1),
        "ratio": round(ratio, 3),
        "target": TARGET_RATIO,
        "ok": ratio >= TARGET_RATIO,
        "verify_events_per_s": round(verify, 1),
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "audit_chain.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
