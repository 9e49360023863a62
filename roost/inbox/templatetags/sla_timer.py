"""The SLA countdown shown beside a conversation: "due in 42 min", "overdue by 1 h 5 min"."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"


@register.filter
def time_left(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """Wall-clock time to the due moment; the clock itself counts business hours only."""
    if due is None:
        return ""
    seconds = (due - (now or timezone.now())).total_seconds()
    if seconds >= 0:
        return f"due in {_span(seconds)}"
    return f"overdue by {_span(-seconds)}"
