"""`notify`: in the app and by e-mail (over a real SMTP server on loopback), through
the registry of delivery channels, never to strangers, never for a rolled-back change."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from roost.core.models import AuditEvent, Role
from roost.core.notifications import notify
from roost.core.notifications.channels import Message, channel_declare, channels_declared
from roost.core.notifications.models import Notification
from roost.core.tests import test_password_reset

# The password reset tests' SMTP server on loopback, shared rather than copied.
smtp_server = test_password_reset.smtp_server

pytestmark = pytest.mark.django_db


@pytest.mark.peer
def test_people_are_told_in_the_app_and_by_email_over_smtp(
    org,
    other_org,
    make_user,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    lead, agent = make_user(org, Role.MANAGER), make_user(org, Role.COMMUNITY_MANAGER)
    stranger = make_user(other_org, Role.ADMIN)
    gone = make_user(org, Role.VIEWER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        told = notify(
            organization=org, recipients=[lead, agent, stranger, gone], subject="Spike on 'recall'",
            body="Volume 6x usual", url="/crisis/", urgency="urgent", source=org,
        )  # fmt: skip
    assert told == 2
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {lead.pk, agent.pk}
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == sorted([lead.email, agent.email])
    assert smtp_server.messages[0]["Subject"] == "[URGENT] Spike on 'recall'"
    assert "Volume 6x usual" in smtp_server.messages[0].get_payload()
    event = AuditEvent.objects.get(action="core.notification.sent")
    assert sorted(event.after["recipients"]) == sorted([lead.email, agent.email])


def test_a_declared_channel_gets_every_message_after_commit_and_a_failing_one_harms_none(
    org, make_user, django_capture_on_commit_callbacks
):
    person = make_user(org, Role.MANAGER)
    pages: list[Message] = []

    def page(*, message, recipients):
        pages.append(message)

    def broken(*, message, recipients):
        raise ConnectionError("pager gateway down")

    before = {c.name: c for c in channels_declared()}
    try:
        channel_declare(name="zz_broken", deliver=broken)
        channel_declare(name="pager", deliver=page)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notify(organization=org, recipients=[person], subject="S", body="B")
            assert pages == []  # not before the change commits
        assert [m.subject for m in pages] == ["S"] and pages[0].recipient_ids == (person.pk,)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            notify(organization=org, recipients=[person], subject="Rolled back", body="B")
            raise RuntimeError
        assert [m.subject for m in pages] == ["S"]
        assert list(Notification.objects.values_list("subject", flat=True)) == ["S"]
    finally:
        from roost.core.notifications import channels

        channels._channels.clear()
        channels._channels.update(before)


def test_bad_urgency_is_refused(org, make_user):
    with pytest.raises(ValueError):
        notify(organization=org, recipients=[make_user(org)], subject="S", body="B", urgency="meh")
    assert not Notification.objects.exists()


def test_the_top_bar_counts_unread_and_reading_is_ones_own(client, org, other_org, make_user):
    person, other = make_user(org, Role.VIEWER), make_user(org, Role.VIEWER)
    notify(
        organization=org,
        recipients=[person, other],
        subject="Incident opened",
        body="",
        url="/crisis/",
    )
    client.force_login(person)
    page = client.get(reverse("core:today")).content.decode()
    assert "1 new" in page
    mine = Notification.objects.get(recipient=person)
    theirs = Notification.objects.get(recipient=other)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    answer = client.post(reverse("notifications:read", args=[mine.pk]))
    assert answer.status_code == 302 and answer["Location"] == "/crisis/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert "1 new" not in client.get(reverse("notifications:list")).content.decode()
