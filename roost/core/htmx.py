"""The request type of views that answer htmx.

`django_htmx.middleware.HtmxMiddleware` (installed for every request) gives each
request an `htmx` attribute; a view that reads it takes an `HtmxHttpRequest`, so the
type checker knows the attribute is there. django-htmx documents this type rather
than shipping it.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
