"""Ending a person's access: every session on every device, the account, and the
message a deactivated person gets when signing in."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from roost.conftest import TEST_PASSWORD
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role
from roost.core.sessions import DEACTIVATED_MESSAGE, sessions_end_for_person, user_deactivate

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    assert (
        client.post("/signin/", {"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    )
    return client


def test_every_session_of_the_person_ends_and_nobody_elses(org, admin, make_user):
    person, other = make_user(org, Role.PUBLISHER), make_user(org, Role.PUBLISHER)
    devices = [_signed_in(person) for _ in range(3)]
    bystander = _signed_in(other)

    assert sessions_end_for_person(actor=admin, user=person) == 3

    for device in devices:
        assert device.get("/").status_code == 302
    assert bystander.get("/").status_code == 200
    assert Session.objects.count() == 1
    event = AuditEvent.objects.get(action="core.user.sessions_ended")
    assert (event.actor_id, event.after) == (admin.pk, {"sessions_ended": 3})


def test_a_deactivated_person_is_told_why_only_with_the_right_password(org, admin, make_user):
    person = make_user(org, Role.PUBLISHER)
    assert user_deactivate(actor=admin, user=person) is True
    assert user_deactivate(actor=admin, user=person) is False  # once
    assert AuditEvent.objects.filter(action="core.user.deactivated").count() == 1

    right = Client().post("/signin/", {"email": person.email, "password": TEST_PASSWORD})
    wrong = Client().post("/signin/", {"email": person.email, "password": "not-the-password"})

    assert right.status_code == 401 and DEACTIVATED_MESSAGE in right.content.decode()
    assert wrong.status_code == 401 and DEACTIVATED_MESSAGE not in wrong.content.decode()
    assert "E-mail or password is not right." in wrong.content.decode()


def test_only_an_admin_ends_someone_elses_access_and_never_their_own(org, admin, make_user):
    person, manager = make_user(org, Role.PUBLISHER), make_user(org, Role.MANAGER)
    for call in (sessions_end_for_person, user_deactivate):
        with pytest.raises(ApplicationError) as refused:
            call(actor=manager, user=person)
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(ApplicationError) as refused:
        user_deactivate(actor=admin, user=admin)
    assert refused.value.code is ErrorCode.INVALID
    person.refresh_from_db()
    assert person.is_active


def test_someone_elses_calendar_link_is_revoked_only_by_an_admin(org, admin, make_user):
    from roost.core.feed_tokens import feed_token_current, feed_token_issue, feed_token_revoke

    person, manager = make_user(org, Role.PUBLISHER), make_user(org, Role.MANAGER)
    feed_token_issue(user=person)
    with pytest.raises(ApplicationError) as refused:
        feed_token_revoke(user=person, actor=manager)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert feed_token_current(user=person) is not None
    assert feed_token_revoke(user=person, actor=admin) is True
    assert feed_token_current(user=person) is None
    event = AuditEvent.objects.get(action="core.feed_token.revoked")
    assert event.actor_id == admin.pk
