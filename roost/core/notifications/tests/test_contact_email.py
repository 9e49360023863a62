"""`person_notify` by e-mail over a real SMTP server on loopback (aiosmtpd started by the
test): each person's own contact methods and rules, their address when they have none,
retries while the server is down, and listeners that hear the final outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from roost.core.models import AuditEvent, Role
from roost.core.notifications import notify
from roost.core.notifications.contact import (
    delivery_attempt,
    delivery_outcome_listen,
    delivery_outcome_unlisten,
    person_notify,
)
from roost.core.notifications.models import ContactMethod, Delivery, DeliveryAttempt
from roost.core.tests import test_password_reset

smtp_server = test_password_reset.smtp_server
free_port = test_password_reset.free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcomes():
    heard: list[tuple[int, str]] = []

    def listener(*, delivery):
        heard.append((delivery.pk, delivery.status))

    delivery_outcome_listen(listener)
    yield heard
    delivery_outcome_unlisten(listener)


def _method(person, kind, target, *, urgent=True, normal=True, position=0):
    return ContactMethod.objects.create(
        organization_id=person.organization_id,
        person=person,
        kind=kind,
        target=target,
        for_urgent=urgent,
        for_normal=normal,
        position=position,
    )


@pytest.mark.peer
def test_a_person_without_contact_methods_gets_email_at_their_address(
    org, make_user, smtp_server, outcomes, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER, email="kim@acme.example")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        deliveries = person_notify(
            organization=org, person=person, subject="Page #3: spike", body="Volume 6x",
            url="/oncall/pages/3/", urgency="urgent", source=org,
        )  # fmt: skip
        assert smtp_server.messages == []  # nothing leaves before the change commits
    assert [d.kind for d in deliveries] == ["email"]
    assert [m["To"] for m in smtp_server.messages] == ["kim@acme.example"]
    assert smtp_server.messages[0]["Subject"] == "[URGENT] Page #3: spike"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.contact_method) == ("sent", 1, None)
    assert outcomes == [(delivery.pk, "sent")]
    assert AuditEvent.objects.filter(
        action="core.notification.delivery_sent", target_id=str(delivery.pk)
    ).exists()


@pytest.mark.peer
def test_each_contact_method_follows_its_own_rule_for_urgency(
    org, make_user, smtp_server, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER, email="kim@acme.example")
    _method(person, "email", "kim.pager@acme.example", urgent=True, normal=False)
    _method(person, "email", "kim.digest@acme.example", urgent=False, normal=True, position=1)
    with django_capture_on_commit_callbacks(execute=True):
        person_notify(organization=org, person=person, subject="Urgent", body="", urgency="urgent")
        person_notify(organization=org, person=person, subject="Normal", body="")
    sent = sorted((m["Subject"], m["To"]) for m in smtp_server.messages)
    assert sent == [
        ("Normal", "kim.digest@acme.example"),
        ("[URGENT] Urgent", "kim.pager@acme.example"),
    ]  # and never to the account's own address, since the person chose where


def test_a_rolled_back_change_sends_nothing_and_strangers_get_nothing(
    org, other_org, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    person, stranger = make_user(org), make_user(other_org)
    assert person_notify(organization=org, person=stranger, subject="S", body="") == []
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        person_notify(organization=org, person=person, subject="S", body="")
        raise RuntimeError
    assert not Delivery.objects.exists() and mailoutbox == []


@pytest.mark.peer
def test_notify_reaches_people_through_their_contact_methods(
    org, make_user, smtp_server, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER, email="kim@acme.example")
    _method(person, "email", "kim.phone@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        notify(organization=org, recipients=[person], subject="Incident", body="B", source=org)
    assert [m["To"] for m in smtp_server.messages] == ["kim.phone@acme.example"]
    delivery = Delivery.objects.get()
    assert (delivery.source_type, delivery.source_id) == ("core.organization", str(org.pk))


@pytest.mark.peer
def test_email_is_retried_while_the_server_is_down_then_sent(
    org, make_user, settings, outcomes, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    person = make_user(org, Role.MANAGER, email="kim@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    delivery.refresh_from_db()
    # Nothing listens on the port yet: a connection error, worth a retry later.
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "could not be reached" in delivery.last_error
    due = delivery.next_attempt_at
    assert due > timezone.now() + dt.timedelta(seconds=10)
    # Not before it is due.
    assert delivery_attempt(delivery_id=delivery.pk).attempted is False

    mailbox = test_password_reset.Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = delivery_attempt(delivery_id=delivery.pk, now=due)
    finally:
        controller.stop()
    assert (result.status, result.attempted) == ("sent", True)
    assert [m["To"] for m in mailbox.messages] == ["kim@acme.example"]
    assert list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "outcome")
    ) == [(1, "retry"), (2, "sent")]
    assert outcomes == [(delivery.pk, "sent")]
    # Done is done: another attempt does nothing.
    assert delivery_attempt(delivery_id=delivery.pk, now=due).attempted is False


def test_a_delivery_that_never_gets_through_fails_and_listeners_hear_it_once(
    org, make_user, settings, outcomes, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.ROOST_NOTIFICATION_RETRY_DELAYS = (10, 20)
    person = make_user(org, Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    moment = timezone.now()
    for _ in range(2):
        moment += dt.timedelta(seconds=30)
        with django_capture_on_commit_callbacks(execute=True):
            delivery_attempt(delivery_id=delivery.pk, now=moment)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert outcomes == [(delivery.pk, "failed")]
    assert list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list("outcome", flat=True)
    ) == ["retry", "retry", "failed"]
    event = AuditEvent.objects.get(action="core.notification.delivery_failed")
    assert event.after["attempts"] == 3


def test_an_attempt_cut_short_by_a_killed_worker_is_taken_up_by_the_sweep(
    org, make_user, mailoutbox, outcomes, django_capture_on_commit_callbacks
):
    from roost.core.notifications import contact

    person = make_user(org, Role.MANAGER, email="kim@acme.example")
    with transaction.atomic():  # written, but its first attempt never enqueued
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    # A worker claimed the attempt three minutes ago and died before sending.
    three_minutes_ago = timezone.now() - dt.timedelta(minutes=3)
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=three_minutes_ago, next_attempt_at=three_minutes_ago
    )
    claimed = contact._claim(delivery.pk, three_minutes_ago)
    assert claimed is not None
    delivery.refresh_from_db()
    assert delivery.next_attempt_at < timezone.now()  # its lease has run out
    with django_capture_on_commit_callbacks(execute=True):
        assert contact.deliveries_due_send() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert [m.to for m in mailoutbox] == [["kim@acme.example"]]
    assert outcomes == [(delivery.pk, "sent")]
    with django_capture_on_commit_callbacks(execute=True):
        assert contact.deliveries_due_send() == 0


def test_the_sweep_leaves_a_fresh_delivery_to_its_own_task(org, make_user, mailoutbox):
    from roost.core.notifications import contact

    person = make_user(org, Role.MANAGER)
    with transaction.atomic():
        person_notify(organization=org, person=person, subject="S", body="")
    # Its first attempt is queued and due now: a sweep this moment must not queue another.
    assert contact.deliveries_due_send() == 0
    # Still waiting well after its task should have run: the sweep takes it up.
    later = timezone.now() + contact.SWEEP_GRACE + dt.timedelta(seconds=1)
    assert contact.deliveries_due_send(now=later) == 1


def test_an_attempt_in_progress_is_not_taken_twice(org, make_user, mailoutbox):
    from roost.core.notifications import contact

    person = make_user(org, Role.MANAGER)
    with transaction.atomic():
        (delivery,) = person_notify(organization=org, person=person, subject="S", body="")
    assert contact._claim(delivery.pk, timezone.now()) is not None
    # Another worker, a moment later, while the first is still sending.
    assert delivery_attempt(delivery_id=delivery.pk).attempted is False
    assert contact.deliveries_due_send() == 0
    assert mailoutbox == []


@pytest.mark.peer
def test_links_in_messages_are_complete(org, make_user, smtp_server, settings):
    settings.ROOST_BASE_URL = "https://roost.example.com"
    person = make_user(org, Role.MANAGER)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        person_notify(organization=org, person=person, subject="S", body="B", url="/oncall/")
    assert "https://roost.example.com/oncall/" in smtp_server.messages[0].get_payload()
