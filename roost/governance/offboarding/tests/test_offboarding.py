"""Offboarding in one action: after it, the leaver can do nothing and all their work is
with the successor; nothing of their history is lost; it is refused where it must be,
and a run that failed half way is finished by running it again."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.api_access.models import ApiToken
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Membership, Role, User
from roost.core.notifications.models import Notification
from roost.core.sessions import DEACTIVATED_MESSAGE
from roost.core.today import today_cards
from roost.governance.offboarding import services
from roost.governance.offboarding.models import (
    CredentialRotationTask,
    Offboarding,
    OffboardingItem,
)
from roost.governance.offboarding.tests.conftest import World, sign_in_with_password
from roost.inbox.models import Conversation
from roost.oncall.models import LayerMember, Override, Schedule
from roost.publishing.models import Post

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_after_the_action_the_leaver_can_do_nothing_and_every_item_is_with_the_successor(
    world: World, signed_in, django_capture_on_commit_callbacks
):
    w = world
    laptop, phone = Client(), Client()
    sign_in_with_password(laptop, w.leaver)
    sign_in_with_password(phone, w.leaver)
    assert laptop.get(reverse("publishing:index")).status_code == 200
    assert Client().get("/api/v1/posts", **_bearer(w.token)).status_code == 200
    leaver_sessions = [laptop.cookies["roost_session"].value, phone.cookies["roost_session"].value]

    admin = signed_in(w.admin)
    query = {"leaver": w.leaver.pk, "successor": w.successor.pk}
    preview = admin.get(reverse("offboarding:preview"), query)
    assert preview.status_code == 200
    page = preview.content.decode()
    for expected in ("A scheduled post", "fan1", "fan2", "consumer_emea", "Social desk", "Scripts"):
        assert expected in page
    assert not Offboarding.objects.exists()  # the preview changes nothing
    assert w.leaver.is_active

    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(reverse("offboarding:run"), query)
    offboarding = Offboarding.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("offboarding:report", args=[offboarding.pk])
    assert offboarding.finished_at is not None
    assert offboarding.steps_done == [step.name for step in services.STEPS]

    # The UI with their old session cookies, on both devices: signed out.
    for device in (laptop, phone):
        answer = device.get(reverse("publishing:index"))
        assert answer.status_code == 302 and answer["Location"].startswith("/signin/")
    assert not Session.objects.filter(session_key__in=leaver_sessions).exists()
    # The API with their old token: refused.
    api = Client().get("/api/v1/posts", **_bearer(w.token))
    assert api.status_code == 401 and api["Content-Type"] == "application/problem+json"
    assert ApiToken.objects.get(user=w.leaver).revoked_at is not None
    # A fresh sign-in, with the right password: refused, saying why.
    fresh = Client().post(
        "/signin/", {"email": w.leaver.email, "password": "correct-horse-battery-staple"}
    )
    assert fresh.status_code == 401
    assert DEACTIVATED_MESSAGE in fresh.content.decode()
    assert "_auth_user_id" not in fresh.wsgi_request.session
    # No grant left.
    assert not Membership.objects.filter(user=w.leaver).exists()

    # Every item is with the successor.
    s = w.successor.pk
    for post in [*w.scheduled, w.draft]:
        assert Post.objects.get(pk=post.pk).author_id == s
    for conversation in w.conversations:
        assert Conversation.objects.get(pk=conversation.pk).assignee_id == s
    emea, americas = w.channels["Consumer EMEA"], w.channels["Consumer Americas"]
    emea.refresh_from_db()
    americas.refresh_from_db()
    assert (emea.primary_owner_id, emea.backup_owner_id) == (s, w.colleague.pk)
    assert (americas.primary_owner_id, americas.backup_owner_id) == (w.colleague.pk, s)
    assert not LayerMember.objects.filter(person=w.leaver).exists()
    assert LayerMember.objects.filter(layer__schedule=w.schedule, person_id=s).exists()
    assert Override.objects.get(pk=w.override.pk).person_id == s
    assert Schedule.objects.get(pk=w.schedule.pk).owner_id == s

    # Nothing deleted: history stays the leaver's.
    assert Post.objects.get(pk=w.published.pk).author_id == w.leaver.pk
    assert Conversation.objects.get(pk=w.closed.pk).assignee_id == w.leaver.pk
    assert User.objects.filter(pk=w.leaver.pk, is_active=False).exists()
    assert AuditEvent.objects.filter(actor=w.leaver, action="api.token.created").exists()

    # Credentials to rotate: the channels of the four groups where the leaver published or
    # answered (not the one they only read), a task for each owner, who is told.
    reachable = {w.channels[name].pk for name in w.groups if name != "Corporate"}
    tasks = CredentialRotationTask.objects.filter(offboarding=offboarding)
    assert {t.channel_id for t in tasks} == reachable
    assert {t.channel_id: t.owner_id for t in tasks} == {
        pk: (s if pk == emea.pk else w.colleague.pk) for pk in reachable
    }
    told = Notification.objects.filter(subject__startswith="Rotate the credentials")
    assert {n.recipient_id for n in told} == {s, w.colleague.pk}
    colleague_today = {
        c.key: c for c in today_cards(viewer=w.colleague, now=offboarding.started_at)
    }
    assert colleague_today["credential_rotations"].total == 3

    # One audit event per step, and the chain still verifies.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {f"governance.offboarding.{step.name}" for step in services.STEPS} <= actions
    assert {
        "core.user.deactivated",
        "core.user.sessions_ended",
        "core.membership.revoked",
    } <= actions
    assert AuditEvent.objects.filter(action="core.membership.revoked").count() == 5
    ended = AuditEvent.objects.get(action="core.user.sessions_ended")
    assert ended.after == {"sessions_ended": 2}
    assert audit.verify().ok

    # The report lists every item, and so does its CSV.
    report = admin.get(reverse("offboarding:report", args=[offboarding.pk])).content.decode()
    for conversation in w.conversations:
        assert reverse("inbox:conversation", args=[conversation.pk]) in report
    rows = list(csv.reader(io.StringIO(
        admin.get(reverse("offboarding:report_csv", args=[offboarding.pk])).content.decode()
    )))  # fmt: skip
    assert rows[0] == ["step", "kind", "item", "what was done", "to review", "link"]
    assert len(rows) - 1 == OffboardingItem.objects.filter(offboarding=offboarding).count()
    kinds = [row[1] for row in rows[1:]]
    assert kinds.count("post") == 3 and kinds.count("conversation") == 2
    assert kinds.count("grant") == 5 and kinds.count("credential") == 4


def test_running_it_again_after_a_failure_half_way_finishes_it_without_duplicates(
    world: World, monkeypatch
):
    """The failure is simulated: the on-call step raises once, as a crash would."""
    w = world
    real = services.RUNS["oncall"]

    def crash(*args: object) -> list[object]:
        raise RuntimeError("worker lost half way")

    monkeypatch.setitem(services.RUNS, "oncall", crash)
    with pytest.raises(RuntimeError):
        services.offboarding_run(actor=w.admin, leaver=w.leaver, successor=w.successor)
    half = Offboarding.objects.get()
    assert half.finished_at is None
    assert half.steps_done == [
        "account",
        "sessions",
        "tokens",
        "posts",
        "conversations",
        "channels",
    ]
    assert LayerMember.objects.filter(person=w.leaver).exists()  # the failed step left nothing
    assert Membership.objects.filter(user=w.leaver).count() == 5
    # Another successor cannot take over a run under way.
    with pytest.raises(ApplicationError) as refused:
        services.offboarding_run(actor=w.admin, leaver=w.leaver, successor=w.colleague)
    assert refused.value.code is ErrorCode.CONFLICT

    monkeypatch.setitem(services.RUNS, "oncall", real)
    again = services.offboarding_run(actor=w.admin, leaver=w.leaver, successor=w.successor)

    assert again.pk == half.pk and again.finished_at is not None
    assert not LayerMember.objects.filter(person=w.leaver).exists()
    assert not Membership.objects.filter(user=w.leaver).exists()
    items = OffboardingItem.objects.filter(offboarding=again)
    keys = [(i.step, i.target_type, i.target_id) for i in items]
    assert len(keys) == len(set(keys))
    assert items.filter(kind="post").count() == 3
    for step in services.STEPS:
        assert AuditEvent.objects.filter(action=f"governance.offboarding.{step.name}").count() == 1
    # Once more, finished: the same offboarding, nothing new.
    count = AuditEvent.objects.count()
    assert services.offboarding_run(actor=w.admin, leaver=w.leaver, successor=w.successor) == again
    assert AuditEvent.objects.count() == count
    assert CredentialRotationTask.objects.count() == 4


def test_refused_for_oneself_an_inactive_or_foreign_successor_and_the_last_admin(
    world: World, other_org, make_user
):
    w = world
    stranger = make_user(other_org, Role.ADMIN)
    gone = make_user(w.org, Role.MANAGER)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    gone.refresh_from_db()

    def refused(actor, leaver, successor) -> ErrorCode:
        with pytest.raises(ApplicationError) as error:
            services.offboarding_run(actor=actor, leaver=leaver, successor=successor)
        with pytest.raises(ApplicationError) as preview_error:
            services.offboarding_preview(actor=actor, leaver=leaver, successor=successor)
        assert preview_error.value.code is error.value.code
        return error.value.code

    assert refused(w.admin, w.admin, w.successor) is ErrorCode.INVALID
    assert refused(w.admin, w.leaver, w.leaver) is ErrorCode.INVALID
    assert refused(w.admin, w.leaver, gone) is ErrorCode.INVALID
    assert refused(w.admin, w.leaver, stranger) is ErrorCode.NOT_FOUND
    assert refused(stranger, w.leaver, w.successor) is ErrorCode.NOT_FOUND
    assert refused(w.successor, w.leaver, w.colleague) is ErrorCode.PERMISSION_DENIED
    # The organisation's only admin cannot be offboarded (by Roost itself, from the
    # command line: an admin offboarding someone is another admin).
    assert refused(SYSTEM, w.admin, w.successor) is ErrorCode.LAST_ADMIN
    assert not Offboarding.objects.exists()
    assert User.objects.get(pk=w.leaver.pk).is_active


def test_only_an_admin_opens_the_pages_and_the_form_says_what_is_wrong(world: World, signed_in):
    w = world
    manager = signed_in(w.successor)
    assert manager.get(reverse("offboarding:index")).status_code == 403
    assert (
        manager.post(
            reverse("offboarding:run"), {"leaver": w.leaver.pk, "successor": w.colleague.pk}
        ).status_code
        == 403
    )
    admin = signed_in(w.admin)
    home = admin.get(reverse("governance:home")).content.decode()
    assert reverse("offboarding:index") in home
    same = admin.get(
        reverse("offboarding:preview"), {"leaver": w.leaver.pk, "successor": w.leaver.pk}
    )
    assert same.status_code == 422 and "successor must be someone else" in same.content.decode()
    for bad in ("", "x", "99999999999999999999999", "\u0000"):
        answer = admin.get(
            reverse("offboarding:preview"), {"leaver": bad, "successor": w.successor.pk}
        )
        assert 400 <= answer.status_code < 500
    assert not Offboarding.objects.exists()


def test_the_owner_marks_a_rotation_done_and_the_card_empties(world: World, signed_in, make_user):
    w = world
    services.offboarding_run(actor=w.admin, leaver=w.leaver, successor=w.successor)
    task = CredentialRotationTask.objects.get(channel=w.channels["Consumer EMEA"])
    assert task.owner_id == w.successor.pk
    publisher = make_user(w.org, Role.PUBLISHER, channel_group=w.groups["Consumer EMEA"])
    colleague = signed_in(publisher)
    assert colleague.post(reverse("offboarding:rotation_done", args=[task.pk])).status_code == 403
    successor = signed_in(w.successor)
    page = successor.get(reverse("offboarding:rotations")).content.decode()
    assert str(task.channel) in page
    assert successor.post(reverse("offboarding:rotation_done", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.done_by_id == w.successor.pk
    cards = {c.key for c in today_cards(viewer=w.successor, now=task.created_at)}
    assert "credential_rotations" not in cards
    assert AuditEvent.objects.filter(action="governance.credential_rotation.done").count() == 1
