"""Who a change is made by: a person, or Roost itself.

Services take `actor: Actor`. A person is checked against the permission policy;
`SYSTEM` (the worker, the clock, a command run by the operator, a network's
delivery) passes the check by being named, never by being left out: there is no
`actor=None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from roost.core.models import User


@dataclass(frozen=True)
class SystemActor:
    """Roost acting on its own; the audit log shows it as "system"."""

    label: str = "system"


SYSTEM = SystemActor()

Actor = User | SystemActor


def is_system(actor: Actor) -> TypeGuard[SystemActor]:
    return isinstance(actor, SystemActor)


def person(actor: Actor) -> User | None:
    """The person behind the change, or None when Roost made it."""
    return None if isinstance(actor, SystemActor) else actor
