"""Template filters that show catalogue facts to people: sizes, durations, ratios, ranges.

Every filter returns "" for an unknown (None) value so templates can fall back
with `|default:"—"`.
"""

from __future__ import annotations

from fractions import Fraction
from urllib.parse import urlsplit

from django import template

from roost.catalogue.specs import Placement

register = template.Library()

_DECIMAL_UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))
_BINARY_UNITS = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))
_DASH = " – "


def _number(value: float) -> str:
    """1 decimal place at most, no trailing zero: 1.5, 3, 0.5."""
    return f"{round(value, 1):g}"


@register.filter
def filesize(value: int | None) -> str:
    """Bytes for people: 8_000_000 -> "8 MB"; exact binary sizes stay exact (16 MiB)."""
    if value is None:
        return ""
    decimal = next(((name, size) for name, size in _DECIMAL_UNITS if value >= size), None)
    if decimal is None:
        return f"{value} bytes"
    name, size = decimal
    if value % size == 0:
        return f"{value // size} {name}"
    binary = next(((n, s) for n, s in _BINARY_UNITS if value >= s), None)
    if binary is not None and value % binary[1] == 0:
        return f"{value // binary[1]} {binary[0]}"
    return f"{_number(value / size)} {name}"


@register.filter
def seconds(value: float | None) -> str:
    """A duration for people: 0.5 -> "0.5 s", 900 -> "15 min", 5400 -> "1 h 30 min"."""
    if value is None:
        return ""
    if value < 60:
        return f"{_number(value)} s"
    whole = round(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return " ".join(parts)


def _span(low: str, high: str, *, unit: str = "") -> str:
    suffix = f" {unit}" if unit else ""
    if low and high:
        return f"{low}{suffix}" if low == high else f"{low}{_DASH}{high}{suffix}"
    if high:
        return f"up to {high}{suffix}"
    if low:
        return f"at least {low}{suffix}"
    return ""


@register.filter
def duration_range(low: float | None, high: float | None) -> str:
    """`{{ p.min_duration_s|duration_range:p.max_duration_s }}` -> "3 s - 15 min" (en dash)."""
    return _span(seconds(low), seconds(high))


@register.filter
def ratio(value: float | None) -> str:
    """A width/height ratio for people: 0.5625 -> "9:16", 1.91 -> "1.91:1", 0.3333 -> "1:3"."""
    if value is None:
        return ""
    if value >= 1:
        return f"{round(value, 2):g}:1"
    inverse = 1 / value
    if abs(inverse - round(inverse, 1)) < 0.005:
        return f"1:{round(inverse, 1):g}"
    fraction = Fraction(value).limit_denominator(20)
    if abs(float(fraction) - value) < 0.001:
        return f"{fraction.numerator}:{fraction.denominator}"
    return f"1:{round(inverse, 2):g}"


@register.filter
def ratio_range(low: float | None, high: float | None) -> str:
    """`{{ p.image_aspect_min|ratio_range:p.image_aspect_max }}` -> "4:5 - 1.91:1" (en dash)."""
    return _span(ratio(low), ratio(high))


@register.filter
def fps_range(low: int | None, high: int | None) -> str:
    return _span("" if low is None else str(low), "" if high is None else str(high), unit="fps")


@register.filter
def number(value: int | None) -> str:
    """Thousands separated: 63206 -> "63,206"."""
    return "" if value is None else f"{value:,}"


@register.filter
def items(placement: Placement) -> str:
    """How many media items a post takes: "1", "2 - 10", "up to 4", "at least 1"."""
    low = str(placement.min_media) if placement.min_media else ""
    high = "" if placement.max_media is None else str(placement.max_media)
    return _span(low, high) or "optional, limit not known"


@register.filter
def source_label(url: str) -> str:
    """A short link text for a source URL: host and path, without scheme and "www."."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    label = f"{host}{path}"
    return label if len(label) <= 72 else f"{label[:71]}…"
