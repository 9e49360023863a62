"""The demo's sign-in policy is seeded once."""

from __future__ import annotations

import pytest

from roost.core.models import AuditEvent
from roost.core.signin_methods.demo import seed_demo_signin
from roost.core.signin_methods.models import SignInPolicy

pytestmark = pytest.mark.django_db


def test_the_demo_policy_is_seeded_once(make_org):
    org = make_org("Demo", is_demo=True)

    seed_demo_signin(org)
    seed_demo_signin(org)

    policy = SignInPolicy.objects.get(organization=org)
    assert (policy.session_lifetime_minutes, policy.idle_timeout_minutes) == (600, 60)
    assert AuditEvent.objects.filter(action="core.signin_policy.changed").count() == 1
