"""A reviewer revokes a grant while an admin revokes the same grant by hand (PostgreSQL,
real row locks): one of them removes it, the other finds it gone; neither fails and
nothing deadlocks."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from roost.core import locks as core_locks
from roost.core.models import AuditEvent, Membership, Role
from roost.core.services import membership_revoke
from roost.governance.reviews.models import Decision, ReviewItem
from roost.governance.reviews.services import item_attest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_review_revoke_and_a_hand_revoke_of_the_same_grant_queue(world):
    campaign = world.start()
    item = world.item(campaign, world.publisher, world.emea)
    grant = world.grant(world.publisher, Role.PUBLISHER, world.emea)
    holding = threading.Event()
    failures: list[BaseException] = []

    def admin_revokes() -> None:
        try:
            with transaction.atomic():
                core_locks.membership_locked(grant.pk)
                holding.set()
                time.sleep(0.5)  # the reviewer's decision is waiting by now
                membership_revoke(actor=world.admin, membership=grant)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    def reviewer_revokes() -> None:
        holding.wait(5)
        try:
            item_attest(actor=world.emea_manager, item=item, decision="revoke")
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=admin_revokes), threading.Thread(target=reviewer_revokes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert not Membership.objects.filter(pk=grant.pk).exists()
    assert ReviewItem.objects.get(pk=item.pk).decision == Decision.GONE
    assert AuditEvent.objects.filter(action="core.membership.revoked").count() == 1
