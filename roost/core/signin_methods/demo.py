"""The demo organisation's sign-in policy, so its Settings → Sign-in policy page has values.

Security keys need no seeding: in the demo, Chromium's virtual authenticator (DevTools →
More tools → WebAuthn) stands in for a USB key; see docs/sign-in.md."""

from __future__ import annotations

from roost.core.actors import SYSTEM
from roost.core.models import Organization
from roost.core.signin_methods.models import SignInPolicy
from roost.core.signin_methods.policy import signin_policy_update


def seed_demo_signin(org: Organization) -> None:
    """A working day's session and an hour's idle timeout; kept once set."""
    if SignInPolicy.objects.filter(organization=org).exists():
        return
    signin_policy_update(
        organization=org, actor=SYSTEM, session_lifetime_minutes=10 * 60, idle_timeout_minutes=60
    )
