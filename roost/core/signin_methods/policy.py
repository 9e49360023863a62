"""An organisation's sign-in policy: two-factor enforcement, session lifetime, idle timeout.

Two-factor enforcement stays where it always was (`Organization.require_two_factor`);
the session rules live on `SignInPolicy`. An organisation without a row has the
defaults of the deployment (`SESSION_COOKIE_AGE`, `ROOST_IDLE_TIMEOUT_SECONDS`), and the
row is created by the first change.

The middleware reads the rules on every request, so they are cached for
`RULES_CACHE_SECONDS`: a change applies at once in the process that made it and
within a minute everywhere else."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization
from roost.core.permissions import Action, require
from roost.core.signin_methods.locks import organization_policy_locked
from roost.core.signin_methods.models import SignInPolicy
from roost.core.tenancy import require_organization

RULES_CACHE_SECONDS = 60
# Bounds an admin may choose: a session of at least five minutes, at most 30 days; an
# idle timeout of at least one minute and never longer than the session itself.
MIN_SESSION_LIFETIME_MINUTES = 5
MAX_SESSION_LIFETIME_MINUTES = 30 * 24 * 60
MIN_IDLE_TIMEOUT_MINUTES = 1


@dataclass(frozen=True)
class SessionRules:
    lifetime_seconds: int
    idle_seconds: int


def _defaults() -> SessionRules:
    return SessionRules(
        lifetime_seconds=settings.SESSION_COOKIE_AGE,
        idle_seconds=settings.ROOST_IDLE_TIMEOUT_SECONDS,
    )


def signin_policy_get(*, organization: Organization) -> SignInPolicy:
    """The organisation's policy; an unsaved row with the defaults when it has none."""
    policy = SignInPolicy.objects.filter(organization=organization).first()
    if policy is None:
        defaults = _defaults()
        policy = SignInPolicy(
            organization=organization,
            session_lifetime_minutes=max(
                MIN_SESSION_LIFETIME_MINUTES, defaults.lifetime_seconds // 60
            ),
            idle_timeout_minutes=max(MIN_IDLE_TIMEOUT_MINUTES, defaults.idle_seconds // 60),
        )
    return policy


def _cache_key(organization: Organization) -> str:
    # The creation time as well as the id: a key never outlives its organisation (a
    # deleted organisation's id may be used again, by a test database for one).
    return f"roost.signin_policy.rules.{organization.pk}.{organization.created_at.timestamp()}"


def session_rules(*, organization: Organization) -> SessionRules:
    """The session limits the middleware applies, in seconds (cached; see the module)."""
    key = _cache_key(organization)
    cached = cache.get(key)
    if isinstance(cached, SessionRules):
        return cached
    row = (
        SignInPolicy.objects.filter(organization_id=organization.pk)
        .values_list("session_lifetime_minutes", "idle_timeout_minutes")
        .first()
    )
    rules = (
        SessionRules(lifetime_seconds=row[0] * 60, idle_seconds=row[1] * 60) if row else _defaults()
    )
    cache.set(key, rules, RULES_CACHE_SECONDS)
    return rules


def _snapshot(organization: Organization, policy: SignInPolicy) -> dict[str, object]:
    return {
        "require_two_factor": organization.require_two_factor,
        "session_lifetime_minutes": policy.session_lifetime_minutes,
        "idle_timeout_minutes": policy.idle_timeout_minutes,
    }


def _check_minutes(*, lifetime: int, idle: int) -> None:
    if not MIN_SESSION_LIFETIME_MINUTES <= lifetime <= MAX_SESSION_LIFETIME_MINUTES:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Session lifetime must be between {MIN_SESSION_LIFETIME_MINUTES} minutes and "
            f"{MAX_SESSION_LIFETIME_MINUTES // (24 * 60)} days.",
            field="session_lifetime_minutes",
        )
    if not MIN_IDLE_TIMEOUT_MINUTES <= idle <= lifetime:
        raise ApplicationError(
            ErrorCode.INVALID,
            "Idle timeout must be at least one minute and no longer than the session lifetime.",
            field="idle_timeout_minutes",
        )


def signin_policy_update(
    *,
    organization: Organization,
    actor: Actor,
    require_two_factor: bool | None = None,
    session_lifetime_minutes: int | None = None,
    idle_timeout_minutes: int | None = None,
) -> SignInPolicy:
    """Change any part of the policy (None: leave it); one audit event with before and after."""
    require_organization(actor, organization)
    require(actor, Action.SIGNIN_POLICY_MANAGE)
    with transaction.atomic():
        locked_org = organization_policy_locked(organization.pk)
        policy = signin_policy_get(organization=locked_org)
        before = _snapshot(locked_org, policy)
        lifetime = (
            policy.session_lifetime_minutes
            if session_lifetime_minutes is None
            else session_lifetime_minutes
        )
        idle = policy.idle_timeout_minutes if idle_timeout_minutes is None else idle_timeout_minutes
        _check_minutes(lifetime=lifetime, idle=idle)
        if require_two_factor is not None and require_two_factor != locked_org.require_two_factor:
            locked_org.require_two_factor = require_two_factor
            locked_org.save(update_fields=["require_two_factor"])
            organization.require_two_factor = require_two_factor
        policy.session_lifetime_minutes = lifetime
        policy.idle_timeout_minutes = idle
        policy.updated_at = timezone.now()
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError as exc:
            raise ApplicationError(
                ErrorCode.CONFLICT, "The policy changed meanwhile; try again."
            ) from exc
        after = _snapshot(locked_org, policy)
        if after != before:
            audit.record(
                organization=locked_org,
                actor=actor,
                action="core.signin_policy.changed",
                target=policy,
                before=before,
                after=after,
            )
        # Forgotten now for this transaction's own requests, and again once committed
        # in case another request read the old row meanwhile.
        key = _cache_key(locked_org)
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))
    return policy
