"""Managing SLA policies: create, change and delete, each audited, and the business
calendar a stored policy stands for.

A policy's opening hours are spans "HH:MM-HH:MM" per weekday (0 is Monday) in the
policy's own time zone; no hours at all means 24/7. Holidays are ISO dates, closed all
day. Open conversations are re-timed by the `inbox.sla` job within a minute of a change.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from roost.channels.models import Channel
from roost.core.actions import audited_create, audited_delete, audited_update
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.inbox.classify import Intent, Priority
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import SlaPolicy
from roost.inbox.sla.business_hours import BusinessCalendar, hours, twenty_four_seven

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_MINUTES = 366 * 24 * 60
MAX_HOLIDAYS = 366
MAX_SPANS_PER_DAY = 6
_SPAN = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AUDITED_FIELDS = (
    "name",
    "channel",
    "priority",
    "intent",
    "first_response_minutes",
    "resolution_minutes",
    "time_zone",
    "business_hours",
    "holidays",
)


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class SlaPolicySpec:
    """What a policy says. `business_hours` None is 24/7; otherwise weekday (0 is Monday)
    to spans such as "09:00-17:00", and a day left out is closed."""

    name: str
    first_response_minutes: int
    resolution_minutes: int
    time_zone: str = "UTC"
    business_hours: Mapping[int, Sequence[str]] | None = None
    holidays: Sequence[str] = ()
    channel: Channel | None = None
    priority: str = ""
    intent: str = ""


def _minutes(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InboxError(InboxProblem.MINUTES_INVALID, field=field)
    if value > MAX_MINUTES:
        raise InboxError(InboxProblem.MINUTES_TOO_MANY, field=field, limit=MAX_MINUTES)
    return value


def _span(text: str, weekday: int) -> tuple[int, int]:
    """One span as minutes from midnight (start, end), or an error naming the weekday."""
    match = _SPAN.match(text)
    field = f"hours_{weekday}"
    if match is None:
        raise InboxError(
            InboxProblem.HOURS_UNREADABLE, field=field, day=WEEKDAYS[weekday], text=text
        )
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    for hour, minute, is_end in ((start_h, start_m, False), (end_h, end_m, True)):
        if minute > 59 or hour > 24 or (hour == 24 and (minute or not is_end)):
            raise InboxError(
                InboxProblem.HOURS_NOT_A_TIME, field=field, day=WEEKDAYS[weekday], text=text.strip()
            )
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end <= start:
        raise InboxError(
            InboxProblem.HOURS_BACKWARDS, field=field, day=WEEKDAYS[weekday], text=text.strip()
        )
    return start, end


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _business_hours(spec_hours: Mapping[int, Sequence[str]] | None) -> dict[str, list[str]]:
    if spec_hours is None:
        return {}
    weekly: dict[str, list[str]] = {}
    for weekday, spans in sorted(spec_hours.items()):
        if weekday not in range(7):
            raise InboxError(InboxProblem.WEEKDAY_UNKNOWN, weekday=weekday)
        field = f"hours_{weekday}"
        intervals = sorted(_span(span, weekday) for span in spans if span.strip())
        if len(intervals) > MAX_SPANS_PER_DAY:
            raise InboxError(
                InboxProblem.HOURS_TOO_MANY_SPANS,
                field=field,
                day=WEEKDAYS[weekday],
                limit=MAX_SPANS_PER_DAY,
            )
        for (_, previous_end), (start, _) in itertools.pairwise(intervals):
            if start < previous_end:
                raise InboxError(
                    InboxProblem.HOURS_OVERLAP, field=field, day=WEEKDAYS[weekday], at=_clock(start)
                )
        if intervals:
            weekly[str(weekday)] = [f"{_clock(start)}-{_clock(end)}" for start, end in intervals]
    if not weekly:
        raise InboxError(InboxProblem.HOURS_MISSING, field="hours_0")
    return weekly


def _holidays(values: Sequence[str]) -> list[str]:
    days: set[str] = set()
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            if not _ISO_DATE.match(text):
                raise ValueError
            days.add(dt.date.fromisoformat(text).isoformat())
        except ValueError:
            raise InboxError(InboxProblem.HOLIDAY_UNREADABLE, field="holidays", text=text) from None
    if len(days) > MAX_HOLIDAYS:
        raise InboxError(InboxProblem.HOLIDAYS_TOO_MANY, field="holidays", limit=MAX_HOLIDAYS)
    return sorted(days)


def _cleaned(spec: SlaPolicySpec, organization_id: int) -> dict[str, Any]:
    name = spec.name.strip()
    if not name:
        raise InboxError(InboxProblem.POLICY_NAME_MISSING, field="name")
    if len(name) > 120:
        raise InboxError(InboxProblem.TEXT_TOO_LONG, field="name", limit=120)
    if spec.channel is not None and spec.channel.organization_id != organization_id:
        raise InboxError(InboxProblem.POLICY_CHANNEL_FOREIGN, field="channel")
    priority = spec.priority.strip()
    if priority and priority not in list(Priority):
        raise InboxError(InboxProblem.PRIORITY_UNKNOWN, field="priority", value=priority)
    intent = spec.intent.strip()
    if intent and intent not in list(Intent):
        raise InboxError(InboxProblem.INTENT_UNKNOWN, field="intent", value=intent)
    time_zone = spec.time_zone.strip()
    if time_zone not in known_time_zones():
        raise InboxError(InboxProblem.TIME_ZONE_UNKNOWN, field="time_zone", value=time_zone)
    holidays = _holidays(spec.holidays)
    if holidays and spec.business_hours is None:
        raise InboxError(InboxProblem.HOLIDAYS_WITHOUT_HOURS, field="holidays")
    return {
        "name": name,
        "channel": spec.channel,
        "priority": priority,
        "intent": intent,
        "first_response_minutes": _minutes(spec.first_response_minutes, "first_response_minutes"),
        "resolution_minutes": _minutes(spec.resolution_minutes, "resolution_minutes"),
        "time_zone": time_zone,
        "business_hours": _business_hours(spec.business_hours),
        "holidays": holidays,
    }


def _refuse_same_conditions(values: dict[str, Any], organization_id: int, pk: int | None) -> None:
    """Two policies with the same conditions would leave the choice to their ids."""
    same = SlaPolicy.objects.filter(
        organization_id=organization_id,
        channel=values["channel"],
        priority=values["priority"],
        intent=values["intent"],
    )
    if pk is not None:
        same = same.exclude(pk=pk)
    twin = same.first()
    if twin is not None:
        raise InboxError(InboxProblem.POLICY_SAME_CONDITIONS, name=twin.name)


def _check(actor: User, policy: SlaPolicy) -> None:
    require_on(actor, policy, Action.INBOX_CONFIGURE, noun="SLA policy")


def sla_policy_create(*, actor: User, spec: SlaPolicySpec) -> SlaPolicy:
    require(actor, Action.INBOX_CONFIGURE)
    values = _cleaned(spec, actor.organization_id)
    with transaction.atomic():
        _refuse_same_conditions(values, actor.organization_id, None)
        return audited_create(
            SlaPolicy,
            actor=actor,
            organization=actor.organization,
            values=values,
            action="inbox.sla_policy.created",
            fields=AUDITED_FIELDS,
        )


def sla_policy_update(*, actor: User, policy: SlaPolicy, spec: SlaPolicySpec) -> SlaPolicy:
    _check(actor, policy)
    values = _cleaned(spec, actor.organization_id)
    with transaction.atomic():
        _refuse_same_conditions(values, actor.organization_id, policy.pk)
        return audited_update(
            policy,
            actor=actor,
            organization=actor.organization,
            values=values,
            action="inbox.sla_policy.updated",
            fields=AUDITED_FIELDS,
        )


def sla_policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    _check(actor, policy)
    audited_delete(
        policy,
        actor=actor,
        organization=actor.organization,
        action="inbox.sla_policy.deleted",
        fields=AUDITED_FIELDS,
    )


def policy_calendar(policy: SlaPolicy) -> BusinessCalendar:
    """The opening hours a stored policy stands for (no hours: 24/7 in its zone)."""
    if not policy.business_hours:
        return twenty_four_seven(policy.time_zone)
    weekly = {int(day): hours(*spans) for day, spans in policy.business_hours.items()}
    holidays = frozenset(dt.date.fromisoformat(day) for day in policy.holidays)
    return BusinessCalendar(time_zone=policy.time_zone, weekly=weekly, holidays=holidays)
