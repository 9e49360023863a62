"""The one check every service runs on an object it was handed: is it of the
actor's organisation (else it does not exist, a 404), and may the actor do this
to it (else a 403). An object of another organisation is never told apart from
one that does not exist.
"""

from __future__ import annotations

from typing import Protocol

from roost.core.actors import Actor, SystemActor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization
from roost.core.permissions import Action, require


class Owned(Protocol):
    organization_id: int


def require_same_organization(actor: Actor, thing: Owned, *, noun: str) -> None:
    """`NOT_FOUND` ("<noun> not found.") unless the thing is of the actor's organisation."""
    if isinstance(actor, SystemActor):
        return
    if thing.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"{noun} not found.")


def require_organization(
    actor: Actor, organization: Organization, *, noun: str = "Organisation"
) -> None:
    """`NOT_FOUND` ("<noun> not found.") unless the actor belongs to the organisation
    (for a change made to the organisation, or to be added to it)."""
    if isinstance(actor, SystemActor):
        return
    if organization.pk != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, f"{noun} not found.")


def require_on(
    actor: Actor,
    thing: Owned,
    action: Action,
    *,
    noun: str,
    channel_group: ChannelGroup | None = None,
) -> None:
    """The tenancy 404, then the policy's 403, in that order."""
    require_same_organization(actor, thing, noun=noun)
    require(actor, action, channel_group=channel_group)
