"""Who is on call: reads over schedules, with tenancy applied by the organisation given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from roost.core.models import Organization, User
from roost.oncall.models import Schedule


@dataclass(frozen=True)
class Shift:
    schedule: Schedule
    layer_name: str
    person: User
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Coverage:
    shifts: list[Shift]
    gaps: list[tuple[dt.datetime, dt.datetime]]


@dataclass(frozen=True)
class OnCallNow:
    schedule: Schedule
    people: list[User]
    until: dt.datetime | None
    next_people: list[User] = field(default_factory=list)


def on_call_at(*, schedule: Schedule, at: dt.datetime) -> list[User]:
    """Who is on call on the schedule at `at`, after overrides and time off; [] is a gap."""
    raise NotImplementedError


def on_call_now_for_organization(
    *, organization: Organization, at: dt.datetime | None = None
) -> list[OnCallNow]:
    """For each schedule of the organisation: who is on call now, until when, and who next."""
    raise NotImplementedError


def shifts_for_person(*, person: User, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The person's shifts on every schedule of their organisation between start and end."""
    raise NotImplementedError


def coverage(*, schedule: Schedule, start: dt.datetime, end: dt.datetime) -> Coverage:
    """The schedule's shifts between start and end and the gaps (nobody on call)."""
    raise NotImplementedError
