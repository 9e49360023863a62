"""The demo's mailbox: mail sent through Django's mail API with `sandbox://` is kept, and
the Mail page shows each person their own (an admin, on asking, all of their
organisation's), never another organisation's, with its links clickable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core import mail as django_mail
from django.test import override_settings
from django.urls import reverse

from roost.cli import demo_environment
from roost.config.env import parse_email_url, read_environment
from roost.core.models import Role
from roost.sandbox.mail import mail_linked
from roost.sandbox.models import SandboxMail

SANDBOX_BACKEND = parse_email_url("sandbox://").backend
uses_the_mailbox = override_settings(EMAIL_BACKEND=SANDBOX_BACKEND)


def test_the_sandbox_scheme_selects_the_mailbox_and_the_demo_uses_it_unless_told_otherwise():
    config = parse_email_url("sandbox://?from=Roost%20demo%20<demo@roost.invalid>")
    assert config.backend == "roost.sandbox.mail.SandboxMailBackend"
    assert config.default_from == "Roost demo <demo@roost.invalid>"
    assert read_environment({}).demo_email.backend == config.backend
    assert read_environment({}).email.backend.endswith("console.EmailBackend")
    chosen = read_environment({"ROOST_EMAIL_URL": "smtp://mail.example.com:2525"})
    assert chosen.demo_email.backend.endswith("smtp.EmailBackend")
    assert chosen.demo_email.port == 2525


def test_roost_demo_settings_keep_the_mail_in_the_mailbox(tmp_path):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ROOST_", "DJANGO_", "DATABASE_"))
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "roost.config.settings.demo",
            "ROOST_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "roost.sandbox.mail.SandboxMailBackend"


def test_the_demos_links_open_the_demo_itself_unless_told_otherwise():
    environ: dict[str, str] = {}
    demo_environment(environ, port=8123)
    assert read_environment(environ).base_url == "http://127.0.0.1:8123"
    chosen = {"ROOST_BASE_URL": "https://roost.example.com"}
    demo_environment(chosen, port=8123)
    assert read_environment(chosen).base_url == "https://roost.example.com"


@pytest.fixture
def people(org, other_org, make_user):
    return {
        "ada": make_user(org, Role.ADMIN, email="ada@acme.example"),
        "sam": make_user(org, Role.COMMUNITY_MANAGER, email="sam@acme.example"),
        "lee": make_user(org, Role.PUBLISHER, email="lee@acme.example"),
        "gus": make_user(other_org, Role.ADMIN, email="gus@globex.example"),
    }


def _send(to: list[str], subject: str, body: str = "Hello.", cc: list[str] | None = None) -> int:
    message = django_mail.EmailMessage(
        subject=subject, body=body, from_email="Roost <roost@localhost>", to=to, cc=cc or []
    )
    return message.send()


@pytest.mark.django_db
@uses_the_mailbox
def test_mail_sent_through_djangos_api_is_kept_once_per_recipient(people):
    sent = django_mail.send_mail(
        "Paged: the app is down", "Acknowledge at /oncall/", None, ["Sam@Acme.example"]
    )
    assert sent == 1
    kept = SandboxMail.objects.get()
    assert kept.recipient == "sam@acme.example"
    assert kept.organization_id == people["sam"].organization_id
    assert kept.subject == "Paged: the app is down"
    assert kept.body == "Acknowledge at /oncall/"
    assert kept.sent_at is not None
    assert not django_mail.outbox  # kept instead of sent anywhere else

    _send(["lee@acme.example"], "Weekly report", cc=["gus@globex.example", "x@nowhere.example"])
    rows = {m.recipient: m for m in SandboxMail.objects.filter(subject="Weekly report")}
    assert set(rows) == {"lee@acme.example", "gus@globex.example", "x@nowhere.example"}
    assert rows["gus@globex.example"].organization_id == people["gus"].organization_id
    assert rows["x@nowhere.example"].organization_id is None  # nobody's: shown to nobody
    assert rows["lee@acme.example"].to == "lee@acme.example"


@pytest.mark.django_db
@uses_the_mailbox
def test_the_mail_page_shows_a_person_only_their_own_mail(people, signed_in):
    _send(["sam@acme.example"], "For Sam")
    _send(["lee@acme.example"], "For Lee")
    lees = SandboxMail.objects.get(subject="For Lee")
    client = signed_in(people["sam"])
    page = client.get(reverse("sandbox:mailbox")).content.decode()
    assert "For Sam" in page and "For Lee" not in page
    # Asking for everyone's changes nothing for someone who is not an admin.
    page = client.get(reverse("sandbox:mailbox") + "?all=1").content.decode()
    assert "For Sam" in page and "For Lee" not in page
    assert client.get(reverse("sandbox:mail_message", args=[lees.pk])).status_code == 404


@pytest.mark.django_db
@uses_the_mailbox
def test_an_admin_may_read_all_of_their_organisations_mail_and_no_other(people, signed_in):
    _send(["sam@acme.example"], "For Sam")
    _send(["gus@globex.example"], "For Gus")
    _send(["x@nowhere.example"], "For nobody")
    client = signed_in(people["ada"])
    own = client.get(reverse("sandbox:mailbox")).content.decode()
    assert "For Sam" not in own and "No mail yet" in own
    everyone = client.get(reverse("sandbox:mailbox") + "?all=1").content.decode()
    assert "For Sam" in everyone and "To sam@acme.example" in everyone
    assert "For Gus" not in everyone and "For nobody" not in everyone
    sams = SandboxMail.objects.get(subject="For Sam")
    assert client.get(reverse("sandbox:mail_message", args=[sams.pk])).status_code == 200
    for subject in ("For Gus", "For nobody"):
        theirs = SandboxMail.objects.get(subject=subject)
        assert client.get(reverse("sandbox:mail_message", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
@uses_the_mailbox
def test_another_organisations_admin_sees_none_of_it(people, signed_in):
    _send(["sam@acme.example", "ada@acme.example"], "Acme only")
    client = signed_in(people["gus"])
    page = client.get(reverse("sandbox:mailbox") + "?all=1").content.decode()
    assert "Acme only" not in page
    for kept in SandboxMail.objects.filter(subject="Acme only"):
        assert client.get(reverse("sandbox:mail_message", args=[kept.pk])).status_code == 404


@pytest.mark.django_db
@uses_the_mailbox
def test_links_in_a_mail_are_clickable_and_its_markup_is_not(people, signed_in):
    body = (
        "Acknowledge: http://127.0.0.1:8000/oncall/pages/ack/abc123/.\n"
        "Or open /oncall/pages/7/ in Roost, 24/7.\n"
        '<script>alert("x")</script>'
    )
    _send(["sam@acme.example"], "Paged", body)
    kept = SandboxMail.objects.get()
    page = signed_in(people["sam"]).get(reverse("sandbox:mail_message", args=[kept.pk]))
    html = page.content.decode()
    assert '<a href="http://127.0.0.1:8000/oncall/pages/ack/abc123/">' in html
    assert '<a href="/oncall/pages/7/">/oncall/pages/7/</a> in Roost' in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'href="/7' not in html  # "24/7" is not a link


def test_linking_leaves_text_without_links_as_it_is():
    assert mail_linked("and/or 24/7 a / b") == "and/or 24/7 a / b"
    assert mail_linked("(see https://example.com/a?b=1&c=2)") == (
        '(see <a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>)'
    )
    assert mail_linked("javascript:alert(1)") == "javascript:alert(1)"


@pytest.mark.django_db
def test_a_demo_organisation_links_to_its_mailbox_from_every_page(make_org, make_user, signed_in):
    demo = make_user(make_org("Demo", is_demo=True), Role.VIEWER)
    link = f'href="{reverse("sandbox:mailbox")}"'
    assert link in signed_in(demo).get(reverse("core:today")).content.decode()
    real = make_user(make_org("Real"), Role.ADMIN)
    assert link not in signed_in(real).get(reverse("core:today")).content.decode()
