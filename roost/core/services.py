"""Every change to organisations, people, teams and roles. Each function checks
permission through the policy, changes the data and writes the audit log in one
transaction.

`SYSTEM` is Roost itself (the command line, the demo seed): the policy lets it
pass by name, and its changes are audited as "system".
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.core import audit, locks
from roost.core.actions import audited_create, audited_update
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import (
    TIME_ZONE_CHOICES,
    Brand,
    ChannelGroup,
    Membership,
    Organization,
    Role,
    Team,
    User,
)
from roost.core.permissions import Action, grants_forget, in_force_q, require
from roost.core.tenancy import require_on, require_organization, require_same_organization

_TIME_ZONES = {name for name, _ in TIME_ZONE_CHOICES}
USER_FIELDS = ("email", "name", "time_zone", "region", "language", "is_active")


def organization_create(*, name: str, slug: str, is_demo: bool = False) -> Organization:
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise ApplicationError(ErrorCode.CONFLICT, f"An organisation {slug!r} exists already.")
        org = Organization.objects.create(
            name=name, slug=slug, is_demo=is_demo, require_two_factor=not is_demo
        )
        audit.record(
            organization=org,
            actor=SYSTEM,
            action="core.organization.created",
            target=org,
            after={"name": name, "slug": slug, "is_demo": is_demo},
        )
    return org


def _organization_policy_set(
    *, organization: Organization, actor: Actor, field: str, value: bool, action: str
) -> Organization:
    require_organization(actor, organization)
    require(actor, Action.ORG_UPDATE)
    return audited_update(
        organization,
        actor=actor,
        organization=organization,
        values={field: value},
        action=action,
        fields=[field],
    )


def organization_two_factor_set(
    *, organization: Organization, actor: Actor, required: bool
) -> Organization:
    """Turn two-factor enforcement on or off for everyone but admins.

    Admins always need a second factor, except in a demo organisation.
    """
    return _organization_policy_set(
        organization=organization,
        actor=actor,
        field="require_two_factor",
        value=required,
        action="core.organization.two_factor_changed",
    )


def organization_alt_text_set(
    *, organization: Organization, actor: Actor, required: bool
) -> Organization:
    """Require alt text on every image and video: uploads without it are refused, and
    posts with such media cannot be submitted."""
    return _organization_policy_set(
        organization=organization,
        actor=actor,
        field="require_alt_text",
        value=required,
        action="core.organization.alt_text_policy_changed",
    )


def _clean_profile(*, time_zone: str, language: str) -> None:
    if time_zone not in _TIME_ZONES:
        raise ApplicationError(
            ErrorCode.INVALID, f"Unknown time zone {time_zone!r}.", field="time_zone"
        )
    if len(language) > 10 or not language:
        raise ApplicationError(
            ErrorCode.INVALID, "Language must be a short code like 'en'.", field="language"
        )


def user_create(
    *,
    organization: Organization,
    actor: Actor,
    email: str,
    name: str,
    password: str | None = None,
    time_zone: str = "UTC",
    region: str = "",
    language: str = "en",
) -> User:
    require_organization(actor, organization)
    require(actor, Action.USER_INVITE)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(
            ErrorCode.INVALID, "Enter a valid e-mail address.", field="email"
        ) from exc
    _clean_profile(time_zone=time_zone, language=language)
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise ApplicationError(
                ErrorCode.INVALID, " ".join(exc.messages), field="password"
            ) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                organization=organization,
                name=name.strip(),
                time_zone=time_zone,
                region=region,
                language=language,
            )
            audit.record(
                organization=organization,
                actor=actor,
                action="core.user.created",
                target=user,
                after=audit.snapshot(user, USER_FIELDS),
            )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"{email} already has an account.", field="email"
        ) from exc
    return user


def user_profile_update(
    *, user: User, actor: User, name: str, time_zone: str, region: str, language: str
) -> User:
    """People edit their own profile; admins may edit anyone's in their organisation."""
    require_same_organization(actor, user, noun="Person")
    if actor.pk != user.pk:
        require(actor, Action.USER_INVITE)
    _clean_profile(time_zone=time_zone, language=language)
    if not name.strip():
        raise ApplicationError(ErrorCode.INVALID, "Name cannot be empty.", field="name")
    return audited_update(
        user,
        actor=actor,
        organization=user.organization,
        values={
            "name": name.strip(),
            "time_zone": time_zone,
            "region": region,
            "language": language,
        },
        action="core.user.profile_changed",
        fields=USER_FIELDS,
    )


def user_password_set(*, user: User, actor: Actor, password: str) -> User:
    """Set a password (reset by e-mail, or `roost createadmin`). Never audits the password."""
    require_same_organization(actor, user, noun="Person")
    if isinstance(actor, User) and actor.pk != user.pk:
        require(actor, Action.USER_INVITE)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(ErrorCode.INVALID, " ".join(exc.messages), field="password") from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(
            organization=user.organization,
            actor=actor,
            action="core.user.password_changed",
            target=user,
        )
    return user


def _other_org_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(
            organization_id=membership.organization_id,
            role=Role.ADMIN,
            channel_group__isnull=True,
            user__is_active=True,
        )
        .filter(in_force_q())
        .exclude(pk=membership.pk)
        .exists()
    )


# A time-limited grant covers an agency's engagement or someone's leave, not a career:
# further than this is a mistake (or a way to dodge the review of a permanent grant).
LONGEST_TIME_LIMITED_GRANT = dt.timedelta(days=3 * 366)


def membership_expiry_check(
    expires_at: dt.datetime | None, *, now: dt.datetime | None = None
) -> None:
    """Refuse an expiry that is naive, already past or absurdly far away."""
    if expires_at is None:
        return
    moment = now or timezone.now()
    if timezone.is_naive(expires_at):
        raise ApplicationError(
            ErrorCode.INVALID, "The expiry needs a time zone.", field="expires_at"
        )
    if expires_at <= moment:
        raise ApplicationError(
            ErrorCode.INVALID, "The expiry must lie in the future.", field="expires_at"
        )
    if expires_at - moment > LONGEST_TIME_LIMITED_GRANT:
        raise ApplicationError(
            ErrorCode.INVALID,
            "A time-limited grant lasts at most three years; leave the expiry empty for a "
            "permanent one.",
            field="expires_at",
        )


def membership_grant(
    *,
    actor: Actor,
    user: User,
    role: Role | str,
    channel_group: ChannelGroup | None = None,
    expires_at: dt.datetime | None = None,
) -> Membership:
    """Grant the role (on the group, or the whole organisation), recording who granted it
    and, for a time-limited grant, when it ends."""
    require_same_organization(actor, user, noun="Person")
    if channel_group is not None and channel_group.organization_id != user.organization_id:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_group"
        )
    try:
        role = Role(role)
    except ValueError as exc:
        raise ApplicationError(ErrorCode.INVALID, f"Unknown role {role!r}.", field="role") from exc
    require(actor, Action.MEMBERSHIP_GRANT, channel_group=channel_group)
    membership_expiry_check(expires_at)
    exists = Membership.objects.filter(user=user, role=role, channel_group=channel_group)
    if exists.exists():
        raise ApplicationError(ErrorCode.CONFLICT, "This role is granted already.")
    granted_by = actor if isinstance(actor, User) else None
    with transaction.atomic():
        membership = Membership.objects.create(
            organization_id=user.organization_id,
            user=user,
            role=role,
            channel_group=channel_group,
            granted_by=granted_by,
            expires_at=expires_at,
        )
        audit.record(
            organization=user.organization,
            actor=actor,
            action="core.membership.granted",
            target=membership,
            after={
                "user": user.email,
                "role": role.value,
                "channel_group": membership.scope_label,
                **({"expires_at": expires_at.isoformat()} if expires_at else {}),
            },
        )
    grants_forget(user)
    return membership


def membership_revoke(*, actor: Actor, membership: Membership, reason: str = "") -> None:
    """Revoke the grant; `reason` (e.g. "expired") is kept in the audit entry."""
    require_on(
        actor,
        membership,
        Action.MEMBERSHIP_REVOKE,
        noun="Role",
        channel_group=membership.channel_group,
    )
    with transaction.atomic():
        locked = locks.membership_locked(membership.pk)
        if locked is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, "This role was revoked already.")
        is_org_admin = locked.role == Role.ADMIN and locked.channel_group_id is None
        if is_org_admin and not _other_org_admins(locked):
            raise ApplicationError(
                ErrorCode.LAST_ADMIN,
                "The organisation needs at least one admin; grant another first.",
            )
        before = {
            "user": locked.user.email,
            "role": locked.role,
            "channel_group": locked.scope_label,
            **({"expires_at": locked.expires_at.isoformat()} if locked.expires_at else {}),
        }
        audit.record(
            organization=locked.user.organization,
            actor=actor,
            action="core.membership.revoked",
            target=locked,
            before=before,
            after={"reason": reason} if reason else None,
        )
        locked.delete()
    grants_forget(membership.user)


def team_create(*, organization: Organization, actor: Actor, name: str, region: str = "") -> Team:
    require_organization(actor, organization)
    require(actor, Action.TEAM_MANAGE)
    if not name.strip():
        raise ApplicationError(ErrorCode.INVALID, "A team needs a name.", field="name")
    try:
        team = audited_create(
            Team,
            actor=actor,
            organization=organization,
            values={"name": name.strip(), "region": region},
            action="core.team.created",
            fields=("name", "region"),
        )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"A team {name!r} exists already.", field="name"
        ) from exc
    return team


def team_member_add(*, team: Team, actor: Actor, user: User) -> Team:
    require_same_organization(actor, team, noun="Team")
    if user.organization_id != team.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Person not found.", field="user")
    require(actor, Action.TEAM_MANAGE)
    with transaction.atomic():
        team.members.add(user)
        audit.record(
            organization=team.organization,
            actor=actor,
            action="core.team.member_added",
            target=team,
            after={"member": user.email},
        )
    return team


def team_lead_set(*, team: Team, actor: Actor, lead: User | None) -> Team:
    """Name the team's lead (None: no lead). The lead becomes a member if not one yet."""
    require_same_organization(actor, team, noun="Team")
    if lead is not None and lead.organization_id != team.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Person not found.", field="lead")
    require(actor, Action.TEAM_MANAGE)
    with transaction.atomic():
        locked = locks.team_locked(team.pk)
        before = locked.lead.email if locked.lead else None
        locked.lead = lead
        locked.save(update_fields=["lead"])
        if lead is not None:
            locked.members.add(lead)
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="core.team.lead_set",
            target=locked,
            before={"lead": before},
            after={"lead": lead.email if lead else None},
        )
    team.lead = lead
    return team


def brand_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    region: str = "",
    time_zone: str = "UTC",
) -> Brand:
    require_organization(actor, organization)
    require(actor, Action.STRUCTURE_MANAGE)
    _clean_profile(time_zone=time_zone, language="en")
    try:
        brand = audited_create(
            Brand,
            actor=actor,
            organization=organization,
            values={"name": name.strip(), "region": region, "time_zone": time_zone},
            action="core.brand.created",
            fields=("name", "region", "time_zone"),
        )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"A brand {name!r} exists already.", field="name"
        ) from exc
    return brand


def channel_group_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    brand: Brand | None = None,
    description: str = "",
) -> ChannelGroup:
    require_organization(actor, organization)
    require(actor, Action.STRUCTURE_MANAGE)
    if brand is not None and brand.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Brand not found.", field="brand")
    try:
        with transaction.atomic():
            group = ChannelGroup.objects.create(
                organization=organization, name=name.strip(), brand=brand, description=description
            )
            audit.record(
                organization=organization,
                actor=actor,
                action="core.channel_group.created",
                target=group,
                after={"name": group.name, "brand": brand.name if brand else None},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"A channel group {name!r} exists already.", field="name"
        ) from exc
    return group
