"""@mentions in internal notes: who is meant, the notification and the e-mail after commit,
and the audit event."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.urls import reverse

from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.core.notifications.models import Delivery, DeliveryStatus, Notification
from roost.inbox import ingest, services
from roost.inbox.mentions import mention_names
from roost.inbox.models import Conversation, Direction
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", []),
        ("No mentions here.", []),
        ("@ada please look", ["ada"]),
        ("Thanks @Ada.", ["ada"]),
        ("cc @ada, @marco_r and @ada again", ["ada", "marco_r"]),
        ("@ada.lovelace knows; ask @j-doe!", ["ada.lovelace", "j-doe"]),
        ("mail ada@acme.example or x@y", []),
        ("(@ada)", ["ada"]),
        ("@ @. @-", []),
        ("@@ada", []),
    ],
)
def test_mention_names(text, names):
    assert mention_names(text) == names


@pytest.fixture
def conversation(channel):
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="liam", text="Hi")
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get()


@pytest.fixture
def author(org, channel, make_user):
    return make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, email="kim@acme.example"
    )


@pytest.fixture
def ada(org, channel, make_user):
    return make_user(
        org, Role.VIEWER, channel_group=channel.channel_group, email="ada@acme.example"
    )


@pytest.mark.django_db
def test_a_mentioned_colleague_is_notified_emailed_after_commit_and_named_in_the_audit(
    conversation, author, ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.conversation_note(
            actor=author, conversation=conversation, text="@Ada can you check order 123?"
        )
    assert mail.outbox == []  # nothing before the note is committed
    # In Roost at once (the bell), with the conversation to open.
    told = Notification.objects.get(recipient=ada)
    assert "mentioned you in a note on liam on acme" in told.subject
    assert "@Ada can you check order 123?" in told.body
    assert told.url == reverse("inbox:conversation", args=[conversation.pk])
    assert told.read_at is None
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@acme.example"]
    assert "mentioned you in a note on liam on acme" in sent.subject
    assert "@Ada can you check order 123?" in sent.body
    # A complete link: the e-mail is read outside Roost.
    assert "http://testserver" + reverse("inbox:conversation", args=[conversation.pk]) in sent.body
    event = AuditEvent.objects.get(action="inbox.conversation.noted")
    assert event.after == {"note": note.pk, "mentioned": ["ada@acme.example"]}
    assert note.text == "@Ada can you check order 123?"  # the text is kept as written


@pytest.mark.django_db
def test_unknown_ambiguous_unauthorised_and_self_mentions_stay_text(
    conversation, author, org, other_org, make_user, django_capture_on_commit_callbacks
):
    make_user(org, Role.VIEWER, email="sam@acme.example")
    make_user(org, Role.VIEWER, email="sam@acme-eu.example")  # two people: ambiguous
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    make_user(org, Role.ADMIN, channel_group=elsewhere, email="lee@acme.example")  # no access
    make_user(other_org, Role.ADMIN, email="max@globex.example")  # another organisation
    gone = make_user(org, Role.ADMIN, email="old@acme.example")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    text = "@nobody @sam @lee @max @old @kim: checking"
    with django_capture_on_commit_callbacks(execute=True):
        note = services.conversation_note(actor=author, conversation=conversation, text=text)
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert note.text == text
    assert AuditEvent.objects.get(action="inbox.conversation.noted").after["mentioned"] == []


@pytest.mark.django_db
def test_a_reply_mentions_nobody(conversation, author, ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_reply(actor=author, conversation=conversation, text="Hi @ada!")
    assert mail.outbox == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_an_unreachable_mail_server_does_not_lose_the_note(
    conversation, author, ada, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_note(actor=author, conversation=conversation, text="@ada look")
    assert conversation.messages.filter(direction=Direction.NOTE, text="@ada look").exists()
    # The e-mail waits for another attempt, and the mention is in Roost meanwhile.
    delivery = Delivery.objects.get(person=ada)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "could not be reached" in delivery.last_error
    assert Notification.objects.filter(recipient=ada, subject__contains="mentioned you").exists()


@pytest.mark.django_db
def test_the_page_adds_a_note_that_mentions_and_explains_the_rule(
    conversation, author, ada, signed_in, django_capture_on_commit_callbacks
):
    client = signed_in(author)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "(ada@example.com is @ada)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:act", args=[conversation.pk]),
            {"action": "note", "text": "@ada over to you"},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["ada@acme.example"]]
    empty = client.post(reverse("inbox:act", args=[conversation.pk]), {"action": "note"})
    assert empty.status_code == 422
    assert "Write the note first." in empty.content.decode()
