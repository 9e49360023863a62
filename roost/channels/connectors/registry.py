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


_loaded: dict[str, type[Connector]] = {}


def connector_class(name: str) -> type[Connector]:
    """The named connector, imported on first use only (some pull in large SDKs)."""
    if name in _loaded:
        return _loaded[name]
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
        connector = entry.load()
        if not (isinstance(connector, type) and issubclass(connector, Connector)):
            raise TypeError(f"entry point {entry.name!r} is not a Connector subclass")
        _loaded[name] = connector
        return connector
    known = ", ".join(sorted(e.name for e in entry_points(group=ENTRY_POINT_GROUP))) or "none"
    raise UnknownConnector(f"no connector named {name!r} (installed: {known})")
