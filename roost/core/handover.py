"""What handing a leaver's work to a successor answers: one line per thing handed over.

Each app hands over its own work (`roost/<app>/handover.py`: a selector listing what a
person holds, and a service moving it); governance's offboarding calls them in turn and
keeps the lines as its report. Core holds only the shape they share.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization


@dataclass(frozen=True)
class HandoverLine:
    """One thing a person holds (before) or held and was handed over (after).

    `kind` names what it is ("post", "conversation", ...), `target_type`/`target_id`
    find it (a model's `label_lower` and key), `label` names it for people, `detail`
    says what happens or happened to it, and `review` says what someone should check
    (an empty string: nothing)."""

    kind: str
    target_type: str
    target_id: int
    label: str
    detail: str
    url: str = ""
    review: str = ""


def handover_check(*, actor: Actor, leaver: User, successor: User) -> None:
    """What every handover service checks first: both people are of the actor's
    organisation (else 404), the actor may offboard (else 403), and the successor is
    someone else who can take the work (else 422)."""
    require_same_organization(actor, leaver, noun="Person")
    require_same_organization(actor, successor, noun="Person")
    if successor.organization_id != leaver.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Person not found.", field="successor")
    require(actor, Action.PERSON_OFFBOARD)
    if successor.pk == leaver.pk:
        raise ApplicationError(
            ErrorCode.INVALID, "The successor must be someone else.", field="successor"
        )
    if not successor.is_active:
        raise ApplicationError(
            ErrorCode.INVALID, "The successor's account is deactivated.", field="successor"
        )
