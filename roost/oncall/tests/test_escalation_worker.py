"""Escalation on real worker processes (PostgreSQL): workers killed with SIGKILL
mid-escalation and started again neither stall a page nor tell any step twice."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from roost.core.models import Role
from roost.core.notifications.models import Delivery
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

    def kill_one() -> None:
        nonlocal kills
        victim = rng.randrange(len(workers))
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].wait()
        kills += 1
        workers[victim] = start()

    def wait_for(count: int, deadline: float) -> None:
        while told() < count:
            assert time.monotonic() < deadline, (
                f"stalled at {told()} of {count}: {logs.read_text()[-3000:]}"
            )
            time.sleep(0.02)

    try:
        for minute in (1, 2):
            before = told()
            moment.write_text((START + dt.timedelta(minutes=minute)).isoformat())
            deadline = time.monotonic() + 150
            # A worker dies as the step comes due, and another once part of it is told.
            time.sleep(rng.uniform(0, 2))
            kill_one()
            wait_for(before + 1, deadline)
            kill_one()
            wait_for(PAGES * (minute + 1), deadline)
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

    assert kills == 4
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
    # One delivery per person told: no step was handed to the notifications twice.
    deliveries = Delivery.objects.filter(source_type="oncall.page")
    assert deliveries.count() == PAGES * 3
    handed = [i for n in PageNotification.objects.all() for i in n.delivery_ids]
    assert sorted(handed) == sorted(deliveries.values_list("pk", flat=True))
