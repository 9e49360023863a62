"""Who reviews a grant.

A grant on a channel group goes to the people holding the manager role on that group;
if it has none, to the organisation-wide managers; if there are none, to the
organisation's admins. Nobody reviews their own grant: the person is left out at every
step, so a manager's own grant falls through to the next step (usually the admins).
A grant on the whole organisation starts at the organisation-wide managers.

Only active people review. Computed once for the whole campaign from one read of the
organisation's manager and admin grants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from roost.core.models import Membership, Organization, Role


@dataclass
class Reviewers:
    """The organisation's possible reviewers, by step."""

    group_managers: dict[int, list[int]] = field(default_factory=dict)
    organization_managers: list[int] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)

    def for_grant(self, *, person_id: int, channel_group_id: int | None) -> list[int]:
        steps: Sequence[list[int]] = (
            self.group_managers.get(channel_group_id, []) if channel_group_id else [],
            self.organization_managers,
            self.admins,
        )
        for step in steps:
            chosen = [user_id for user_id in step if user_id != person_id]
            if chosen:
                return chosen
        return []


def reviewers_of(organization: Organization) -> Reviewers:
    """The managers of each channel group, the organisation's managers and its admins."""
    rows = (
        Membership.objects.filter(
            organization=organization,
            user__is_active=True,
            role__in=[Role.MANAGER, Role.ADMIN],
        )
        .order_by("user__name", "user_id")
        .values_list("user_id", "role", "channel_group_id")
    )
    found = Reviewers()
    by_group: dict[int, list[int]] = defaultdict(list)
    for user_id, role, group_id in rows:
        if role == Role.MANAGER and group_id is not None:
            by_group[group_id].append(user_id)
        elif role == Role.MANAGER:
            found.organization_managers.append(user_id)
        elif group_id is None:
            found.admins.append(user_id)
    found.group_managers = dict(by_group)
    return found
