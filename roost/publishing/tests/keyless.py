"""A network that knows nothing of idempotency keys, played by the sandbox.

`KeylessSandbox` publishes through the sandbox without the key, so a repeat makes a
second post, and it can look nothing up: after a lost answer nobody can tell whether
the post went out. Channels whose `connector` is `NAME` use it, in the test process
and in the worker processes a test starts (`dispatch_worker` registers it).
"""

from __future__ import annotations

import dataclasses

from roost.channels.connectors import registry
from roost.channels.connectors.base import Capability, Published, PublishRequest
from roost.sandbox.connector import SandboxConnector

NAME = "sandbox-keyless"


class KeylessSandbox(SandboxConnector):
    name = NAME
    capabilities = SandboxConnector.capabilities - {
        Capability.IDEMPOTENT_PUBLISH,
        Capability.LOOKUP,
    }

    def publish(self, request: PublishRequest) -> Published:
        published: Published = super().publish(dataclasses.replace(request, idempotency_key=""))
        return published

    def lookup(self, idempotency_key: str) -> Published | None:
        return None  # says nothing: this network cannot look posts up


def register() -> None:
    registry._loaded[NAME] = KeylessSandbox
