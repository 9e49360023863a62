"""Find the organisation's access risks. Each finder answers rows that name what is
wrong and link to the page that fixes it; thresholds are named here, once."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.channels.models import Channel, ChannelStatus, Credential
from roost.core.models import Membership, Role, User
from roost.core.permissions import (
    Action,
    grants_preload,
    grants_remembered,
    in_force_q,
    require,
)
from roost.core.signin_methods.models import SecurityKey
from roost.governance.access.selectors import GroupAccess, group_access_unchecked

CREDENTIAL_EXPIRY_AHEAD = dt.timedelta(days=14)
CREDENTIAL_ROTATION_AGE = dt.timedelta(days=90)
DORMANT_AFTER = dt.timedelta(days=60)
GRANT_EXPIRY_AHEAD = dt.timedelta(days=7)
# A grant nobody has signed in to use for this long is likely not needed.
UNUSED_GRANT_AFTER = dt.timedelta(days=30)
MANY_ADMIN_GROUPS = 3


class RiskKind(enum.StrEnum):
    NO_BACKUP = "no_backup"
    BUS_FACTOR = "bus_factor"
    ADMIN_SPREAD = "admin_spread"
    CREDENTIAL_EXPIRING = "credential_expiring"
    CREDENTIAL_STALE = "credential_stale"
    NO_TWO_FACTOR = "no_two_factor"
    DORMANT = "dormant"
    STALE_GRANT = "stale_grant"


HEADINGS = {
    RiskKind.NO_BACKUP: "Channels with no backup owner",
    RiskKind.BUS_FACTOR: "Channels only one person can publish or answer on",
    RiskKind.ADMIN_SPREAD: f"People with admin on {MANY_ADMIN_GROUPS} or more channel groups",
    RiskKind.CREDENTIAL_EXPIRING: "Credentials expiring soon",
    RiskKind.CREDENTIAL_STALE: (f"Credentials not rotated in {CREDENTIAL_ROTATION_AGE.days} days"),
    RiskKind.NO_TWO_FACTOR: "People without two-factor",
    RiskKind.DORMANT: f"Dormant accounts (no sign-in for {DORMANT_AFTER.days} days)",
    RiskKind.STALE_GRANT: "Stale grants (expiring soon or unused)",
}


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    subject: str
    detail: str
    fix_label: str
    fix_url: str


@dataclass(frozen=True)
class RiskSection:
    kind: RiskKind
    heading: str
    risks: list[Risk]


def _person_url(person_id: int) -> str:
    return reverse("governance:access_person", args=[person_id])


def _channel_name(channel: Channel) -> str:
    return f"{channel.display_name or channel.handle} ({channel.network} {channel.placement})"


def _live_channels(org_id: int) -> list[Channel]:
    return list(
        Channel.objects.filter(
            organization_id=org_id, status__in=[ChannelStatus.ACTIVE, ChannelStatus.PAUSED]
        )
        .select_related("channel_group", "primary_owner", "backup_owner")
        .order_by("network", "handle", "pk")
    )


def _no_backup(org_id: int, now: dt.datetime) -> list[Risk]:
    return [
        Risk(
            RiskKind.NO_BACKUP,
            _channel_name(c),
            f"Owned by {c.primary_owner} alone, in {c.channel_group.name}.",
            "Choose a backup owner",
            reverse("channels:edit", args=[c.pk]),
        )
        for c in _live_channels(org_id)
        if c.backup_owner_id is None or not (c.backup_owner and c.backup_owner.is_active)
    ]


def _channel_bus_factor(
    channel: Channel, grants: list[Membership], access_by_group: dict[int, GroupAccess]
) -> list[Risk]:
    found = []
    group = channel.channel_group
    if group.pk not in access_by_group:
        access_by_group[group.pk] = group_access_unchecked(channel_group=group, grants=grants)
    access = access_by_group[group.pk]
    for action, verb in ((Action.POST_EDIT, "publish"), (Action.INBOX_HANDLE, "answer")):
        people = access.people_who(action)
        if len(people) > 1:
            continue
        who = f"Only {people[0]}" if people else "Nobody"
        found.append(
            Risk(
                RiskKind.BUS_FACTOR,
                _channel_name(channel),
                f"{who} can {verb} on it ({group.name}).",
                "Grant the role to another person",
                reverse("governance:access_bulk")
                + "?"
                + urlencode(
                    {
                        "operation": "grant",
                        "role": Role.PUBLISHER if verb == "publish" else Role.COMMUNITY_MANAGER,
                        "channel_groups": group.pk,
                    }
                ),
            )
        )
    return found


def _bus_factor(org_id: int, now: dt.datetime) -> list[Risk]:
    grants = list(
        Membership.objects.filter(organization_id=org_id, user__is_active=True)
        .filter(in_force_q(now))
        .select_related("user", "channel_group", "granted_by")
        .order_by("user__name", "user_id", "role")
    )
    found = []
    access_by_group: dict[int, GroupAccess] = {}
    # One read of everyone's grants, however many groups there are.
    with grants_remembered():
        grants_preload({grant.user_id: grant.user for grant in grants}.values())
        for channel in _live_channels(org_id):
            found += _channel_bus_factor(channel, grants, access_by_group)
    return found


def _admin_spread(org_id: int, now: dt.datetime) -> list[Risk]:
    counts: dict[int, tuple[User, int]] = {}
    for grant in (
        Membership.objects.filter(
            organization_id=org_id, role=Role.ADMIN, channel_group__isnull=False
        )
        .filter(in_force_q(now), user__is_active=True)
        .select_related("user")
    ):
        person, n = counts.get(grant.user_id, (grant.user, 0))
        counts[grant.user_id] = (person, n + 1)
    return [
        Risk(
            RiskKind.ADMIN_SPREAD,
            str(person),
            f"Admin on {n} channel groups.",
            "Review their grants",
            _person_url(person.pk),
        )
        for person, n in sorted(counts.values(), key=lambda pair: (-pair[1], pair[0].name))
        if n >= MANY_ADMIN_GROUPS
    ]


def _credentials_expiring(org_id: int, now: dt.datetime) -> list[Risk]:
    return [
        Risk(
            RiskKind.CREDENTIAL_EXPIRING,
            _channel_name(c),
            (
                "Its credential expired on "
                if c.credential_expires_at <= now
                else "Its credential expires on "
            )
            + f"{c.credential_expires_at:%Y-%m-%d}.",
            "Reconnect the channel",
            reverse("channels:detail", args=[c.pk]),
        )
        for c in _live_channels(org_id)
        if c.credential_expires_at is not None
        and c.credential_expires_at <= now + CREDENTIAL_EXPIRY_AHEAD
    ]


def _credentials_stale(org_id: int, now: dt.datetime) -> list[Risk]:
    stale = (
        Credential.objects.filter(
            organization_id=org_id,
            updated_at__lte=now - CREDENTIAL_ROTATION_AGE,
            channel__status__in=[ChannelStatus.ACTIVE, ChannelStatus.PAUSED],
        )
        .select_related("channel")
        .order_by("updated_at", "pk")
    )
    return [
        Risk(
            RiskKind.CREDENTIAL_STALE,
            _channel_name(c.channel),
            f"Last set on {c.updated_at:%Y-%m-%d} ({(now - c.updated_at).days} days ago).",
            "Rotate the credential",
            reverse("channels:detail", args=[c.channel_id]),
        )
        for c in stale
    ]


def _no_two_factor(org_id: int, now: dt.datetime) -> list[Risk]:
    # Either second factor counts: an authenticator app or a security key.
    apps = TOTPDevice.objects.filter(user__organization_id=org_id, confirmed=True)
    keys = SecurityKey.objects.filter(user__organization_id=org_id, confirmed=True)
    people = (
        User.objects.filter(organization_id=org_id, is_active=True)
        .exclude(pk__in=apps.values("user_id"))
        .exclude(pk__in=keys.values("user_id"))
    )
    return [
        Risk(
            RiskKind.NO_TWO_FACTOR,
            str(person),
            "No second factor enrolled"
            + (
                ""
                if person.organization.require_two_factor
                else "; the organisation does not require one"
            )
            + ".",
            "Require two-factor for everyone"
            if not person.organization.require_two_factor
            else "Review their access",
            reverse("core:settings")
            if not person.organization.require_two_factor
            else _person_url(person.pk),
        )
        for person in people.select_related("organization").order_by("name", "pk")
    ]


def _dormant(org_id: int, now: dt.datetime) -> list[Risk]:
    cutoff = now - DORMANT_AFTER
    people = User.objects.filter(organization_id=org_id, is_active=True).filter(
        Q(last_login__lte=cutoff) | Q(last_login__isnull=True, created_at__lte=cutoff)
    )
    return [
        Risk(
            RiskKind.DORMANT,
            str(person),
            f"Last signed in on {person.last_login:%Y-%m-%d}."
            if person.last_login
            else "Has never signed in.",
            "Revoke their grants",
            _person_url(person.pk),
        )
        for person in people.order_by("name", "pk")
    ]


def _stale_grants(org_id: int, now: dt.datetime) -> list[Risk]:
    grants = (
        Membership.objects.filter(organization_id=org_id, user__is_active=True)
        .filter(
            Q(expires_at__gt=now, expires_at__lte=now + GRANT_EXPIRY_AHEAD)
            | (
                Q(granted_at__lte=now - UNUSED_GRANT_AFTER)
                & (Q(user__last_login__isnull=True) | Q(user__last_login__lt=F("granted_at")))
            )
        )
        .select_related("user", "channel_group")
        .order_by("user__name", "pk")
    )
    found = []
    for grant in grants:
        if grant.expires_at is not None and grant.expires_at <= now + GRANT_EXPIRY_AHEAD:
            detail = f"Expires on {grant.expires_at:%Y-%m-%d}: extend it or let it lapse."
        else:
            detail = f"Not used since it was granted on {grant.granted_at:%Y-%m-%d}."
        found.append(
            Risk(
                RiskKind.STALE_GRANT,
                f"{grant.user}: {grant.get_role_display()} on {grant.scope_label}",
                detail,
                "Review their grants",
                _person_url(grant.user_id),
            )
        )
    return found


FINDERS: dict[RiskKind, Callable[[int, dt.datetime], list[Risk]]] = {
    RiskKind.NO_BACKUP: _no_backup,
    RiskKind.BUS_FACTOR: _bus_factor,
    RiskKind.ADMIN_SPREAD: _admin_spread,
    RiskKind.CREDENTIAL_EXPIRING: _credentials_expiring,
    RiskKind.CREDENTIAL_STALE: _credentials_stale,
    RiskKind.NO_TWO_FACTOR: _no_two_factor,
    RiskKind.DORMANT: _dormant,
    RiskKind.STALE_GRANT: _stale_grants,
}


def risk_sections(*, viewer: User, now: dt.datetime | None = None) -> list[RiskSection]:
    """Every kind of risk, in a fixed order, with what was found of it (maybe nothing)."""
    require(viewer, Action.RISK_VIEW)
    moment = now or timezone.now()
    return [
        RiskSection(kind, HEADINGS[kind], finder(viewer.organization_id, moment))
        for kind, finder in FINDERS.items()
    ]
