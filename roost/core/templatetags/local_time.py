"""`date` and `time` filters that show any stored instant, in the viewer's zone where it fits.

Django's own filters convert to the viewer's zone first, and that conversion overflows for
an instant within a day of year 1 or 9999 seen from a zone on the far side (9999-12-31
23:59 UTC is already year 10000 in UTC+14): the page would fail. Such an instant is shown
in UTC instead. Loaded as a builtin, so every template uses these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template import defaultfilters
from django.utils import timezone

register = template.Library()


def _local(value: Any) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        try:
            return timezone.localtime(value)
        except OverflowError:
            return value.astimezone(dt.UTC)
    return value


@register.filter(is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    return defaultfilters.date(_local(value), arg)


@register.filter(is_safe=False)
def time(value: Any, arg: str | None = None) -> str:
    return defaultfilters.time(_local(value), arg)
