"""On-call shifts as iCalendar (RFC 5545), written by the `icalendar` package.

Times are written in UTC, which every calendar app shows in its own zone. A shift cut
into pieces (by the range, or by an override in its middle) becomes one event per piece;
pieces of one person's shift on one layer that touch are joined again."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import icalendar

from roost.oncall.schedules.selectors import Shift

FEED_BEHIND = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=90)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _joined(shifts: Sequence[Shift]) -> list[Shift]:
    ordered = sorted(shifts, key=lambda s: (s.schedule.pk, s.person.pk, s.layer_name, s.start))
    joined: list[Shift] = []
    for shift in ordered:
        last = joined[-1] if joined else None
        if (
            last is not None
            and (last.schedule.pk, last.person.pk, last.layer_name)
            == (shift.schedule.pk, shift.person.pk, shift.layer_name)
            and last.end >= shift.start
        ):
            joined[-1] = Shift(
                last.schedule, last.layer_name, last.person, last.start, max(last.end, shift.end)
            )
        else:
            joined.append(shift)
    return sorted(joined, key=lambda s: (s.start, s.schedule.name, s.person.pk))


def shifts_calendar(*, shifts: Sequence[Shift], name: str, with_person: bool) -> str:
    """The shifts as a calendar called `name`; `with_person` names who is on call in each
    event's title (a schedule's feed), else the schedule (a person's own feed)."""
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Roost//On-call shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", icalendar.vText(_text(name)))
    for shift in _joined(shifts):
        who = shift.person.name or shift.person.email
        event = icalendar.Event()
        event.add(
            "uid",
            f"oncall-{shift.schedule.pk}-{shift.person.pk}-"
            f"{shift.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}@roost",
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start.astimezone(dt.UTC))
        event.add("dtend", shift.end.astimezone(dt.UTC))
        title = f"On call: {who}" if with_person else f"On call: {shift.schedule.name}"
        event.add("summary", _text(f"{title} ({shift.layer_name})"))
        event.add("description", _text(f"{shift.schedule.name} · {shift.layer_name} · {who}"))
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical().decode()
