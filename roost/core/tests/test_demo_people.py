"""The demo's people: seeding again adds who is missing and gives nobody back a grant
that was taken away since."""

from __future__ import annotations

import pytest

from roost.core.actors import SYSTEM
from roost.core.demo import PEOPLE, seed_demo
from roost.core.models import Membership, User
from roost.core.services import membership_revoke


@pytest.mark.django_db
def test_seeding_again_does_not_give_a_revoked_grant_back():
    org = seed_demo()
    chloe = User.objects.get(email="chloe@northwind.example")
    for grant in Membership.objects.filter(user=chloe):
        membership_revoke(actor=SYSTEM, membership=grant)
    assert not Membership.objects.filter(user=chloe).exists()
    assert seed_demo() == org
    assert not Membership.objects.filter(user=chloe).exists()
    # Everyone else still holds their one grant, once.
    others = [person for person in PEOPLE if person.email != chloe.email]
    for person in others:
        assert Membership.objects.filter(user__email=person.email, role=person.role).count() == 1
