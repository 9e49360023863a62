"""Which incident a surge belongs to, and which incidents it may be linked to.

Incidents live in the crisis app, above the inbox, so the inbox cannot ask for them: the
crisis app declares, at start-up, the one provider that answers (`surge_incidents_declare`).
Without it (crisis not installed) surges simply show no incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from roost.core.models import User


@dataclass(frozen=True)
class SurgeIncident:
    id: int
    label: str
    url: str


@dataclass(frozen=True)
class SurgeIncidents:
    # The incident each linked conversation belongs to (the latest, if several).
    linked: dict[int, SurgeIncident] = field(default_factory=dict)
    # Incidents the viewer may link conversations to, and where that form posts.
    open: Sequence[SurgeIncident] = ()
    link_url: str = ""


class Provider(Protocol):
    def __call__(self, *, viewer: User, conversation_ids: Sequence[int]) -> SurgeIncidents: ...


_provider: list[Provider] = []


def surge_incidents_declare(*, provider: Provider) -> None:
    """Declare the provider (declaring again replaces it)."""
    _provider[:] = [provider]


def surge_incidents(*, viewer: User, conversation_ids: Sequence[int]) -> SurgeIncidents:
    if not _provider or not conversation_ids:
        return SurgeIncidents()
    return _provider[0](viewer=viewer, conversation_ids=conversation_ids)
