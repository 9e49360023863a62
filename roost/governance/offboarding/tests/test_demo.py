"""The walk-through: in the demo, offboard one of the printed people to another in one
action and read the report; the demo's leaver has work of every kind to hand over."""

from __future__ import annotations

import pytest

from roost.core.demo import PEOPLE
from roost.core.models import User
from roost.demo import seed_demo_organization
from roost.governance.offboarding import services
from roost.governance.offboarding.demo import LEAVER, SUCCESSOR, seed_demo_offboarding


@pytest.mark.django_db
def test_the_demo_leaver_has_something_in_every_part_of_the_report():
    org = seed_demo_organization()
    assert seed_demo_offboarding(org) == 0  # seeded once
    printed = {person.email for person in PEOPLE}
    assert {LEAVER, SUCCESSOR} <= printed
    admin = User.objects.get(email="ada@northwind.example")
    leaver = User.objects.get(email=LEAVER)
    successor = User.objects.get(email=SUCCESSOR)

    preview = services.offboarding_preview(actor=admin, leaver=leaver, successor=successor)
    # Everything but a team to lead: Chloé leads none.
    empty = [section.step for section in preview if not section.lines]
    assert empty == ["teams"]

    done = services.offboarding_run(actor=admin, leaver=leaver, successor=successor)
    steps = {item.step for item in done.items.all()}
    assert steps == {step.name for step in services.STEPS} - {"teams"}
    kinds = {item.kind for item in done.items.all()}
    assert {"post", "conversation", "channel", "rotation", "api_token", "grant"} <= kinds
    assert done.rotation_tasks.count() >= 4
