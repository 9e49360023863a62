"""Grant and revoke a role in bulk: many people, many channel groups, one decision.

A bulk change is first planned (`access_bulk_preview`): every (person, scope) pair gets
an outcome (added, already held, removed, not held, refused with a reason) without
changing anything. Applying it (`access_bulk_grant` / `access_bulk_revoke`) plans again
against the data as it is then, and makes each change through core's
`membership_grant` / `membership_revoke`, so each grant and revoke is checked against
the policy and audited on its own, in one transaction with a summary event.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from roost.core import audit, services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Membership, Role, User
from roost.core.permissions import Action, can, in_force_q, require

# One decision should fit on one screen of review; more is a sign of a wrong selection.
MOST_PEOPLE = 500
MOST_CHANNEL_GROUPS = 500
MOST_PAIRS = 5000  # people x scopes: each is a row of the preview


class BulkOperation(enum.StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"


class Outcome(enum.StrEnum):
    ADD = "add"
    EXISTS = "exists"
    REMOVE = "remove"
    ABSENT = "absent"
    REFUSED = "refused"


OUTCOME_LABELS = {
    Outcome.ADD: "will be granted",
    Outcome.EXISTS: "already held",
    Outcome.REMOVE: "will be revoked",
    Outcome.ABSENT: "not held",
    Outcome.REFUSED: "refused",
}


@dataclass
class BulkItem:
    person: User
    channel_group: ChannelGroup | None  # None: the whole organisation
    outcome: Outcome
    reason: str = ""
    membership: Membership | None = None

    @property
    def scope_label(self) -> str:
        return self.channel_group.name if self.channel_group else "Whole organisation"

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class BulkPlan:
    operation: BulkOperation
    role: Role
    expires_at: dt.datetime | None
    items: list[BulkItem] = field(default_factory=list)
    applied: bool = False

    def of(self, outcome: Outcome) -> list[BulkItem]:
        return [item for item in self.items if item.outcome is outcome]

    @property
    def counts(self) -> dict[str, int]:
        return {outcome.value: len(self.of(outcome)) for outcome in Outcome}

    @property
    def preview_summary(self) -> str:
        """ "3 to add, 1 already held, 0 refused", before it is applied."""
        c = self.counts
        if self.operation is BulkOperation.GRANT:
            return f"{c['add']} to add, {c['exists']} already held, {c['refused']} refused"
        return f"{c['remove']} to revoke, {c['absent']} not held, {c['refused']} refused"

    @property
    def changes(self) -> list[BulkItem]:
        return [i for i in self.items if i.outcome in (Outcome.ADD, Outcome.REMOVE)]


def access_targets(
    *,
    actor: User,
    user_ids: Sequence[int],
    channel_group_ids: Sequence[int],
    whole_organization: bool = False,
) -> tuple[list[User], list[ChannelGroup | None]]:
    """The people and scopes a bulk change names, all of the actor's organisation.

    An id that names nothing, or something of another organisation, is refused by
    number (the same answer for both: another organisation's ids are not revealed)."""
    people_ids = list(dict.fromkeys(user_ids))
    group_ids = list(dict.fromkeys(channel_group_ids))
    if not people_ids:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one person.", field="people")
    if not group_ids and not whole_organization:
        raise ApplicationError(
            ErrorCode.INVALID,
            "Choose at least one channel group, or the whole organisation.",
            field="channel_groups",
        )
    if len(people_ids) > MOST_PEOPLE or len(group_ids) > MOST_CHANNEL_GROUPS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"At most {MOST_PEOPLE} people and {MOST_CHANNEL_GROUPS} channel groups at once.",
        )
    people = {
        u.pk: u
        for u in User.objects.filter(organization_id=actor.organization_id, pk__in=people_ids)
    }
    missing = [pk for pk in people_ids if pk not in people]
    if missing:
        raise ApplicationError(
            ErrorCode.NOT_FOUND,
            f"No such person: {', '.join(map(str, missing))}.",
            field="people",
        )
    groups = {
        g.pk: g
        for g in ChannelGroup.objects.filter(
            organization_id=actor.organization_id, pk__in=group_ids
        )
    }
    missing = [pk for pk in group_ids if pk not in groups]
    if missing:
        raise ApplicationError(
            ErrorCode.NOT_FOUND,
            f"No such channel group: {', '.join(map(str, missing))}.",
            field="channel_groups",
        )
    scopes: list[ChannelGroup | None] = [None] if whole_organization else []
    scopes += [groups[pk] for pk in group_ids]
    return [people[pk] for pk in people_ids], scopes


def _org_admins_in_force(organization_id: int) -> set[int]:
    return set(
        Membership.objects.filter(
            organization_id=organization_id,
            role=Role.ADMIN,
            channel_group__isnull=True,
            user__is_active=True,
        )
        .filter(in_force_q())
        .values_list("pk", flat=True)
    )


def _check_same_organization(
    actor: User, people: Sequence[User], scopes: Sequence[ChannelGroup | None]
) -> None:
    if any(p.organization_id != actor.organization_id for p in people) or any(
        g is not None and g.organization_id != actor.organization_id for g in scopes
    ):
        raise ApplicationError(ErrorCode.NOT_FOUND, "Person or channel group not found.")


def access_bulk_preview(
    *,
    actor: User,
    operation: BulkOperation | str,
    people: Sequence[User],
    role: Role | str,
    scopes: Sequence[ChannelGroup | None],
    expires_at: dt.datetime | None = None,
) -> BulkPlan:
    """What the bulk change would do, pair by pair; changes nothing."""
    require(actor, Action.ACCESS_MANAGE)
    _check_same_organization(actor, people, scopes)
    if len(people) * len(scopes) > MOST_PAIRS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"At most {MOST_PAIRS} changes at once; choose fewer people or channel groups.",
        )
    try:
        operation = BulkOperation(operation)
    except ValueError as exc:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose grant or revoke.", field="operation"
        ) from exc
    try:
        role = Role(role)
    except ValueError as exc:
        raise ApplicationError(ErrorCode.INVALID, f"Unknown role {role!r}.", field="role") from exc
    if operation is BulkOperation.REVOKE and expires_at is not None:
        raise ApplicationError(
            ErrorCode.INVALID, "An expiry applies to grants only.", field="expires_at"
        )
    services.membership_expiry_check(expires_at)
    held = {
        (m.user_id, m.channel_group_id): m
        for m in Membership.objects.filter(
            organization_id=actor.organization_id,
            role=role,
            user__in=[p.pk for p in people],
        ).select_related("channel_group")
    }
    plan = BulkPlan(operation=operation, role=role, expires_at=expires_at)
    admins_left = _org_admins_in_force(actor.organization_id)
    for person in people:
        for group in scopes:
            existing = held.get((person.pk, group.pk if group else None))
            item = BulkItem(person=person, channel_group=group, outcome=Outcome.ADD)
            item.membership = existing
            if operation is BulkOperation.GRANT:
                if existing is not None:
                    item.outcome = Outcome.EXISTS
                elif not can(actor, Action.MEMBERSHIP_GRANT, channel_group=group):
                    item.outcome, item.reason = Outcome.REFUSED, "your roles do not allow it"
                elif not person.is_active:
                    item.outcome, item.reason = Outcome.REFUSED, "the person is deactivated"
            elif existing is None:
                item.outcome = Outcome.ABSENT
            elif not can(actor, Action.MEMBERSHIP_REVOKE, channel_group=group):
                item.outcome, item.reason = Outcome.REFUSED, "your roles do not allow it"
            elif existing.pk in admins_left and admins_left == {existing.pk}:
                item.outcome = Outcome.REFUSED
                item.reason = "the organisation's last admin"
            else:
                item.outcome = Outcome.REMOVE
                admins_left.discard(existing.pk)
            plan.items.append(item)
    return plan


def _apply(*, actor: User, plan: BulkPlan) -> BulkPlan:
    with transaction.atomic():
        for item in plan.changes:
            try:
                if item.outcome is Outcome.ADD:
                    item.membership = services.membership_grant(
                        actor=actor,
                        user=item.person,
                        role=plan.role,
                        channel_group=item.channel_group,
                        expires_at=plan.expires_at,
                    )
                else:
                    assert item.membership is not None
                    services.membership_revoke(actor=actor, membership=item.membership)
            except ApplicationError as error:
                # Changed since the plan was read (granted or revoked meanwhile).
                item.outcome, item.reason = Outcome.REFUSED, error.message
        if not any(i.outcome in (Outcome.ADD, Outcome.REMOVE) for i in plan.items):
            plan.applied = True
            return plan
        audit.record(
            organization=actor.organization,
            actor=actor,
            action=f"governance.access.bulk_{plan.operation.value}ed",
            target_label=f"{plan.role.label} on {len({i.scope_label for i in plan.items})} scopes",
            after={
                "role": plan.role.value,
                "expires_at": plan.expires_at.isoformat() if plan.expires_at else None,
                "counts": plan.counts,
                "changed": [
                    {"user": i.person.email, "scope": i.scope_label, "outcome": i.outcome.value}
                    for i in plan.items
                    if i.outcome in (Outcome.ADD, Outcome.REMOVE)
                ],
            },
        )
    plan.applied = True
    return plan


def access_bulk_grant(
    *,
    actor: User,
    people: Sequence[User],
    role: Role | str,
    scopes: Sequence[ChannelGroup | None],
    expires_at: dt.datetime | None = None,
) -> BulkPlan:
    """Grant the role to every person on every scope not held yet; answers the plan as
    applied (what was added, what was held already, what was refused and why)."""
    plan = access_bulk_preview(
        actor=actor,
        operation=BulkOperation.GRANT,
        people=people,
        role=role,
        scopes=scopes,
        expires_at=expires_at,
    )
    return _apply(actor=actor, plan=plan)


def access_bulk_revoke(
    *,
    actor: User,
    people: Sequence[User],
    role: Role | str,
    scopes: Sequence[ChannelGroup | None],
) -> BulkPlan:
    """Revoke the role from every person on every scope where they hold it; the last
    organisation-wide admin is kept (refused)."""
    plan = access_bulk_preview(
        actor=actor, operation=BulkOperation.REVOKE, people=people, role=role, scopes=scopes
    )
    return _apply(actor=actor, plan=plan)
