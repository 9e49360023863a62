"""The pages of an area, declared by the apps that hold them.

An area's home page often lists pages that live in apps above the one that owns the
home page (crisis cannot name listening's monitors; governance's home cannot name every
security page). Each app declares its pages here once at start-up (its
`AppConfig.ready()`); the home page lists those the viewer may open.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.core.models import User
from roost.core.permissions import Action, can


@dataclass(frozen=True)
class HubLink:
    area: str
    label: str
    url_name: str
    description: str
    action: Action


_LINKS: dict[tuple[str, str], HubLink] = {}


def hub_link_declare(
    *, area: str, label: str, url_name: str, description: str, action: Action
) -> None:
    """Show a page on `area`'s home page to people allowed `action`."""
    _LINKS[(area, url_name)] = HubLink(area, label, url_name, description, action)


def hub_links_for(viewer: User, *, area: str) -> list[HubLink]:
    """The area's declared pages the viewer may open, in the order they were declared."""
    return [link for link in _LINKS.values() if link.area == area and can(viewer, link.action)]
