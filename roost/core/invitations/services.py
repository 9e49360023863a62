"""Every change to invitations and the invitation policy, each checked, changed and audited
in one transaction.

An invitation is sent by an admin to one address with the roles the person will hold.
The e-mail carries a one-time link; only its SHA-256 digest is stored, so neither the
database nor the audit log can hand out a working link. Accepting the link creates the
person with exactly those roles, granted in the inviter's name: if the inviter can no
longer grant them, or the address's domain is no longer allowed, the link stops working.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import re
import secrets
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from roost.core import audit, services
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, DomainError, ErrorCode, message_of
from roost.core.invitations.locks import invitation_locked, invitation_policy_locked
from roost.core.invitations.models import (
    Invitation,
    InvitationGrant,
    InvitationPolicy,
    InvitationStatus,
)
from roost.core.invitations.policy import (
    MAX_DOMAINS,
    allowed_domains,
    domain_normalized,
    email_domain,
)
from roost.core.models import ChannelGroup, Organization, Role, User
from roost.core.notifications.links import absolute_url
from roost.core.permissions import Action, can, require
from roost.core.tenancy import require_on, require_organization
from roost.core.text_input import text_repaired

logger = logging.getLogger(__name__)

DEFAULT_VALID_DAYS = 7
MAX_VALID_DAYS = 30
# One form or API call; a larger list is refused whole rather than half sent.
MAX_ADDRESSES = 100
MAX_ADDRESS_LENGTH = 254
TOKEN_PREFIX = "inv_"
_SEPARATORS = re.compile(r"[\s,;]+")


class LinkProblem(enum.StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


LINK_MESSAGES = {
    LinkProblem.UNKNOWN: "This invitation link is not valid. Check that the whole link was "
    "copied, or ask your admin for a new invitation.",
    LinkProblem.EXPIRED: "This invitation has expired. Ask your admin to send it again.",
    LinkProblem.USED: "This invitation has been used already. Sign in with the account it "
    "created, or reset its password.",
    LinkProblem.REVOKED: "This invitation was withdrawn by an admin.",
    LinkProblem.WITHDRAWN: "This invitation can no longer be accepted: the organisation's "
    "rules changed since it was sent. Ask your admin for a new one.",
}


class InvitationLinkError(DomainError):
    """Why a link cannot be used; `code` is a `LinkProblem`."""

    code: LinkProblem

    def __init__(self, code: LinkProblem) -> None:
        super().__init__(code, message_of(LINK_MESSAGES, code))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def addresses_parsed(text: str) -> list[str]:
    """The addresses in free text (commas, semicolons, spaces or lines between them),
    lower-cased, each once, in the order given."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text):
        if part:
            seen.setdefault(part.lower(), None)
    return list(seen)


def _address_problem(email: str, *, domains: list[str]) -> str | None:
    if len(email) > MAX_ADDRESS_LENGTH:
        return "too long"
    try:
        validate_email(email)
    except ValidationError:
        return "not an e-mail address"
    domain = email_domain(email)
    if domain is None:
        return "not an e-mail address"
    if domains and domain not in domains:
        return "its domain is not allowed"
    return None


def _scopes(
    *, actor: Actor, organization: Organization, channel_groups: Sequence[ChannelGroup]
) -> list[ChannelGroup | None]:
    if not channel_groups:
        return [None]
    scopes: list[ChannelGroup | None] = []
    for group in channel_groups:
        if group.organization_id != organization.pk:
            raise ApplicationError(
                ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_groups"
            )
        if group not in scopes:
            scopes.append(group)
    return scopes


def _roles(roles: Sequence[str]) -> list[Role]:
    chosen: list[Role] = []
    for value in roles:
        try:
            role = Role(value)
        except ValueError:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"Unknown role {text_repaired(str(value)[:40])!r}.",
                field="roles",
            ) from None
        if role not in chosen:
            chosen.append(role)
    if not chosen:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one role.", field="roles")
    return chosen


def _grants_after(invitation: Invitation) -> list[dict[str, object]]:
    return [
        {"role": grant.role, "channel_group": grant.scope_label}
        for grant in invitation.grants.all()
    ]


def invitations_create(
    *,
    organization: Organization,
    actor: Actor,
    emails: Sequence[str],
    roles: Sequence[str],
    channel_groups: Sequence[ChannelGroup] = (),
    valid_days: int = DEFAULT_VALID_DAYS,
    site_url: str = "",
) -> list[Invitation]:
    """Invite each address with the roles on each scope (the whole organisation when no
    channel group is given). All or nothing: one address that may not be invited refuses
    the whole request, naming it. The e-mails leave once the transaction commits."""
    require_organization(actor, organization)
    require(actor, Action.USER_INVITE)
    if len(emails) > MAX_ADDRESSES:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Invite at most {MAX_ADDRESSES} addresses at a time ({len(emails):,} given).",
            field="emails",
        )
    addresses = addresses_parsed(" ".join(str(e) for e in emails))
    if len(addresses) > MAX_ADDRESSES:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Invite at most {MAX_ADDRESSES} addresses at a time ({len(addresses):,} given).",
            field="emails",
        )
    if not addresses:
        raise ApplicationError(
            ErrorCode.INVALID, "Enter at least one e-mail address.", field="emails"
        )
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"A link is valid for 1 to {MAX_VALID_DAYS} days.",
            field="valid_days",
        )
    chosen_roles = _roles(roles)
    scopes = _scopes(actor=actor, organization=organization, channel_groups=channel_groups)
    for scope in scopes:
        # The inviter grants the roles: they must be allowed to grant each one.
        require(actor, Action.MEMBERSHIP_GRANT, channel_group=scope)
    domains = allowed_domains(organization=organization)
    refused = [
        f"{text_repaired(address[:80])} ({problem})"
        for address in addresses
        if (problem := _address_problem(address, domains=domains)) is not None
    ]
    if refused:
        shown = ", ".join(refused[:5]) + (
            f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        )
        raise ApplicationError(
            ErrorCode.INVALID, f"These addresses cannot be invited: {shown}.", field="emails"
        )
    now = timezone.now()
    with transaction.atomic():
        taken = sorted(User.objects.filter(email__in=addresses).values_list("email", flat=True))
        if taken:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"Already a person in Roost: {', '.join(taken[:5])}.",
                field="emails",
            )
        pending = sorted(
            Invitation.objects.filter(
                organization=organization,
                email__in=addresses,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).values_list("email", flat=True)
        )
        if pending:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"Invited already, and the invitation is still open: {', '.join(pending[:5])}. "
                "Send it again from the list instead.",
                field="emails",
            )
        inviter = actor if isinstance(actor, User) else None
        made: list[tuple[Invitation, str]] = []
        for address in addresses:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            invitation = Invitation.objects.create(
                organization=organization,
                email=address,
                token_digest=token_digest(token),
                invited_by=inviter,
                created_at=now,
                expires_at=now + dt.timedelta(days=valid_days),
                valid_days=valid_days,
            )
            InvitationGrant.objects.bulk_create(
                InvitationGrant(
                    organization=organization, invitation=invitation, role=role, channel_group=g
                )
                for g in scopes
                for role in chosen_roles
            )
            made.append((invitation, token))
        grants = [
            {"role": role.value, "channel_group": g.name if g else "Whole organisation"}
            for g in scopes
            for role in chosen_roles
        ]
        audit.record_many(
            organization=organization,
            entries=[
                audit.Entry(
                    action="invitations.invitation.created",
                    actor=actor,
                    target=invitation,
                    after={
                        "email": invitation.email,
                        "grants": grants,
                        "expires_at": invitation.expires_at.isoformat(),
                    },
                )
                for invitation, _ in made
            ],
        )
        for invitation, token in made:
            _send_after_commit(invitation, token, site_url=site_url)
    return [invitation for invitation, _ in made]


def invitation_link(token: str, *, site_url: str = "") -> str:
    path = reverse("invitations:accept", kwargs={"token": token})
    if site_url and not getattr(settings, "ROOST_BASE_URL", ""):
        return site_url.rstrip("/") + path
    return absolute_url(path)


def _send_after_commit(invitation: Invitation, token: str, *, site_url: str) -> None:
    # The token exists only in this closure and the e-mail: it is never stored or queued.
    invitation_id, link = invitation.pk, invitation_link(token, site_url=site_url)
    transaction.on_commit(lambda: invitation_email_send(invitation_id=invitation_id, link=link))


def invitation_email_send(*, invitation_id: int, link: str) -> bool:
    """Send the invitation e-mail now; records when it left or why it did not. Answers
    whether the mail server took it. A failure is shown on the list, where the admin can
    send the invitation again."""
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return False
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "link": link,
        "grants": list(invitation.grants.select_related("channel_group")),
    }
    mail = EmailMessage(
        subject=f"You are invited to {invitation.organization.name} on Roost",
        body=render_to_string("invitations/email/invitation.txt", context),
        to=[invitation.email],
    )
    error = ""
    try:
        mail.send()
    except smtplib.SMTPResponseException as exc:
        error = f"The mail server answered {exc.smtp_code}."
    except smtplib.SMTPRecipientsRefused:
        error = "The mail server refused the address."
    except (smtplib.SMTPException, OSError) as exc:
        error = f"The mail server could not be reached ({type(exc).__name__})."
    if error:
        logger.warning("invitation %s: e-mail not sent: %s", invitation_id, error)
        Invitation.objects.filter(pk=invitation_id).update(send_error=error)
        return False
    Invitation.objects.filter(pk=invitation_id).update(sent_at=timezone.now(), send_error="")
    return True


def _require_manageable(actor: Actor, invitation: Invitation) -> None:
    require_on(actor, invitation, Action.USER_INVITE, noun="Invitation")


def invitation_resend(*, actor: Actor, invitation: Invitation, site_url: str = "") -> Invitation:
    """A new link (the old one stops working) valid for as long as the first one was,
    e-mailed again. Pending and expired invitations only. Whoever sends it again becomes
    its inviter: they must be able to grant its roles, and they grant them on acceptance."""
    _require_manageable(actor, invitation)
    with transaction.atomic():
        locked = invitation_locked(invitation.pk)
        for grant in locked.grants.select_related("channel_group"):
            require(actor, Action.MEMBERSHIP_GRANT, channel_group=grant.channel_group)
        status = locked.status
        if status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
            raise ApplicationError(
                ErrorCode.CONFLICT, f"This invitation is {status.value}; it cannot be sent again."
            )
        if User.objects.filter(email=locked.email).exists():
            raise ApplicationError(
                ErrorCode.CONFLICT, f"{locked.email} is already a person in Roost."
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        before = {"expires_at": locked.expires_at.isoformat(), "invited_by": locked.invited_by_id}
        locked.token_digest = token_digest(token)
        locked.expires_at = timezone.now() + dt.timedelta(days=locked.valid_days)
        locked.send_error = ""
        locked.invited_by = actor if isinstance(actor, User) else None
        locked.save(update_fields=["token_digest", "expires_at", "send_error", "invited_by"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="invitations.invitation.resent",
            target=locked,
            before=before,
            after={
                "email": locked.email,
                "expires_at": locked.expires_at.isoformat(),
                "invited_by": locked.invited_by_id,
            },
        )
        _send_after_commit(locked, token, site_url=site_url)
    return locked


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """Withdraw an invitation that has not been accepted: its link stops working."""
    _require_manageable(actor, invitation)
    with transaction.atomic():
        locked = invitation_locked(invitation.pk)
        status = locked.status
        if status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
            raise ApplicationError(
                ErrorCode.CONFLICT, f"This invitation is {status.value}; it cannot be revoked."
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor if isinstance(actor, User) else None
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="invitations.invitation.revoked",
            target=locked,
            before={"status": status.value},
            after={"email": locked.email, "status": InvitationStatus.REVOKED.value},
        )
    return locked


def invitation_by_token(token: str) -> Invitation:
    """The invitation a link names, whatever its status; `UNKNOWN` when none."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise InvitationLinkError(LinkProblem.UNKNOWN)
    found = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_digest=token_digest(token))
        .first()
    )
    if found is None:
        raise InvitationLinkError(LinkProblem.UNKNOWN)
    return found


_STATUS_PROBLEM = {
    InvitationStatus.EXPIRED: LinkProblem.EXPIRED,
    InvitationStatus.ACCEPTED: LinkProblem.USED,
    InvitationStatus.REVOKED: LinkProblem.REVOKED,
}


def invitation_usable(invitation: Invitation) -> None:
    """Raise `InvitationLinkError` unless the invitation can be accepted now: pending, its
    domain still allowed, and its inviter still allowed to grant every role in it."""
    problem = _STATUS_PROBLEM.get(invitation.status)
    if problem is not None:
        raise InvitationLinkError(problem)
    domains = allowed_domains(organization=invitation.organization)
    if domains and email_domain(invitation.email) not in domains:
        raise InvitationLinkError(LinkProblem.WITHDRAWN)
    granter = _granter(invitation)
    if not can(granter, Action.USER_INVITE) or not all(
        can(granter, Action.MEMBERSHIP_GRANT, channel_group=grant.channel_group)
        for grant in invitation.grants.select_related("channel_group")
    ):
        raise InvitationLinkError(LinkProblem.WITHDRAWN)


def _granter(invitation: Invitation) -> Actor:
    """Who grants the roles: the inviter; Roost itself for one it sent (demo, command line)."""
    return invitation.invited_by if invitation.invited_by_id is not None else SYSTEM  # type: ignore[return-value]


def invitation_accept(*, token: str, name: str, password: str) -> User:
    """Create the invited person with exactly the invitation's roles; the link is used up.

    Raises `InvitationLinkError` for a link that cannot be used, `ApplicationError` for a
    name or password that will not do (the link stays usable then)."""
    name = name.strip()
    if not name or len(name) > 150:
        raise ApplicationError(
            ErrorCode.INVALID, "Enter your name (at most 150 characters).", field="name"
        )
    found = invitation_by_token(token)
    with transaction.atomic():
        invitation = invitation_locked(found.pk)
        invitation_usable(invitation)
        granter = _granter(invitation)
        user = services.user_create(
            organization=invitation.organization,
            actor=granter,
            email=invitation.email,
            name=name,
            password=password,
        )
        for grant in invitation.grants.select_related("channel_group"):
            services.membership_grant(
                actor=granter, user=user, role=grant.role, channel_group=grant.channel_group
            )
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit.record(
            organization=invitation.organization,
            actor=user,
            action="invitations.invitation.accepted",
            target=invitation,
            after={"email": user.email, "user": user.pk, "grants": _grants_after(invitation)},
        )
    return user


def invitation_policy_set(
    *, organization: Organization, actor: Actor, allowed_email_domains: Sequence[str]
) -> InvitationPolicy:
    """Set the domains invitations may go to (empty: any domain). Invitations already
    sent to a domain no longer listed can no longer be accepted."""
    require_organization(actor, organization)
    require(actor, Action.ORG_UPDATE)
    if len(allowed_email_domains) > MAX_DOMAINS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"List at most {MAX_DOMAINS} domains.",
            field="allowed_email_domains",
        )
    domains: list[str] = []
    for value in allowed_email_domains:
        domain = domain_normalized(str(value))
        if domain is None:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"{text_repaired(str(value)[:80])!r} is not a domain name such as example.com.",
                field="allowed_email_domains",
            )
        if domain not in domains:
            domains.append(domain)
    with transaction.atomic():
        policy = invitation_policy_locked(organization)
        before = {"allowed_email_domains": list(policy.allowed_email_domains)}
        policy.allowed_email_domains = domains
        policy.updated_at = timezone.now()
        policy.save(update_fields=["allowed_email_domains", "updated_at"])
        audit.record(
            organization=organization,
            actor=actor,
            action="invitations.policy.changed",
            target=policy,
            target_label="Invitation policy",
            before=before,
            after={"allowed_email_domains": domains},
        )
    return policy
