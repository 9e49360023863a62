"""Reads of the inbox settings (routing rules, SLA policies), scoped to the viewer's
organisation. Any member may read them; changing them needs `INBOX_CONFIGURE`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from roost.channels.models import Channel
from roost.core.models import Brand, Team, User
from roost.core.permissions import Action, require
from roost.inbox.models import ModerationRule, RoutingRule, SlaPolicy


def routing_rule_list(*, viewer: User) -> QuerySet[RoutingRule]:
    """In the order they are tried."""
    require(viewer, Action.ORG_VIEW)
    return (
        RoutingRule.objects.filter(organization_id=viewer.organization_id)
        .select_related("channel", "brand", "team", "fallback_team")
        .order_by("position", "pk")
    )


def routing_rule_get(*, viewer: User, rule_id: int) -> RoutingRule:
    return get_object_or_404(routing_rule_list(viewer=viewer), pk=rule_id)


def moderation_rule_list(*, viewer: User) -> QuerySet[ModerationRule]:
    """The organisation's moderation rules, with their channels, by name."""
    require(viewer, Action.ORG_VIEW)
    return (
        ModerationRule.objects.filter(organization_id=viewer.organization_id)
        .prefetch_related("channels")
        .order_by("name", "pk")
    )


def moderation_rule_get(*, viewer: User, rule_id: int) -> ModerationRule:
    return get_object_or_404(moderation_rule_list(viewer=viewer), pk=rule_id)


def sla_policy_list(*, viewer: User) -> QuerySet[SlaPolicy]:
    require(viewer, Action.ORG_VIEW)
    return (
        SlaPolicy.objects.filter(organization_id=viewer.organization_id)
        .select_related("channel")
        .order_by("name", "pk")
    )


def sla_policy_get(*, viewer: User, policy_id: int) -> SlaPolicy:
    return get_object_or_404(sla_policy_list(viewer=viewer), pk=policy_id)


def settings_channels(*, viewer: User) -> QuerySet[Channel]:
    """The organisation's channels a rule or policy may name."""
    require(viewer, Action.ORG_VIEW)
    return Channel.objects.filter(organization_id=viewer.organization_id).order_by(
        "network", "handle", "pk"
    )


def settings_brands(*, viewer: User) -> QuerySet[Brand]:
    require(viewer, Action.ORG_VIEW)
    return Brand.objects.filter(organization_id=viewer.organization_id).order_by("name")


def settings_teams(*, viewer: User) -> QuerySet[Team]:
    require(viewer, Action.ORG_VIEW)
    return Team.objects.filter(organization_id=viewer.organization_id).order_by("name")
