"""Personal access tokens: create (shown once), check, revoke.

A token reads `roost_<prefix>_<secret>`. The prefix finds the row; the digest
of the whole token is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from roost.core import audit
from roost.core.actors import Actor
from roost.core.api_access.models import ApiToken
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization

TOKEN_PATTERN = re.compile(r"^roost_([a-z0-9]{8})_([A-Za-z0-9_-]{32,64})$")
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class Scope(enum.StrEnum):
    USERS_READ = "users:read"
    MEMBERSHIPS_READ = "memberships:read"
    MEMBERSHIPS_WRITE = "memberships:write"
    AUDIT_READ = "audit:read"
    INBOX_READ = "inbox:read"
    INBOX_WRITE = "inbox:write"
    INBOX_CONFIGURE = "inbox:configure"
    POSTS_READ = "posts:read"
    POSTS_WRITE = "posts:write"
    POSTS_APPROVE = "posts:approve"
    MEDIA_READ = "media:read"
    MEDIA_WRITE = "media:write"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_WRITE = "incidents:write"
    CRISIS_WRITE = "crisis:write"
    LISTENING_READ = "listening:read"
    LISTENING_WRITE = "listening:write"
    ONCALL_READ = "oncall:read"
    ONCALL_WRITE = "oncall:write"
    CONTACT_METHODS_READ = "contact-methods:read"
    CONTACT_METHODS_WRITE = "contact-methods:write"
    PAGES_READ = "pages:read"
    PAGES_WRITE = "pages:write"
    ACCESS_READ = "access:read"
    ACCESS_WRITE = "access:write"
    RISKS_READ = "risks:read"
    OFFBOARDING_READ = "offboarding:read"
    OFFBOARDING_WRITE = "offboarding:write"
    ACCESS_REVIEWS_READ = "access-reviews:read"
    ACCESS_REVIEWS_WRITE = "access-reviews:write"
    SIGNIN_POLICY_READ = "signin-policy:read"
    SIGNIN_POLICY_WRITE = "signin-policy:write"
    INVITATIONS_READ = "invitations:read"
    INVITATIONS_WRITE = "invitations:write"
    ANALYTICS_READ = "analytics:read"
    REPORTS_WRITE = "reports:write"


SCOPE_HELP = {
    Scope.USERS_READ: "Read people, teams, brands and channel groups",
    Scope.MEMBERSHIPS_READ: "Read role grants",
    Scope.MEMBERSHIPS_WRITE: "Grant and revoke roles (as far as your own roles allow)",
    Scope.AUDIT_READ: "Read the audit log (as far as your own roles allow)",
    Scope.INBOX_READ: "List, search and read conversations",
    Scope.INBOX_WRITE: (
        "Reply to, assign, tag and close conversations, and hide or unhide comments"
    ),
    Scope.INBOX_CONFIGURE: (
        "Change the classifier settings and moderation rules (as far as your own roles allow)"
    ),
    Scope.POSTS_READ: "List and read posts, their variants and checks",
    Scope.POSTS_WRITE: (
        "Create, edit, schedule and submit posts, and settle sends whose outcome is unknown "
        "(as far as your own roles allow)"
    ),
    Scope.POSTS_APPROVE: "Approve and reject posts (as far as your own roles allow)",
    Scope.MEDIA_READ: "Search and read the media library",
    Scope.MEDIA_WRITE: "Upload media and edit alt text, tags and focal points",
    Scope.INCIDENTS_READ: "List and read incidents, their timelines and crisis mode",
    Scope.INCIDENTS_WRITE: "Open incidents, change their status, severity and owner, add notes",
    Scope.CRISIS_WRITE: "Turn crisis mode on and off (as far as your own roles allow)",
    Scope.LISTENING_READ: "List monitors and what they matched",
    Scope.LISTENING_WRITE: "Create, change and delete monitors (as far as your own roles allow)",
    Scope.ONCALL_READ: "Read schedules, who is on call and overrides",
    Scope.ONCALL_WRITE: (
        "Create schedules and add or remove overrides (as far as your own roles allow)"
    ),
    Scope.CONTACT_METHODS_READ: "Read your own contact methods (how Roost reaches you)",
    Scope.CONTACT_METHODS_WRITE: "Add, change, test and remove your own contact methods",
    Scope.PAGES_READ: "List and read pages and escalation policies",
    Scope.PAGES_WRITE: (
        "Raise, acknowledge and resolve pages, and change escalation policies "
        "(as far as your own roles allow)"
    ),
    Scope.ACCESS_READ: "Read who holds which role where, and who can do what on a channel group",
    Scope.ACCESS_WRITE: "Grant and revoke roles in bulk, with a preview (admins only)",
    Scope.RISKS_READ: "Read the access risks of the organisation (admins only)",
    Scope.OFFBOARDING_READ: "Read offboardings and their reports (admins)",
    Scope.OFFBOARDING_WRITE: (
        "Offboard a leaver to a successor: revoke their access and hand over their work (admins)"
    ),
    Scope.ACCESS_REVIEWS_READ: "List access reviews, their reports, and the grants you review",
    Scope.ACCESS_REVIEWS_WRITE: (
        "Start and close access reviews, and keep or revoke the grants you review "
        "(as far as your own roles allow)"
    ),
    Scope.SIGNIN_POLICY_READ: "Read the organisation's sign-in policy (admins)",
    Scope.SIGNIN_POLICY_WRITE: "Change the organisation's sign-in policy (admins)",
    Scope.INVITATIONS_READ: "List invitations and read the invitation policy (admins)",
    Scope.INVITATIONS_WRITE: (
        "Invite people, send invitations again, revoke them and set the allowed domains "
        "(as far as your own roles allow)"
    ),
    Scope.ANALYTICS_READ: (
        "Read metrics, dashboards and their exports, and scheduled reports "
        "(the figures of the channels your roles show)"
    ),
    Scope.REPORTS_WRITE: "Create, change, pause and delete scheduled reports (leads and analysts)",
}


class TokenProblem(enum.StrEnum):
    MALFORMED = "The token is malformed: expected 'Authorization: Bearer roost_xxxxxxxx_...'."
    UNKNOWN = "The token is not valid."
    REVOKED = "The token was revoked or has expired."


class TokenRejected(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the person once, never stored


def token_create(
    *, user: User, name: str, scopes: list[str], expires_in_days: int | None = None
) -> IssuedToken:
    require(user, Action.API_TOKEN_CREATE)
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "Give the token a name.", field="name")
    try:
        chosen = sorted({Scope(scope).value for scope in scopes})
    except ValueError as exc:
        raise ApplicationError(
            ErrorCode.TOKEN_SCOPE_UNKNOWN, f"Unknown scope: {exc}", field="scopes"
        ) from exc
    if not chosen:
        raise ApplicationError(ErrorCode.INVALID, "Choose at least one scope.", field="scopes")
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ApplicationError(
            ErrorCode.INVALID, "Expiry must be 1 to 366 days.", field="expires_in_days"
        )
    prefix = secrets.token_hex(4)
    raw = f"roost_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            organization_id=user.organization_id,
            user=user,
            name=name,
            prefix=prefix,
            digest=_digest(raw),
            scopes=chosen,
            expires_at=expires_at,
        )
        audit.record(
            organization=user.organization,
            actor=user,
            action="api.token.created",
            target=token,
            after={"name": name, "prefix": prefix, "scopes": chosen, "expires_at": expires_at},
        )
    return IssuedToken(token=token, secret=raw)


def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.organization_id != actor.organization_id or token.user_id != actor.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Token not found.")
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(
                organization=actor.organization,
                actor=actor,
                action="api.token.revoked",
                target=token,
                before={"revoked": False},
                after={"revoked": True},
            )
    return token


def tokens_revoke_for_person(*, actor: Actor, user: User) -> list[ApiToken]:
    """Revoke every token of `user` that still works (an admin taking a leaver's access
    away); answers those revoked, so a repeated call answers an empty list."""
    require_same_organization(actor, user, noun="Person")
    require(actor, Action.USER_DEACTIVATE)
    now = timezone.now()
    with transaction.atomic():
        live = list(
            locked(
                ApiToken.objects.filter(
                    organization_id=user.organization_id, user=user, revoked_at__isnull=True
                )
            )
        )
        for token in live:
            token.revoked_at = now
        ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)
        audit.record_many(
            organization=user.organization,
            entries=[
                audit.Entry(
                    action="api.token.revoked",
                    actor=actor,
                    target=token,
                    before={"revoked": False},
                    after={"revoked": True, "owner": user.email},
                )
                for token in live
            ],
        )
    return live


def token_authenticate(raw: str) -> ApiToken:
    """The live token behind a presented secret, or `TokenRejected` saying why."""
    match = TOKEN_PATTERN.match(raw.strip())
    if match is None:
        raise TokenRejected(TokenProblem.MALFORMED)
    token = (
        ApiToken.objects.select_related("user", "user__organization")
        .filter(prefix=match[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _digest(raw.strip())):
        raise TokenRejected(TokenProblem.UNKNOWN)
    if not token.is_usable or not token.user.is_active:
        raise TokenRejected(TokenProblem.REVOKED)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_list(*, viewer: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization_id=viewer.organization_id, user=viewer)


def token_get(*, viewer: User, token_id: int) -> ApiToken:
    return get_object_or_404(token_list(viewer=viewer), pk=token_id)
