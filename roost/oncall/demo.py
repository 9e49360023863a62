"""The demo organisation's on call: a follow-the-sun schedule over its three regions, an
escalation policy of three steps, and an e-mail contact method for everyone.

Each region covers its own daytime, in its own time zone, with a daily rotation among
its people: Singapore 06:00-16:00 (22:00-08:00 UTC all year), Warsaw 08:00-17:00
(07:00-16:00 UTC in winter, 06:00-15:00 in summer) and New York 09:00-19:00 (14:00-24:00
UTC in winter, 13:00-23:00 in summer). The windows overlap by an hour or more at each
handoff, so the union covers all 24 hours whichever of the regions is on summer time
(Europe and the United States change their clocks on different dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import Organization, Role, User
from roost.core.notifications.contact_methods import contact_method_add
from roost.core.notifications.models import ContactMethod
from roost.oncall.models import EscalationPolicy, Layer, LayerMember, Schedule, ShiftKind
from roost.oncall.paging.services import StepSpec, escalation_policy_create

SCHEDULE = "Follow the sun"
POLICY = "Social media on call"
# The rotations count their days from a Monday well before the demo is first run.
ROTATION_EPOCH = dt.date(2026, 1, 5)


@dataclass(frozen=True)
class Region:
    name: str
    time_zone: str
    start: dt.time
    end: dt.time
    people: tuple[str, ...]  # e-mail local parts, in rotation order


REGIONS = (
    Region("APAC", "Asia/Singapore", dt.time(6), dt.time(16), ("ana",)),
    Region("EMEA", "Europe/Warsaw", dt.time(8), dt.time(17), ("chloe", "priya", "aaron", "ada")),
    Region("Americas", "America/New_York", dt.time(9), dt.time(19), ("sam", "marco")),
)
# Who a page reaches when the one on call does not acknowledge it, and after how long.
FIRST_WAIT_MINUTES = 5
SECOND = "marco"  # the social media manager
SECOND_WAIT_MINUTES = 10
THIRD = "ada"  # the admin
THIRD_WAIT_MINUTES = 15


def _people(org: Organization) -> dict[str, User]:
    return {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}


def _schedule_create(org: Organization, people: dict[str, User]) -> Schedule:
    """The follow-the-sun schedule, its three layers and their members, with one audit
    event (the schedule's services take one layer at a time from a form)."""
    schedule = Schedule.objects.create(
        organization=org,
        name=SCHEDULE,
        time_zone="UTC",
        owner=people.get(SECOND),
        description=(
            "Each region covers its own daytime in its own time zone; together they cover "
            "all 24 hours, every day of the year."
        ),
    )
    described = []
    for position, region in enumerate(REGIONS):
        zone = ZoneInfo(region.time_zone)
        layer = Layer.objects.create(
            organization=org,
            schedule=schedule,
            name=region.name,
            position=position,
            time_zone=region.time_zone,
            rotation_start=dt.datetime.combine(ROTATION_EPOCH, region.start, tzinfo=zone),
            shift=ShiftKind.DAILY,
            shift_hours=24,
            handoff_time=region.start,
            window_start=region.start,
            window_end=region.end,
            window_days="0123456",
        )
        members = [people[key] for key in region.people if key in people]
        LayerMember.objects.bulk_create(
            LayerMember(organization=org, layer=layer, person=person, position=n)
            for n, person in enumerate(members)
        )
        described.append(
            f"{region.name}: {region.start:%H:%M}-{region.end:%H:%M} {region.time_zone}, "
            f"daily, {', '.join(p.email for p in members)}"
        )
    audit.record(
        organization=org,
        actor=SYSTEM,
        action="oncall.schedule.created",
        target=schedule,
        after={"name": schedule.name, "time_zone": schedule.time_zone, "layers": described},
    )
    return schedule


def _policy_create(org: Organization, schedule: Schedule, people: dict[str, User]) -> None:
    admin = (
        User.objects.filter(organization=org, memberships__role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .first()
    )
    if admin is None or SECOND not in people or THIRD not in people:
        return
    escalation_policy_create(
        actor=admin,
        name=POLICY,
        steps=[
            StepSpec(target="schedule", wait_minutes=FIRST_WAIT_MINUTES, schedule_id=schedule.pk),
            StepSpec(
                target="person", wait_minutes=SECOND_WAIT_MINUTES, person_id=people[SECOND].pk
            ),
            StepSpec(target="person", wait_minutes=THIRD_WAIT_MINUTES, person_id=people[THIRD].pk),
        ],
        repeat_times=1,
        is_default=True,
        description="The one on call first, then the social media manager, then the admin.",
    )


def _email_contact_methods(org: Organization, people: dict[str, User]) -> None:
    """An e-mail contact method, for urgent and normal pages, for everyone who has no
    contact method yet (the demo keeps the mail on its Mail page). Each person adds their
    own: contact methods are a person's own choice."""
    reached = set(
        ContactMethod.objects.filter(organization=org).values_list("person_id", flat=True)
    )
    for person in sorted(people.values(), key=lambda p: p.pk):
        if person.pk not in reached:
            contact_method_add(
                actor=person, person=person, kind="email", target=person.email,
                label="Work e-mail",
            )  # fmt: skip


def seed_demo_oncall(org: Organization) -> Schedule:
    """Add the schedule, the policy and the contact methods unless the organisation has
    them already."""
    people = _people(org)
    with transaction.atomic():
        _email_contact_methods(org, people)
        schedule = Schedule.objects.filter(organization=org, name=SCHEDULE).first()
        if schedule is None:
            schedule = _schedule_create(org, people)
        if not EscalationPolicy.objects.filter(organization=org, name=POLICY).exists():
            _policy_create(org, schedule, people)
    return schedule
