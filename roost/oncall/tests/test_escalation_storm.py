"""A storm of pages falling due together: told in a fixed number of queries, and one
page that cannot be told does not hold up the others."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roost.oncall.models import Page, PageNotification
from roost.oncall.paging.engine import escalations_run
from roost.oncall.paging.loop import EscalationLoop
from roost.oncall.paging.services import page_raise
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def raise_pages(org, lead, n: int) -> list[Page]:
    return [page_raise(actor=lead, organization=org, title=f"Storm {i}") for i in range(n)]


def queries_to_tell_step_two(org, lead, clock, n: int) -> int:
    raise_pages(org, lead, n)
    clock.advance(minutes=5)
    with CaptureQueriesContext(connection) as queries:
        assert escalations_run(batch=50) == n
    clock.advance(minutes=-5)
    return len(queries)


def test_a_batch_of_pages_costs_the_same_queries_whatever_its_size(
    org, lead, responders, policy, clock
):
    few = queries_to_tell_step_two(org, lead, clock, 3)
    PageNotification.objects.all().delete()
    Page.objects.all().delete()
    many = queries_to_tell_step_two(org, lead, clock, 20)
    assert many == few
    second = responders[1]
    assert PageNotification.objects.filter(person=second, step_position=1).count() == 20


def test_a_page_that_cannot_be_told_leaves_the_rest_of_its_batch_told(
    org, lead, responders, policy, clock
):
    pages = raise_pages(org, lead, 3)
    stuck = pages[1]
    clock.advance(minutes=5)
    # Step 2 of the middle page looks told already: writing it again breaks the
    # unique constraint, which undoes the batch's one-go write.
    PageNotification.objects.create(
        organization_id=org.pk, page=stuck, person=responders[1], cycle=0, step_position=1,
        created_at=clock(), due_at=clock(), delivery_ids=[],
    )  # fmt: skip

    assert escalations_run() == 2

    for page in pages:
        page.refresh_from_db()
    told_now = {
        n.page_id for n in PageNotification.objects.filter(step_position=1) if n.delivery_ids
    }
    assert told_now == {pages[0].pk, pages[2].pk}
    assert pages[0].step_position == 1 and pages[2].step_position == 1
    assert stuck.step_position == 0 and stuck.next_step_at is not None  # still due


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_tells_a_step_soon_after_it_falls_due(org, lead, responders, policy, clock):
    page = page_raise(actor=lead, organization=org, title="Viral complaint")
    loop = EscalationLoop(interval=0.05)
    loop.start()
    try:
        assert not _told_within(page, step=1, seconds=0.5)  # not due yet
        clock.advance(minutes=5)
        assert _told_within(page, step=1, seconds=20)
    finally:
        loop.stop()
        loop.join(timeout=10)
    assert not loop.is_alive()


def _told_within(page: Page, *, step: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if PageNotification.objects.filter(page=page, step_position=step).exists():
            return True
        time.sleep(0.05)
    return False
