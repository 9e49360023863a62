"""Which network the sandbox plays, and so what it can do there.

On a network Roost has a real connector for, the sandbox can do only what that
connector can (the sandbox's Instagram cannot look posts up, as Instagram cannot);
on any other network, everything a connector may declare.
"""

from __future__ import annotations

from roost.channels.connectors.base import Capability
from roost.channels.connectors.registry import available

SANDBOX = "sandbox"


def played_capabilities(network: str) -> frozenset[Capability]:
    everything = frozenset(Capability)
    real = available().get(network)
    if real is None or real.name.startswith(SANDBOX):
        return everything
    return everything & real.capabilities_for(network)
