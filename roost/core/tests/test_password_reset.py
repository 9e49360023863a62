"""Password reset by e-mail, delivered through a real SMTP server on loopback."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from roost.core.models import AuditEvent, Role, User


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
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield mailbox
    controller.stop()


@pytest.mark.peer
@pytest.mark.django_db
def test_password_reset_over_a_real_smtp_server(client, make_org, make_user, smtp_server):
    org = make_org("Mailers", is_demo=True)
    user = make_user(org, Role.PUBLISHER, email="pat@mailers.example")
    response = client.post(reverse("core:password_reset"), {"email": "pat@mailers.example"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "pat@mailers.example"
    assert message["Subject"] == "Reset your Roost password"
    link = re.search(r"http://testserver(/signin/reset/\S+/)", message.get_payload()).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    done = client.post(
        set_url, {"new_password1": "a-much-better-pass", "new_password2": "a-much-better-pass"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("a-much-better-pass")
    assert AuditEvent.objects.filter(
        action="core.user.password_changed", target_id=str(user.pk)
    ).exists()
    # The link works once.
    assert "not valid any more" in client.get(link, follow=True).content.decode()


@pytest.mark.peer
@pytest.mark.django_db
def test_unknown_address_sends_nothing_and_says_the_same(client, smtp_server):
    response = client.post(reverse("core:password_reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert smtp_server.messages == []
