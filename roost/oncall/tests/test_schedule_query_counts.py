"""The on-call pages cost a fixed number of queries, however many schedules, layers,
people and overrides there are: each page is rendered small, the data grown, and
rendered again with the same count."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roost.core.models import Role
from roost.oncall.schedules import services
from roost.oncall.tests.conftest import layer_input

# What each page costs today. A change here should be a decision, not an accident.
HOME_QUERIES = 17
# One of them reads the month's page notifications for the fairness table.
DETAIL_QUERIES = 21


def _grow(lead, schedule, people, n: int) -> None:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    services.layer_create(
        actor=lead, schedule=schedule, data=layer_input(people, start=start, name=f"Layer {n}")
    )
    services.override_create(
        actor=lead,
        schedule=schedule,
        person=people[0],
        replaces=people[1],
        start=start + dt.timedelta(days=n + 1),
        end=start + dt.timedelta(days=n + 1, hours=3),
    )
    services.time_off_create(
        actor=lead,
        person=people[-1],
        start=start + dt.timedelta(days=n + 2),
        end=start + dt.timedelta(days=n + 2, hours=2),
    )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_on_call_page_costs_the_same_for_one_schedule_or_five(
    org, signed_in, lead, make_schedule, make_user
):
    people = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(3)]
    client = signed_in(people[0])
    url = reverse("oncall:home")
    _grow(lead, make_schedule(name="Schedule 0"), people, 0)
    client.get(url)
    assert _count(client, url) == HOME_QUERIES
    more = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(4)]
    for n in range(1, 5):
        _grow(lead, make_schedule(name=f"Schedule {n}"), [*people, *more], n)
    assert _count(client, url) == HOME_QUERIES


def test_a_schedule_page_costs_the_same_for_one_layer_or_four(
    org, signed_in, lead, make_schedule, make_user
):
    people = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(3)]
    schedule = make_schedule()
    _grow(lead, schedule, people, 0)
    client = signed_in(lead)
    url = reverse("oncall:schedule", args=[schedule.pk])
    client.get(url)
    assert _count(client, url) == DETAIL_QUERIES
    more = [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(5)]
    for n in range(1, 4):
        _grow(lead, schedule, [*people, *more[: n + 1]], n)
    assert _count(client, url) == DETAIL_QUERIES
