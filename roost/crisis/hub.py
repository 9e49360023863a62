"""The other pages of the Listening & Crisis area, declared by the apps that hold them.

Crisis sits below listening, so its home page cannot name the monitors' pages itself.
An app above declares its pages here once at start-up (its `AppConfig.ready()`); the
home page lists those the viewer may open.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.core.models import User
from roost.core.permissions import Action, can


@dataclass(frozen=True)
class HubLink:
    label: str
    url_name: str
    description: str
    action: Action


_LINKS: dict[str, HubLink] = {}


def hub_link_declare(*, label: str, url_name: str, description: str, action: Action) -> None:
    """Show a page of the area on the crisis home page to people allowed `action`."""
    _LINKS[url_name] = HubLink(label, url_name, description, action)


def hub_links_for(viewer: User) -> list[HubLink]:
    return [link for link in _LINKS.values() if can(viewer, link.action)]
