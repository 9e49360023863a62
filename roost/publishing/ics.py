"""iCalendar (RFC 5545) output for the publishing calendar."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable

from roost.publishing.models import Variant

SLOT = dt.timedelta(minutes=15)
# Control characters other than tab may not appear in a TEXT value (RFC 5545 section 3.3.11).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _escape(text: str) -> str:
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 section 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 74:
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_feed(*, variants: Iterable[Variant], name: str, zone: zoneinfo.ZoneInfo) -> str:
    now = _stamp(dt.datetime.now(dt.UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Roost//Publishing calendar//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for variant in variants:
        if variant.scheduled_at is None:
            continue
        start = variant.scheduled_at
        summary = f"{variant.channel.network}: {variant.post}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:variant-{variant.pk}@roost",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(start + SLOT)}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(variant.text)}",
            f"STATUS:{'CONFIRMED' if variant.state == 'published' else 'TENTATIVE'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
