"""Reads of tenant data. Every query is scoped to the viewer's organisation."""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from roost.core.audit import SYSTEM_ACTOR
from roost.core.models import AuditEvent, Brand, ChannelGroup, Membership, Team, User
from roost.core.permissions import Action, require


def user_list(*, viewer: User) -> QuerySet[User]:
    require(viewer, Action.PEOPLE_VIEW)
    return User.objects.filter(organization_id=viewer.organization_id).order_by("name", "pk")


def user_get(*, viewer: User, user_id: int) -> User:
    return get_object_or_404(user_list(viewer=viewer), pk=user_id)


def membership_list(*, viewer: User, user: User | None = None) -> QuerySet[Membership]:
    require(viewer, Action.PEOPLE_VIEW)
    memberships = Membership.objects.filter(organization_id=viewer.organization_id).select_related(
        "user", "channel_group", "granted_by"
    )
    if user is not None:
        memberships = memberships.filter(user=user)
    return memberships.order_by("user__name", "role", "pk")


def membership_get(*, viewer: User, membership_id: int) -> Membership:
    return get_object_or_404(membership_list(viewer=viewer), pk=membership_id)


def team_list(*, viewer: User) -> QuerySet[Team]:
    require(viewer, Action.PEOPLE_VIEW)
    return (
        Team.objects.filter(organization_id=viewer.organization_id)
        .prefetch_related("members")
        .order_by("name")
    )


def team_get(*, viewer: User, team_id: int) -> Team:
    return get_object_or_404(team_list(viewer=viewer), pk=team_id)


def brand_list(*, viewer: User) -> QuerySet[Brand]:
    require(viewer, Action.ORG_VIEW)
    return Brand.objects.filter(organization_id=viewer.organization_id).order_by("name")


def brand_get(*, viewer: User, brand_id: int) -> Brand:
    return get_object_or_404(brand_list(viewer=viewer), pk=brand_id)


def channel_group_list(*, viewer: User) -> QuerySet[ChannelGroup]:
    require(viewer, Action.ORG_VIEW)
    return (
        ChannelGroup.objects.filter(organization_id=viewer.organization_id)
        .select_related("brand")
        .order_by("name")
    )


def channel_group_get(*, viewer: User, channel_group_id: int) -> ChannelGroup:
    return get_object_or_404(channel_group_list(viewer=viewer), pk=channel_group_id)


class AuditActors(enum.StrEnum):
    """Whose events: people's (anything a person did or tried, signed in or not), the
    system's (jobs, connectors, the credential use summaries), or both."""

    PEOPLE = "people"
    SYSTEM = "system"
    ALL = "all"


@dataclass(frozen=True)
class AuditFilter:
    actors: AuditActors = AuditActors.ALL
    q: str = ""
    actor: str = ""
    action: str = ""
    target: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def audit_event_list(*, viewer: User, filters: AuditFilter | None = None) -> QuerySet[AuditEvent]:
    """Audit events of the viewer's organisation, newest first, narrowed by the filters.

    `actors` keeps people's events or the system's, `actor` matches the actor's e-mail
    or label, `action` is a prefix
    (`core.member` finds every membership event), `target` matches the type,
    id or label, and the dates are inclusive days in UTC. `q` is free text, found
    anywhere in the action, the actor, the target or the details (before and after).
    """
    require(viewer, Action.AUDIT_VIEW)
    events = AuditEvent.objects.filter(organization_id=viewer.organization_id)
    f = filters or AuditFilter()
    if f.q:
        events = events.alias(
            before_text=Cast("before", TextField()), after_text=Cast("after", TextField())
        )
    by_system = Q(actor_id__isnull=True, actor_label=SYSTEM_ACTOR)
    if f.actors == AuditActors.PEOPLE:
        events = events.exclude(by_system)
    elif f.actors == AuditActors.SYSTEM:
        events = events.filter(by_system)
    if f.q:
        events = events.filter(_audit_text_matches(f.q))
    if f.actor:
        events = events.filter(actor_label__icontains=f.actor)
    if f.action:
        events = events.filter(action__startswith=f.action)
    if f.target:
        events = (
            events.filter(target_label__icontains=f.target)
            | events.filter(target_type=f.target)
            | events.filter(target_id=f.target)
        )
    if f.since:
        events = events.filter(occurred_at__gte=dt.datetime.combine(f.since, dt.time(), dt.UTC))
    if f.until:
        events = events.filter(
            occurred_at__lt=dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        )
    return events.order_by("-sequence")


def _audit_text_matches(text: str) -> Q:
    """Events holding `text` in any of their words: action, actor, target and details."""
    match = (
        Q(action__icontains=text)
        | Q(actor_label__icontains=text)
        | Q(target_type__icontains=text)
        | Q(target_id=text)
        | Q(target_label__icontains=text)
        | Q(before_text__icontains=text)
        | Q(after_text__icontains=text)
    )
    # Details are JSON: where the database keeps them as written (SQLite), text beyond
    # ASCII or with quotes is stored escaped, so look for the escaped form as well.
    escaped = json.dumps(text)[1:-1]
    if escaped != text:
        match |= Q(before_text__icontains=escaped) | Q(after_text__icontains=escaped)
    return match


def audit_event_get(*, viewer: User, event_id: int) -> AuditEvent:
    return get_object_or_404(audit_event_list(viewer=viewer), pk=event_id)
