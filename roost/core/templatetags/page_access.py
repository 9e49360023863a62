"""`{% page_allowed "inbox:reports" as show %}`: whether the page opens for the person
signed in, by the page's own `page_access` (roost.core.navigation), for menus that link
to pages not everyone may open."""

from __future__ import annotations

from typing import Any

from django import template

from roost.core.models import User
from roost.core.navigation import page_allowed as _page_allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def page_allowed(context: dict[str, Any], url_name: str, *args: Any) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return isinstance(user, User) and _page_allowed(user, url_name, *args)
