"""What the paging tests share: a controlled clock and a three-step policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from roost.core.models import Role
from roost.oncall.paging.clock import ControlledClock, clock_used
from roost.oncall.paging.services import StepSpec, escalation_policy_create

__all__ = ["clock", "lead", "policy", "responders"]

START = dt.datetime(2026, 3, 29, 0, 15, tzinfo=dt.UTC)  # Europe's DST change is at 01:00


@pytest.fixture
def clock() -> Iterator[ControlledClock]:
    controlled = ControlledClock(START)
    with clock_used(controlled):
        yield controlled


@pytest.fixture
def lead(org, make_user):
    return make_user(org, Role.MANAGER)


@pytest.fixture
def responders(org, make_user):
    return [make_user(org, Role.COMMUNITY_MANAGER) for _ in range(3)]


@pytest.fixture
def policy(lead, responders):
    """Step 1 tells the first responder, step 2 the second after 5 minutes, step 3 the
    third after 10 more; then 15 more minutes before the policy has run out."""
    return escalation_policy_create(
        actor=lead,
        name="Social on call",
        is_default=True,
        steps=[
            StepSpec(target="person", person_id=responders[0].pk, wait_minutes=5),
            StepSpec(target="person", person_id=responders[1].pk, wait_minutes=10),
            StepSpec(target="person", person_id=responders[2].pk, wait_minutes=15),
        ],
    )
