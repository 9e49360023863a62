"""Who is on call now, and who backs them up: what Today, the incident page and the inbox
show beside their own work.

Reads only: each schedule's people now (after overrides and time off), until when and
who comes next (`roost.oncall.schedules.selectors`), and the default escalation policy's
later steps, the people a page reaches when the first does not answer
(`roost.oncall.paging.selectors.responders_now`). Everyone in an organisation may see
who is on call in it: in an incident anyone may need to know whom to call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.urls import reverse
from django.utils import timezone

from roost.core.models import User
from roost.oncall.models import Schedule
from roost.oncall.paging.selectors import responders_now
from roost.oncall.schedules.selectors import Shift, on_call_now_for_organization, shifts_for_person

# How far ahead a person's own shifts are listed on Today.
OWN_SHIFTS_AHEAD = dt.timedelta(days=7)


@dataclass(frozen=True)
class ScheduleNow:
    schedule: Schedule
    url: str
    people: list[User]
    until: dt.datetime | None
    next_people: list[User]

    @property
    def is_gap(self) -> bool:
        return not self.people


@dataclass(frozen=True)
class Backup:
    step: int  # counted from 1: the first backup is step 2
    people: list[User]


@dataclass(frozen=True)
class OnCallSummary:
    schedules: list[ScheduleNow] = field(default_factory=list)
    # The default policy's steps after the first: who a page reaches next.
    backups: list[Backup] = field(default_factory=list)
    url: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.schedules and not self.backups


def schedule_url(schedule: Schedule) -> str:
    return reverse("oncall:schedule", args=[schedule.pk])


def on_call_summary(*, viewer: User, now: dt.datetime | None = None) -> OnCallSummary:
    """Who is on call now in the viewer's organisation, schedule by schedule, and who
    backs them up."""
    moment = now or timezone.now()
    organization = viewer.organization
    lines = [
        ScheduleNow(
            schedule=item.schedule,
            url=schedule_url(item.schedule),
            people=list(item.people),
            until=item.until,
            next_people=list(item.next_people),
        )
        for item in on_call_now_for_organization(organization=organization, at=moment)
    ]
    steps = responders_now(organization=organization, at=moment)
    backups = [
        Backup(step, people) for step, (_, people) in enumerate(steps[1:], start=2) if people
    ]
    return OnCallSummary(schedules=lines, backups=backups, url=reverse("oncall:home"))


def own_shifts(*, viewer: User, now: dt.datetime | None = None) -> list[Shift]:
    """The viewer's shifts from now to a week ahead, the current one first."""
    moment = now or timezone.now()
    # Read from a week back, so that the current shift shows when it really began.
    shifts = shifts_for_person(
        person=viewer, start=moment - OWN_SHIFTS_AHEAD, end=moment + OWN_SHIFTS_AHEAD
    )
    current_and_next = [shift for shift in shifts if shift.end > moment]
    return sorted(current_and_next, key=lambda shift: (shift.start, shift.schedule.name))


def viewer_zone(viewer: User) -> dt.tzinfo:
    try:
        return ZoneInfo(viewer.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def names(people: list[User]) -> str:
    return ", ".join(person.name or person.email for person in people)


def span_in_zone(start: dt.datetime, end: dt.datetime, zone: dt.tzinfo) -> str:
    """Start and end in the zone, as "Mon 7 Dec 08:00" and the end's time (with its date
    too when it is another day), joined by an en dash."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first = local_start.strftime("%a %-d %b %H:%M")
    if local_end.date() == local_start.date():
        return f"{first}–{local_end:%H:%M}"
    return f"{first} – {local_end.strftime('%a %-d %b %H:%M')}"
