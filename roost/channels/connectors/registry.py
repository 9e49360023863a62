"""Connectors are discovered through the `roost.connectors` entry-point group."""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from roost.channels.connectors.base import Connector

ENTRY_POINT_GROUP = "roost.connectors"


class UnknownConnector(LookupError):
    pass


@functools.cache
def available() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        connector = entry.load()
        if not (isinstance(connector, type) and issubclass(connector, Connector)):
            raise TypeError(f"entry point {entry.name!r} is not a Connector subclass")
        found[entry.name] = connector
    return found


def connector_class(name: str) -> type[Connector]:
    try:
        return available()[name]
    except KeyError as exc:
        known = ", ".join(sorted(available())) or "none"
        raise UnknownConnector(f"no connector named {name!r} (installed: {known})") from exc
