"""Escalation on real worker processes (PostgreSQL): workers killed with SIGKILL
mid-escalation and started again neither stall a page nor tell any step twice."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import time

import pytest

from roost.core.models import Role
from roost.core.notifications.models import Delivery
from roost.oncall.models import Page, PageNotification
from roost.oncall.paging.clock import clock_used
from roost.oncall.paging.loop import EscalationLoop
from roost.oncall.paging.services import StepSpec, escalation_policy_create, page_raise
from roost.oncall.tests.paging_worker import file_clock, worker_environment

PAGES = 30
START = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)


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

    env = worker_environment(tmp_path)
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_a_killed_worker_held_are_told_by_another_at_once(org, make_user, tmp_path):
    """A worker dies mid-batch, its steps written but not committed. The loop of
    another worker, which found those pages held and took none, tells them within
    seconds of the death (not a whole interval later), each exactly once."""
    lead = make_user(org, Role.MANAGER)
    people = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(2)]
    moment = tmp_path / "clock.txt"
    moment.write_text(START.isoformat())
    with clock_used(file_clock(moment)):
        escalation_policy_create(
            actor=lead, name="Two steps", is_default=True,
            steps=[StepSpec(target="person", person_id=p.pk, wait_minutes=1) for p in people],
        )  # fmt: skip
        pages = [page_raise(actor=lead, organization=org, title=f"Trouble {n}") for n in range(12)]
    moment.write_text((START + dt.timedelta(minutes=1)).isoformat())

    holder = subprocess.Popen(
        [sys.executable, "-m", "roost.oncall.tests.paging_holder", str(moment)],
        env=worker_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "holder.log").open("wb"),
    )
    loop = None
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline().decode()
        assert line.split() == ["holding", str(len(pages))], (tmp_path / "holder.log").read_text()
        with clock_used(file_clock(moment)):
            # An interval far longer than the test: only looking again soon after a
            # turn that found due pages held can tell them in time.
            loop = EscalationLoop(interval=60)
            loop.start()
            time.sleep(1.5)
            step_two = PageNotification.objects.filter(step_position=1)
            assert not step_two.exists()  # held by the dying worker, so nobody tells them
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            killed = time.monotonic()
            while step_two.count() < len(pages) and time.monotonic() - killed < 30:
                time.sleep(0.02)
            took = time.monotonic() - killed
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if loop is not None:
            loop.stop()
            loop.join(timeout=10)
    assert step_two.count() == len(pages)
    assert took < 5, f"the held pages were told {took:.1f} s after the worker died"
    rows = list(
        PageNotification.objects.values_list("page_id", "cycle", "step_position", "person_id")
    )
    assert len(rows) == len(set(rows)) == len(pages) * 2
    # The dead worker's deliveries went with its transaction: one per person told.
    deliveries = Delivery.objects.filter(source_type="oncall.page")
    assert deliveries.count() == len(pages) * 2
    handed = [i for n in PageNotification.objects.all() for i in n.delivery_ids]
    assert sorted(handed) == sorted(deliveries.values_list("pk", flat=True))
    for page in pages:
        page.refresh_from_db()
        assert page.step_position == 1
