"""The demo's on call: a follow-the-sun schedule over its three regions that leaves no hour
uncovered on any day of the year, summer time or not; a default escalation policy of
three steps; an e-mail contact method for everyone; seeded once."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.core.models import User
from roost.core.notifications.models import ContactMethod
from roost.demo import seed_demo_organization
from roost.oncall.demo import POLICY, REGIONS, ROTATION_EPOCH, SCHEDULE, seed_demo_oncall
from roost.oncall.models import EscalationPolicy, Schedule
from roost.oncall.schedules.selectors import coverage, on_call_at

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Weeks that matter: winter, summer, and the weeks when only the United States has
# changed its clocks (spring) or only Europe has changed back (autumn).
WEEKS = [
    dt.datetime(2027, 1, 11, tzinfo=UTC),
    dt.datetime(2027, 7, 12, tzinfo=UTC),
    dt.datetime(2027, 3, 15, tzinfo=UTC),  # New York on summer time, Warsaw not yet
    dt.datetime(2026, 10, 26, tzinfo=UTC),  # Warsaw back on winter time, New York not yet
]


@pytest.fixture
def demo():
    org = seed_demo_organization()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    return org, people


@pytest.mark.parametrize("week", WEEKS, ids=["winter", "summer", "us-only-dst", "eu-only-dst"])
def test_the_follow_the_sun_schedule_covers_every_hour(demo, week):
    org, _ = demo
    schedule = Schedule.objects.get(organization=org, name=SCHEDULE)
    found = coverage(schedule=schedule, start=week, end=week + dt.timedelta(days=7))
    assert found.gaps == []
    assert found.shifts  # covered by people, not by an empty answer


def test_each_region_covers_its_own_daytime_with_its_own_people(demo):
    org, people = demo
    schedule = Schedule.objects.get(organization=org, name=SCHEDULE)
    day = dt.date(2027, 1, 13)
    for region in REGIONS:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(region.time_zone)
        # Mid-window, local time: the region's person of the day is on call.
        middle = dt.datetime.combine(day, region.start, tzinfo=zone) + dt.timedelta(hours=3)
        turn = (day - ROTATION_EPOCH).days % len(region.people)
        expected = people[region.people[turn]]
        assert expected in on_call_at(schedule=schedule, at=middle), region.name


def test_the_policy_has_three_steps_and_everyone_has_an_email_contact_method(demo):
    org, people = demo
    policy = EscalationPolicy.objects.get(organization=org, name=POLICY)
    assert policy.is_default
    steps = list(policy.steps.order_by("position"))
    assert [step.target for step in steps] == ["schedule", "person", "person"]
    assert steps[0].schedule.name == SCHEDULE
    assert [steps[1].person, steps[2].person] == [people["marco"], people["ada"]]
    methods = ContactMethod.objects.filter(organization=org, kind="email")
    assert {m.person_id: m.target for m in methods} == {p.pk: p.email for p in people.values()}


def test_seeding_again_adds_nothing(demo):
    org, _ = demo
    counts = (
        Schedule.objects.filter(organization=org).count(),
        EscalationPolicy.objects.filter(organization=org).count(),
        ContactMethod.objects.filter(organization=org).count(),
    )
    seed_demo_oncall(org)
    assert counts == (
        Schedule.objects.filter(organization=org).count(),
        EscalationPolicy.objects.filter(organization=org).count(),
        ContactMethod.objects.filter(organization=org).count(),
    )
