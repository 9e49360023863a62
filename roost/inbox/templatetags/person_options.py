"""`{% person_options people selected_id %}`: the <option>s of a person picker, built in
one pass. An organisation has hundreds of people, and a template loop with a test per
option costs far more than the rest of the page."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def person_options(people: Iterable[tuple[int, str]], selected: int | None = None) -> SafeString:
    """An option per (id, name) pair, with the `selected` id marked; names are escaped."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, " selected" if pk == selected else "", name) for pk, name in people),
    )
