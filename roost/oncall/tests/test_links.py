"""One-time links in page notifications: signed, expiring, spent by their first use."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from roost.core.models import AuditEvent
from roost.oncall.models import PageLink, PageStatus
from roost.oncall.paging.links import link_lifetime
from roost.oncall.paging.services import page_raise
from roost.oncall.tests.paging_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"^(Acknowledge|Resolve): https?://[^/\s]*(/\S+)$", re.MULTILINE)


@pytest.fixture
def raised(org, lead, responders, policy, clock, settings, django_capture_on_commit_callbacks):
    """A page, and the links the first responder's e-mail carries."""
    settings.ROOST_BASE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        page = page_raise(actor=lead, organization=org, title="VIP complaint trending")
    sent = [m for m in mail.outbox if m.to == [responders[0].email]]
    assert len(sent) == 1
    links = dict(LINK.findall(sent[0].body))
    assert set(links) == {"Acknowledge", "Resolve"}
    return page, links


def test_the_acknowledge_link_asks_first_then_works_once(raised, responders):
    page, links = raised
    browser = Client(enforce_csrf_checks=True)
    asked = browser.get(links["Acknowledge"])
    assert asked.status_code == 200
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED  # opening the link changes nothing
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', asked.content.decode())
    assert token is not None
    done = browser.post(links["Acknowledge"], {"csrfmiddlewaretoken": token.group(1)})
    assert done.status_code == 200 and "Done" in done.content.decode()
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == responders[0]

    again = browser.post(links["Acknowledge"], {"csrfmiddlewaretoken": token.group(1)})
    assert again.status_code == 410 and "used already" in again.content.decode()
    assert browser.get(links["Acknowledge"]).status_code == 410
    assert AuditEvent.objects.filter(action="oncall.page.acknowledged").count() == 1


def test_the_resolve_link_resolves(raised, responders, client):
    page, links = raised
    assert client.post(links["Resolve"]).status_code == 200
    page.refresh_from_db()
    assert page.status == PageStatus.RESOLVED and page.resolved_by == responders[0]
    # The acknowledge link of a resolved page says why it does nothing.
    refused = client.post(links["Acknowledge"])
    assert refused.status_code == 409 and "resolved already" in refused.content.decode()
    assert PageLink.objects.get(purpose="acknowledge").used_at is None


def test_a_link_expires(raised, clock, client):
    page, links = raised
    clock.advance(seconds=link_lifetime().total_seconds() + 1)
    assert client.get(links["Acknowledge"]).status_code == 410
    assert client.post(links["Acknowledge"]).status_code == 410
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_a_forged_or_altered_link_is_unknown(raised, client):
    page, links = raised
    path = links["Acknowledge"]
    _, _, signature = path.rstrip("/").rsplit("/", 1)[1].partition(":")
    altered = path.replace(signature, signature[::-1] if len(set(signature)) > 1 else "x")
    assert client.post(altered).status_code == 404
    assert client.post("/oncall/pages/link/made-up:abc/").status_code == 404
    page.refresh_from_db()
    assert page.status == PageStatus.TRIGGERED


def test_only_the_digest_of_a_link_is_stored(raised):
    _, links = raised
    secret = links["Acknowledge"].rstrip("/").rsplit("/", 1)[1].split(":")[0]
    assert not PageLink.objects.filter(digest__contains=secret).exists()
    assert PageLink.objects.filter(expires_at__gt=dt.datetime(2026, 3, 29, tzinfo=dt.UTC)).exists()
