"""Crisis mode turned on while a campaign is being dispatched by several worker
processes, on PostgreSQL: nothing paused reaches the network afterwards, and after the
review each held post goes out exactly once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from roost.crisis.mode import (
    crisis_mode_end,
    crisis_mode_review_finish,
    crisis_mode_start,
    held_post_decide,
)
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState
from roost.publishing.services import new_idempotency_key
from roost.publishing.tests.test_faults import _database_urls
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_knobs_set

POSTS = 240
WORKERS = 3


def _campaign(org, publisher, channels) -> Campaign:
    due = timezone.now() - dt.timedelta(seconds=1)
    campaign = Campaign.objects.create(
        organization=org, name="Spring launch", release_at=due, status=Campaign.Status.RELEASED,
        created_by=publisher,
    )  # fmt: skip
    posts = Post.objects.bulk_create(
        Post(organization=org, author=publisher, master_text=f"Spring post {n}", scheduled_at=due,
             state=PostState.SCHEDULED, campaign=campaign)
        for n in range(POSTS)
    )  # fmt: skip
    Variant.objects.bulk_create(
        Variant(organization=org, post=post, channel=channels[n % len(channels)],
                text=post.master_text, scheduled_at=due, state=VariantState.SCHEDULED,
                idempotency_key=new_idempotency_key())
        for n, post in enumerate(posts)
    )  # fmt: skip
    return campaign


def _workers() -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **_database_urls()}
    command = [sys.executable, "-m", "roost.publishing.tests.dispatch_worker"]
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(WORKERS)
    ]


def _wait(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()[-2000:]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_crisis_mode_during_a_campaign_dispatch_on_several_workers_sends_nothing_paused(
    org, manager, publisher, make_channel
):
    channels = [make_channel("x", "post", f"acme{n}") for n in range(6)]
    for account in SandboxAccount.objects.all():
        sandbox_knobs_set(account=account, latency_ms=30)
    _campaign(org, publisher, channels)
    workers = _workers()
    deadline = time.monotonic() + 60
    while SandboxPost.objects.count() < 10 and time.monotonic() < deadline:
        time.sleep(0.01)  # until the campaign is going out on every worker

    crisis = crisis_mode_start(actor=manager, scope="organization", reason="Product recall")
    returned_at = timezone.now()
    _wait(workers)  # each stops once nothing is left to send

    assert SandboxPost.objects.filter(created_at__gt=returned_at).count() == 0
    states = dict(
        Variant.objects.values_list("state").annotate(n=__import__("django").db.models.Count("pk"))
    )
    published, paused = states.get(VariantState.PUBLISHED, 0), states.get(VariantState.PAUSED, 0)
    assert published + paused == POSTS, states
    assert published > 0 and paused > 0, states  # the pause landed mid-dispatch
    assert SandboxPost.objects.count() == published

    # Ending: every held copy is listed; publish them all now, then publishing resumes.
    crisis = crisis_mode_end(actor=manager, crisis=crisis)
    assert crisis.held.count() == paused
    for held in crisis.held.all():
        held_post_decide(actor=manager, held=held, decision="publish_now")
    crisis_mode_review_finish(actor=manager, crisis=crisis)
    _wait(_workers())
    keys = list(SandboxPost.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == POSTS, "a post was lost or doubled"
    assert set(Variant.objects.values_list("state", flat=True)) == {VariantState.PUBLISHED}
