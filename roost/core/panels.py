"""Panels: a part of one app's page that an app above it fills in.

A page of a lower app cannot ask a higher one for its data (the inbox and crisis never
import on call), so the page names a place (`{% panels "crisis.incident" incident=incident %}`)
and the apps above declare, once at start-up (their `AppConfig.ready()`), what they show
there. A panel's render function receives the viewer and what the page passed, applies
tenancy and permissions itself, and answers HTML or "" when it has nothing for this
viewer. Without any app declaring a panel for the place, the place renders nothing.

A page whose query count is pinned keeps it: such a panel renders a placeholder that
loads itself (htmx `hx-trigger="load"`) from its app's own URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from roost.core.models import User


class PanelRender(Protocol):
    def __call__(self, *, viewer: User, context: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class _Declared:
    place: str
    key: str
    order: int
    render: PanelRender


_declared: dict[tuple[str, str], _Declared] = {}


def panel_declare(*, place: str, key: str, order: int, render: PanelRender) -> None:
    """Show `render`'s answer at `place`, after panels of lower `order`. Declaring the same
    (place, key) again replaces it, so reloading an app is harmless."""
    _declared[(place, key)] = _Declared(place=place, key=key, order=order, render=render)


def panel_keys(place: str) -> list[str]:
    found = [d for d in _declared.values() if d.place == place]
    return [d.key for d in sorted(found, key=lambda d: (d.order, d.key))]


def panels_render(*, place: str, viewer: User, context: dict[str, Any]) -> SafeString:
    """Every panel declared for the place, in order, as one piece of HTML. A render
    function's answer is escaped unless it is already safe (a rendered template)."""
    found = sorted(
        (d for d in _declared.values() if d.place == place), key=lambda d: (d.order, d.key)
    )
    pieces = [conditional_escape(d.render(viewer=viewer, context=context)) for d in found]
    return mark_safe("".join(pieces))  # each piece is escaped or already safe
