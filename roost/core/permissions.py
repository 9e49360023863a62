"""The permission policy: one table, one function, called by every service.

An action has a scope:
- `member`: any grant in the organisation lets the role act (reading the basics);
- `organization`: only grants on the whole organisation count (running the org);
- `channel_group`: a grant on that channel group, or on the whole organisation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Membership, Role, User


class Scope(enum.Enum):
    MEMBER = "member"
    ORGANIZATION = "organization"
    CHANNEL_GROUP = "channel_group"


class Action(enum.StrEnum):
    ORG_VIEW = "core.org.view"
    ORG_UPDATE = "core.org.update"
    PEOPLE_VIEW = "core.people.view"
    USER_INVITE = "core.user.invite"
    USER_DEACTIVATE = "core.user.deactivate"
    MEMBERSHIP_GRANT = "core.membership.grant"
    MEMBERSHIP_REVOKE = "core.membership.revoke"
    TEAM_MANAGE = "core.team.manage"
    STRUCTURE_MANAGE = "core.structure.manage"
    AUDIT_VIEW = "core.audit.view"
    AUDIT_EXPORT = "core.audit.export"
    CATALOGUE_VIEW = "catalogue.view"
    API_TOKEN_CREATE = "api.token.create"
    CHANNEL_VIEW = "channels.channel.view"
    CHANNEL_MANAGE = "channels.channel.manage"
    CHANNEL_HEALTH_VIEW = "channels.health.view"
    CHANNEL_WEBHOOK_MANAGE = "channels.webhook.manage"
    MEDIA_EDIT = "media.asset.edit"
    POST_VIEW = "publishing.post.view"
    POST_EDIT = "publishing.post.edit"
    POST_APPROVE = "publishing.post.approve"
    WORKFLOW_MANAGE = "publishing.workflow.manage"
    CAMPAIGN_MANAGE = "publishing.campaign.manage"
    PUBLISHING_PAUSE = "publishing.pause"
    COMPLIANCE_MANAGE = "publishing.compliance.manage"
    INBOX_VIEW = "inbox.conversation.view"
    INBOX_HANDLE = "inbox.conversation.handle"
    INBOX_CONFIGURE = "inbox.settings.configure"
    INBOX_REPORT_VIEW = "inbox.report.view"


ALL = frozenset(Role)
LEADS = frozenset({Role.ADMIN, Role.MANAGER})


@dataclass(frozen=True)
class Rule:
    scope: Scope
    roles: frozenset[Role]


POLICY: dict[Action, Rule] = {
    Action.ORG_VIEW: Rule(Scope.MEMBER, ALL),
    Action.ORG_UPDATE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.PEOPLE_VIEW: Rule(Scope.MEMBER, ALL),
    Action.USER_INVITE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.USER_DEACTIVATE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.MEMBERSHIP_GRANT: Rule(Scope.CHANNEL_GROUP, frozenset({Role.ADMIN})),
    Action.MEMBERSHIP_REVOKE: Rule(Scope.CHANNEL_GROUP, frozenset({Role.ADMIN})),
    Action.TEAM_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
    Action.STRUCTURE_MANAGE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.AUDIT_VIEW: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN, Role.MANAGER})),
    Action.AUDIT_EXPORT: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.CATALOGUE_VIEW: Rule(Scope.MEMBER, ALL),
    Action.API_TOKEN_CREATE: Rule(Scope.MEMBER, ALL),
    Action.CHANNEL_VIEW: Rule(Scope.CHANNEL_GROUP, ALL),
    Action.CHANNEL_MANAGE: Rule(Scope.CHANNEL_GROUP, LEADS),
    Action.CHANNEL_HEALTH_VIEW: Rule(Scope.CHANNEL_GROUP, LEADS),
    Action.CHANNEL_WEBHOOK_MANAGE: Rule(Scope.CHANNEL_GROUP, frozenset({Role.ADMIN})),
    # The library is the organisation's; whoever may write posts anywhere in it may add
    # to it and describe its items.
    Action.MEDIA_EDIT: Rule(Scope.MEMBER, LEADS | {Role.PUBLISHER}),
    Action.POST_VIEW: Rule(Scope.CHANNEL_GROUP, ALL),
    Action.POST_EDIT: Rule(Scope.CHANNEL_GROUP, LEADS | {Role.PUBLISHER}),
    Action.POST_APPROVE: Rule(Scope.CHANNEL_GROUP, LEADS | {Role.APPROVER}),
    Action.WORKFLOW_MANAGE: Rule(Scope.CHANNEL_GROUP, LEADS),
    Action.CAMPAIGN_MANAGE: Rule(Scope.ORGANIZATION, LEADS | {Role.PUBLISHER}),
    Action.PUBLISHING_PAUSE: Rule(Scope.ORGANIZATION, LEADS),
    Action.COMPLIANCE_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
    Action.INBOX_VIEW: Rule(Scope.CHANNEL_GROUP, ALL),
    Action.INBOX_HANDLE: Rule(Scope.CHANNEL_GROUP, LEADS | {Role.COMMUNITY_MANAGER}),
    Action.INBOX_CONFIGURE: Rule(Scope.ORGANIZATION, LEADS),
    Action.INBOX_REPORT_VIEW: Rule(Scope.CHANNEL_GROUP, LEADS | {Role.ANALYST}),
}


def roles_of(user: User, *, channel_group: ChannelGroup | None = None) -> set[Role]:
    """The roles a person holds on a channel group (None: on the whole organisation)."""
    grants = Membership.objects.filter(organization_id=user.organization_id, user=user)
    if channel_group is None:
        grants = grants.filter(channel_group__isnull=True)
    else:
        grants = grants.filter(channel_group__isnull=True) | grants.filter(
            channel_group=channel_group
        )
    return {Role(role) for role in grants.values_list("role", flat=True)}


def can(user: User, action: Action, *, channel_group: ChannelGroup | None = None) -> bool:
    """Whether the person may take the action (on the channel group, when it has one)."""
    if not user.is_active or user.pk is None:
        return False
    rule = POLICY[action]
    if channel_group is not None and channel_group.organization_id != user.organization_id:
        return False
    if rule.scope is Scope.MEMBER:
        held = {
            Role(role)
            for role in Membership.objects.filter(
                organization_id=user.organization_id, user=user
            ).values_list("role", flat=True)
        }
    elif rule.scope is Scope.ORGANIZATION:
        held = roles_of(user)
    else:
        held = roles_of(user, channel_group=channel_group)
    return bool(held & rule.roles)


def require(user: User, action: Action, *, channel_group: ChannelGroup | None = None) -> None:
    """Raise `ApplicationError(PERMISSION_DENIED)` unless `can(...)`."""
    if not can(user, action, channel_group=channel_group):
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED,
            f"Your roles do not allow this ({action.value}).",
        )


def is_admin(user: User) -> bool:
    return Membership.objects.filter(
        organization_id=user.organization_id, user=user, role=Role.ADMIN
    ).exists()


def primary_role(user: User) -> Role | None:
    """The most powerful role a person holds anywhere, for display."""
    held = set(
        Membership.objects.filter(user=user, organization_id=user.organization_id).values_list(
            "role", flat=True
        )
    )
    for role in Role:
        if role.value in held:
            return role
    return None


def channel_group_ids_allowed(user: User, action: Action) -> set[int] | None:
    """The channel groups where the person may take a channel-group action.

    None means every group of the organisation (an organisation-wide grant).
    """
    rule = POLICY[action]
    if not user.is_active:
        return set()
    grants = Membership.objects.filter(
        organization_id=user.organization_id, user=user, role__in=[r.value for r in rule.roles]
    ).values_list("channel_group_id", flat=True)
    group_ids = set(grants)
    if None in group_ids:
        return None
    return {gid for gid in group_ids if gid is not None}
