"""Escalation on real worker processes (PostgreSQL): workers killed with SIGKILL
mid-escalation and started again neither stall a page nor tell any step twice."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from roost.core.models import Role
from roost.oncall.models import Page, PageNotification
from roost.oncall.paging.clock import clock_used
from roost.oncall.paging.services import StepSpec, escalation_policy_create, page_raise
from roost.oncall.tests.paging_worker import file_clock

PAGES = 30
START = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)


def _environment(tmp_path: Path) -> dict[str, str]:
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roost.config.settings.demo",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}",
        "ROOST_SANDBOX_DATABASE_URL": f"sqlite:///{connections['sandbox'].settings_dict['NAME']}",
        "ROOST_VAR_DIR": str(tmp_path / "var"),
        "ROOST_EMAIL_URL": f"file://{tmp_path / 'mail'}",
    }


def _mails(folder: Path) -> Counter[tuple[str, str, str]]:
    """(recipient, subject, step line) of every e-mail the workers sent."""
    sent: Counter[tuple[str, str, str]] = Counter()
    for path in folder.glob("*.log") if folder.exists() else []:
        for message in path.read_text().split("-" * 79):
            to = re.search(r"^To: (.+)$", message, re.MULTILINE)
            subject = re.search(r"^Subject: (.+)$", message, re.MULTILINE)
            step = re.search(r"^(Step \d+ of .+?)\.", message, re.MULTILINE)
            if to and subject and step:
                sent[(to.group(1), subject.group(1), step.group(1))] += 1
    return sent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_and_restarted_workers_neither_stall_nor_repeat_a_step(org, make_user, tmp_path):
    lead = make_user(org, Role.MANAGER)
    people = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(3)]
    moment = tmp_path / "clock.txt"
    moment.write_text(START.isoformat())
    with clock_used(file_clock(moment)):
        escalation_policy_create(
            actor=lead, name="Three steps", is_default=True,
            steps=[StepSpec(target="person", person_id=p.pk, wait_minutes=1) for p in people],
        )  # fmt: skip
        for n in range(PAGES):
            page_raise(actor=lead, organization=org, title=f"Trouble {n}")

    env = _environment(tmp_path)
    command = [
        sys.executable, "-m", "roost.oncall.tests.paging_worker", str(moment),
        "--settings", "demo", "--interval", "0.1", "--clock-interval", "0.2", "--senders", "1",
    ]  # fmt: skip
    logs = tmp_path / "workers.log"

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, stdout=logs.open("ab"), stderr=subprocess.STDOUT)

    def told() -> int:
        return PageNotification.objects.count()

    rng = random.Random(16)
    kills = 0
    workers = [start(), start()]
    try:
        for minute in (1, 2):
            moment.write_text((START + dt.timedelta(minutes=minute)).isoformat())
            target = PAGES * (minute + 1)
            deadline = time.monotonic() + 150
            # Kill a worker now and then while the step is being told, and start another.
            while told() < target:
                assert time.monotonic() < deadline, (
                    f"stalled at {told()} of {target}: {logs.read_text()[-3000:]}"
                )
                time.sleep(rng.uniform(1.0, 3.0))
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                kills += 1
                workers[victim] = start()
        # Time passes with nothing more due: nothing more is told.
        moment.write_text((START + dt.timedelta(minutes=5)).isoformat())
        time.sleep(6)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()

    assert kills >= 2
    rows = list(
        PageNotification.objects.values_list("page_id", "cycle", "step_position", "person_id")
    )
    assert len(rows) == len(set(rows)) == PAGES * 3
    for page in Page.objects.all():
        steps = sorted(
            PageNotification.objects.filter(page=page).values_list("step_position", "due_at")
        )
        assert steps == [(s, START + dt.timedelta(minutes=s)) for s in range(3)]
        assert page.next_step_at is None  # the policy has run out
    # Every e-mail that went out went out once.
    sent = _mails(tmp_path / "mail")
    assert sent and max(sent.values()) == 1, sent.most_common(3)
