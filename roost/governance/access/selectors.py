"""Reads of the access model: a person's grants, and who can do what on a channel group.

"Who can do what" is not a table kept by hand: it asks the permission policy
(`roost.core.permissions.can`) for every action scoped to a channel group, so the page
shows what the services would actually allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Membership, User
from roost.core.permissions import (
    POLICY,
    Action,
    Scope,
    can,
    grants_preload,
    grants_remembered,
    in_force_q,
    require,
)

# How an action group is called on the pages; an app not listed shows its own name.
GROUP_LABELS = {
    "core": "People and roles",
    "channels": "Channel",
    "publishing": "Publishing",
    "inbox": "Inbox",
}


def action_label(action: Action) -> str:
    """ "publishing.post.approve" reads "post approve"."""
    return " ".join(action.value.split(".")[1:]).replace("_", " ")


@dataclass(frozen=True)
class ActionGroup:
    key: str
    label: str
    actions: tuple[Action, ...]


def channel_action_groups() -> list[ActionGroup]:
    """The policy's channel-group actions, grouped by the app they belong to."""
    grouped: dict[str, list[Action]] = {}
    for action, rule in POLICY.items():
        if rule.scope is Scope.CHANNEL_GROUP:
            grouped.setdefault(action.value.split(".")[0], []).append(action)
    return [
        ActionGroup(key, GROUP_LABELS.get(key, key.replace("_", " ").capitalize()), tuple(acts))
        for key, acts in grouped.items()
    ]


def person_grants(*, viewer: User, person: User) -> QuerySet[Membership]:
    """Every grant the person holds, with who granted it and until when."""
    require(viewer, Action.ACCESS_VIEW)
    return (
        Membership.objects.filter(organization_id=viewer.organization_id, user=person)
        .select_related("channel_group", "granted_by")
        .order_by("channel_group__name", "role", "pk")
    )


@dataclass(frozen=True)
class AccessRow:
    person: User
    grants: list[Membership]  # those that reach the group: on it, or organisation-wide
    allowed: dict[str, list[Action]]  # action group key -> actions allowed

    @property
    def cells(self) -> list[list[str]]:
        """What the person may do, one list per action group, in the groups' order."""
        return [[action_label(a) for a in actions] for actions in self.allowed.values()]


@dataclass(frozen=True)
class GroupAccess:
    channel_group: ChannelGroup
    action_groups: list[ActionGroup]
    rows: list[AccessRow]

    def people_who(self, action: Action) -> list[User]:
        return [row.person for row in self.rows if action in row.allowed.get(_key(action), [])]


def _key(action: Action) -> str:
    return action.value.split(".")[0]


def group_access(*, viewer: User, channel_group: ChannelGroup) -> GroupAccess:
    """Everyone who can act on the channel group, and what each may do there."""
    require(viewer, Action.ACCESS_VIEW)
    if channel_group.organization_id != viewer.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Channel group not found.")
    return group_access_unchecked(channel_group=channel_group)


def group_access_unchecked(
    *, channel_group: ChannelGroup, grants: list[Membership] | None = None
) -> GroupAccess:
    """`group_access` for a caller that has checked the viewer already (the risk
    dashboard reads every group); `grants` may hold the organisation's grants in force."""
    now = timezone.now()
    if grants is None:
        grants = list(
            Membership.objects.filter(organization_id=channel_group.organization_id)
            .filter(Q(channel_group=channel_group) | Q(channel_group__isnull=True))
            .filter(in_force_q(now), user__is_active=True)
            .select_related("user", "channel_group", "granted_by")
            .order_by("user__name", "user_id", "role")
        )
    reaching = [
        g
        for g in grants
        if g.channel_group_id in (None, channel_group.pk)
        and g.user.is_active
        and (g.expires_at is None or g.expires_at > now)
    ]
    by_person: dict[int, list[Membership]] = {}
    people: dict[int, User] = {}
    for grant in reaching:
        by_person.setdefault(grant.user_id, []).append(grant)
        people[grant.user_id] = grant.user
    groups = channel_action_groups()
    rows = []
    with grants_remembered():
        grants_preload(people.values())
        for user_id, person in sorted(people.items(), key=lambda item: (item[1].name, item[0])):
            allowed = {
                group.key: [a for a in group.actions if can(person, a, channel_group=channel_group)]
                for group in groups
            }
            rows.append(AccessRow(person=person, grants=by_person[user_id], allowed=allowed))
    return GroupAccess(channel_group=channel_group, action_groups=groups, rows=rows)
