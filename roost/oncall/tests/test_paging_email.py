"""A page's e-mail through a real SMTP server on loopback, and its acknowledge link."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from roost.oncall.models import PageStatus
from roost.oncall.paging.services import page_raise
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield mailbox
    controller.stop()


def body_of(message) -> str:
    if message.is_multipart():
        return "".join(
            part.get_payload(decode=True).decode()
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
    return message.get_payload(decode=True).decode()


@pytest.mark.peer
@pytest.mark.django_db
def test_the_page_email_arrives_with_an_acknowledge_link_that_works_once(
    org, lead, responders, policy, clock, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.ROOST_BASE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        page = page_raise(actor=lead, organization=org, title="Mentions spiking on X")

    to_first = [m for m in smtp_server.messages if m["To"] == responders[0].email]
    assert len(to_first) == 1
    message = to_first[0]
    assert f"Page #{page.number}: Mentions spiking on X" in message["Subject"]
    link = re.search(r"Acknowledge: http://testserver(/\S+)", body_of(message))
    assert link is not None, body_of(message)

    browser = Client(enforce_csrf_checks=True)
    form = browser.get(link.group(1))
    assert form.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert csrf is not None
    assert browser.post(link.group(1), {"csrfmiddlewaretoken": csrf.group(1)}).status_code == 200
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED
    assert page.acknowledged_by == responders[0]
    # The link works once.
    assert browser.post(link.group(1), {"csrfmiddlewaretoken": csrf.group(1)}).status_code == 410
    # Nobody else was told: step 2 was never due.
    assert {m["To"] for m in smtp_server.messages} == {responders[0].email}
