"""The permission policy: one table, one function, called by every service.

An action has a scope:
- `member`: any grant in the organisation lets the role act (reading the basics);
- `organization`: only grants on the whole organisation count (running the org);
- `channel_group`: a grant on that channel group, or on the whole organisation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from roost.core.actors import Actor, SystemActor
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
    SIGNIN_POLICY_MANAGE = "core.signin_policy.manage"
    CATALOGUE_VIEW = "catalogue.view"
    LISTENING_VIEW = "listening.monitor.view"
    MONITOR_MANAGE = "listening.monitor.manage"
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
    CLASSIFIER_CONFIGURE = "inbox.classifier.configure"
    INCIDENT_VIEW = "crisis.incident.view"
    INCIDENT_MANAGE = "crisis.incident.manage"
    CRISIS_MODE = "crisis.mode"
    PLAYBOOK_MANAGE = "crisis.playbook.manage"
    ONCALL_VIEW = "oncall.schedule.view"
    SCHEDULE_MANAGE = "oncall.schedule.manage"
    PAGE_VIEW = "oncall.page.view"
    PAGE_RAISE = "oncall.page.raise"
    PAGE_RESPOND = "oncall.page.respond"
    ESCALATION_MANAGE = "oncall.escalation.manage"
    ACCESS_VIEW = "governance.access.view"
    ACCESS_MANAGE = "governance.access.manage"
    RISK_VIEW = "governance.risk.view"
    PERSON_OFFBOARD = "governance.person.offboard"
    ACCESS_REVIEW_RUN = "governance.review.run"
    ACCESS_REVIEW_ATTEST = "governance.review.attest"
    ANALYTICS_VIEW = "analytics.dashboard.view"
    ANALYTICS_CONFIGURE = "analytics.settings.configure"
    REPORT_MANAGE = "analytics.report.manage"
    COMPETITOR_MANAGE = "analytics.competitor.manage"


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
    Action.SIGNIN_POLICY_MANAGE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.CATALOGUE_VIEW: Rule(Scope.MEMBER, ALL),
    # Monitors read public posts and the organisation's own inbox about its brands.
    Action.LISTENING_VIEW: Rule(Scope.MEMBER, ALL),
    Action.MONITOR_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
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
    # Choosing an endpoint decides whether customers' messages leave the machine.
    Action.CLASSIFIER_CONFIGURE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    # Everyone sees an incident (it leads their Today); the front line may open and run one.
    Action.INCIDENT_VIEW: Rule(Scope.MEMBER, ALL),
    Action.INCIDENT_MANAGE: Rule(Scope.MEMBER, LEADS | {Role.COMMUNITY_MANAGER}),
    # Crisis mode pauses publishing: whoever may pause it, on the whole organisation.
    Action.CRISIS_MODE: Rule(Scope.ORGANIZATION, LEADS),
    Action.PLAYBOOK_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
    # Everyone sees who is on call; leads shape the rotations. A person may still hand
    # over or swap their own shifts and record their own time off (oncall/schedules).
    Action.ONCALL_VIEW: Rule(Scope.MEMBER, ALL),
    Action.SCHEDULE_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
    # Anyone may be on call, so anyone sees pages and answers them; raising one by hand
    # wakes people up, so it belongs to those who run incidents.
    Action.PAGE_VIEW: Rule(Scope.MEMBER, ALL),
    Action.PAGE_RAISE: Rule(Scope.MEMBER, LEADS | {Role.COMMUNITY_MANAGER}),
    Action.PAGE_RESPOND: Rule(Scope.MEMBER, ALL),
    Action.ESCALATION_MANAGE: Rule(Scope.ORGANIZATION, LEADS),
    # Who holds what, granted by whom, until when: leads read it; only admins change it
    # in bulk (each grant and revoke still passes MEMBERSHIP_GRANT / _REVOKE on its group).
    Action.ACCESS_VIEW: Rule(Scope.ORGANIZATION, LEADS),
    Action.ACCESS_MANAGE: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    # The risk dashboard names weak spots (no second factor, dormant accounts): admins only.
    Action.RISK_VIEW: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    # Offboarding ends a person's access and moves all of their work: the organisation's.
    Action.PERSON_OFFBOARD: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    # Admins start and close access reviews; a channel group's managers attest its grants.
    Action.ACCESS_REVIEW_RUN: Rule(Scope.ORGANIZATION, frozenset({Role.ADMIN})),
    Action.ACCESS_REVIEW_ATTEST: Rule(Scope.CHANNEL_GROUP, LEADS),
    # Everyone sees the figures of the channels they can see; leads choose the
    # definitions; leads and analysts send reports and track competitors.
    Action.ANALYTICS_VIEW: Rule(Scope.CHANNEL_GROUP, ALL),
    Action.ANALYTICS_CONFIGURE: Rule(Scope.ORGANIZATION, LEADS),
    Action.REPORT_MANAGE: Rule(Scope.ORGANIZATION, LEADS | {Role.ANALYST}),
    Action.COMPETITOR_MANAGE: Rule(Scope.ORGANIZATION, LEADS | {Role.ANALYST}),
}


# A person's grants, read once per request.
#
# Within a request (the middleware opens `grants_remembered()`), the first check on a
# person reads all of their grants in one query and later checks reuse them; a page that
# checks twelve approvers loads them together with `grants_preload`. Outside a request
# every check reads the database. A service that changes grants calls `grants_forget`.

Grant = tuple[Role, int | None]  # (role, channel group id; None: the whole organisation)

_remembered: ContextVar[dict[int, frozenset[Grant]] | None] = ContextVar(
    "roost_grants", default=None
)


@contextlib.contextmanager
def grants_remembered() -> Iterator[None]:
    """Remember grants until the block ends (nested blocks share the outer memory)."""
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def _read(user_ids: Iterable[int], organization_id: int) -> dict[int, frozenset[Grant]]:
    found: dict[int, set[Grant]] = {user_id: set() for user_id in user_ids}
    rows = (
        Membership.objects.filter(organization_id=organization_id, user_id__in=list(found))
        .filter(in_force_q())
        .values_list("user_id", "role", "channel_group_id")
    )
    for user_id, role, group_id in rows:
        found[user_id].add((Role(role), group_id))
    return {user_id: frozenset(grants) for user_id, grants in found.items()}


def in_force_q(now: dt.datetime | None = None, *, through: str = "") -> Q:
    """Grants that count now: a time-limited grant stops counting the moment it expires,
    whether or not the expiry job has revoked it yet. `through` reaches the grants from
    another model ("memberships__" from User); use it in the same `filter()` call as the
    other conditions on the grant, so that they hold for one and the same grant."""
    return Q(**{f"{through}expires_at__isnull": True}) | Q(
        **{f"{through}expires_at__gt": now or timezone.now()}
    )


def grants_preload(users: Iterable[User]) -> None:
    """Read the grants of many people of one organisation in one query (inside
    `grants_remembered()`; outside it there is nothing to keep them in)."""
    memory = _remembered.get()
    if memory is None:
        return
    by_org: dict[int, list[int]] = {}
    for user in users:
        if user.pk is not None and user.pk not in memory:
            by_org.setdefault(user.organization_id, []).append(user.pk)
    for organization_id, user_ids in by_org.items():
        memory.update(_read(user_ids, organization_id))


def grants_forget(user: User) -> None:
    """Drop what is remembered of a person's grants (after granting or revoking)."""
    memory = _remembered.get()
    if memory is not None:
        memory.pop(user.pk, None)


def grants_of(user: User) -> frozenset[Grant]:
    """Every grant the person holds in their organisation."""
    memory = _remembered.get()
    if memory is not None and user.pk in memory:
        return memory[user.pk]
    grants = _read([user.pk], user.organization_id)[user.pk]
    if memory is not None:
        memory[user.pk] = grants
    return grants


def roles_of(user: User, *, channel_group: ChannelGroup | None = None) -> set[Role]:
    """The roles a person holds on a channel group (None: on the whole organisation)."""
    group_id = channel_group.pk if channel_group is not None else None
    return {
        role
        for role, held_on in grants_of(user)
        if held_on is None or (group_id is not None and held_on == group_id)
    }


def can(actor: Actor, action: Action, *, channel_group: ChannelGroup | None = None) -> bool:
    """Whether the actor may take the action (on the channel group, when it has one).

    `SYSTEM` may: Roost's own work is bounded by what it is asked to do, not by roles."""
    if isinstance(actor, SystemActor):
        return True
    user = actor
    if not user.is_active or user.pk is None:
        return False
    rule = POLICY[action]
    if channel_group is not None and channel_group.organization_id != user.organization_id:
        return False
    if rule.scope is Scope.MEMBER:
        held = {role for role, _ in grants_of(user)}
    elif rule.scope is Scope.ORGANIZATION:
        held = roles_of(user)
    else:
        held = roles_of(user, channel_group=channel_group)
    return bool(held & rule.roles)


def can_somewhere(actor: Actor, action: Action) -> bool:
    """Whether the actor may take the action somewhere: for a channel-group action, on
    the whole organisation or on at least one channel group (a page listing what the
    person may act on opens for them); otherwise as `can`."""
    if isinstance(actor, SystemActor):
        return True
    if POLICY[action].scope is not Scope.CHANNEL_GROUP:
        return can(actor, action)
    allowed = channel_group_ids_allowed(actor, action)
    return allowed is None or bool(allowed)


def require(actor: Actor, action: Action, *, channel_group: ChannelGroup | None = None) -> None:
    """Raise `ApplicationError(PERMISSION_DENIED)` unless `can(...)`."""
    if not can(actor, action, channel_group=channel_group):
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED,
            f"Your roles do not allow this ({action.value}).",
        )


def is_admin(user: User) -> bool:
    return any(role is Role.ADMIN for role, _ in grants_of(user))


def primary_role(user: User) -> Role | None:
    """The most powerful role a person holds anywhere, for display."""
    held = {role for role, _ in grants_of(user)}
    for role in Role:
        if role in held:
            return role
    return None


def channel_group_ids_allowed(user: User, action: Action) -> set[int] | None:
    """The channel groups where the person may take a channel-group action.

    None means every group of the organisation (an organisation-wide grant).
    """
    rule = POLICY[action]
    if not user.is_active:
        return set()
    group_ids = {group_id for role, group_id in grants_of(user) if role in rule.roles}
    if None in group_ids:
        return None
    return {gid for gid in group_ids if gid is not None}
