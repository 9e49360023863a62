"""When a Today item is due or happens, said the short way: the time alone today,
"yesterday" and "tomorrow" beside it, the date further off; in the viewer's zone."""

from __future__ import annotations

import datetime as dt

from django import template
from django.template import defaultfilters
from django.utils import timezone

register = template.Library()


@register.filter
def today_when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    try:
        local = timezone.localtime(value)
    except OverflowError:
        local = value.astimezone(dt.UTC)
    days = (local.date() - timezone.localdate()).days
    clock = defaultfilters.date(local, "H:i")
    if days == 0:
        return clock
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    return defaultfilters.date(local, "D j M, H:i")
