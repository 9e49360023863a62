"""iCalendar (RFC 5545) output for the publishing calendar, written by the `icalendar`
package: it escapes TEXT values and folds long lines (at 75 octets, never inside a
character) as the RFC says."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable

import icalendar

from roost.publishing.models import Variant, VariantState

SLOT = dt.timedelta(minutes=15)
# Control characters other than tab may not appear in a TEXT value (RFC 5545 section 3.3.11);
# line breaks are kept, as one "\n" each, which the writer escapes.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    """A TEXT value as people wrote it, line breaks made one kind, other controls dropped."""
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _event(variant: Variant, start: dt.datetime, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"variant-{variant.pk}@roost")
    event.add("dtstamp", stamp)
    event.add("dtstart", start.astimezone(dt.UTC))
    event.add("dtend", (start + SLOT).astimezone(dt.UTC))
    event.add("summary", _text(f"{variant.channel.network}: {variant.post}"))
    event.add("description", _text(variant.text))
    event.add("status", "CONFIRMED" if variant.state == VariantState.PUBLISHED else "TENTATIVE")
    return event


def calendar_feed(*, variants: Iterable[Variant], name: str, zone: zoneinfo.ZoneInfo) -> str:
    """The feed of these variants, one event each (a variant without a time is left out).
    Times are written in UTC, which every calendar app shows in its own zone."""
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Roost//Publishing calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # An extension property: named as TEXT, so that it is escaped like the others.
    calendar.add("x-wr-calname", icalendar.vText(_text(name)))
    for variant in variants:
        if variant.scheduled_at is not None:
            calendar.add_component(_event(variant, variant.scheduled_at, stamp))
    return calendar.to_ical().decode()
