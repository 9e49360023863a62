"""`{% panels "place" name=value ... %}`: the panels apps above declared for the place
(`roost.core.panels`), for the signed-in viewer; nothing for anyone else."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from roost.core.models import User
from roost.core.panels import panels_render

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, place: str, **values: Any) -> SafeString:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if not isinstance(viewer, User):
        return mark_safe("")
    return panels_render(place=place, viewer=viewer, context=values)
