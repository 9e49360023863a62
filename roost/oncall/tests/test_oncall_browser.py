"""On call tried as a new user would, in the demo, in a real Chromium: open On call, see
the follow-the-sun schedule cover all 24 hours, raise a test page, find its e-mail in
the demo's Mail page and acknowledge the page from the e-mail's link (once: the link
refuses a second use); Today and the inbox say who is on call now. axe finds nothing
critical or serious on these pages, none is wider than a phone, and each is kept as a
screenshot, desktop and phone-sized."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.demo import DEMO_PASSWORD
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.demo import seed_demo_organization
from roost.inbox.models import Conversation
from roost.oncall.demo import SCHEDULE
from roost.oncall.models import Page, Schedule
from roost.oncall.schedules.selectors import on_call_at
from roost.sandbox.models import SandboxMail

AXE = axe_file()
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
TITLE = "Test page: is anyone there?"


def _check(page, name: str) -> list[str]:
    """axe's serious findings and sideways scrolling, wide and on a phone, with a
    screenshot of each under test-artifacts/."""
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    for size, label in ((WIDE, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("async () => (await axe.run(document)).violations")
        problems += [
            f"{name} ({label}): {v['id']} {v['impact']} {[n['target'] for n in v['nodes'][:3]]}"
            for v in found
            if v["impact"] in ("critical", "serious")
        ]
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            problems.append(f"{name}: {width}px wide on a {inner}px screen")
        page.screenshot(path=str(ARTIFACTS / f"oncall-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDE)
    return problems


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_a_newcomer_raises_a_test_page_and_acknowledges_it_from_the_demo_mail(
    browser_page, live_server, settings
):
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: set ROOST_AXE_CORE")
    # What `roost demo` sends e-mail with (roost/config/settings/demo.py).
    settings.EMAIL_BACKEND = "roost.sandbox.mail.SandboxMailBackend"
    settings.ROOST_BASE_URL = live_server.url  # as `roost demo` sets it (roost/cli.py)
    org = seed_demo_organization()
    schedule = Schedule.objects.get(organization=org, name=SCHEDULE)
    on_call_now = on_call_at(schedule=schedule, at=timezone.now())
    assert on_call_now, "the follow-the-sun schedule has someone on call at any hour"
    page = browser_page.context.browser.new_context(viewport=WIDE, bypass_csp=True).new_page()
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    problems: list[str] = []

    # Today already says who is on call now and who backs them up.
    on_call_card = page.get_by_test_id("today-on_call")
    on_call_card.wait_for()
    for person in on_call_now:
        assert person.name in on_call_card.inner_text()
    assert "Marco Manager" in on_call_card.inner_text()
    problems += _check(page, "today")

    # On call, and the follow-the-sun schedule: three regions, no gap in 24 hours.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="On call").click()
    page.get_by_role("heading", name="On call", exact=True).wait_for()
    problems += _check(page, "home")
    page.get_by_role("link", name=SCHEDULE).first.click()
    page.get_by_role("heading", name=SCHEDULE).wait_for()
    layers = page.get_by_role("table", name="Rotations, in order").inner_text()
    for region in ("APAC", "EMEA", "Americas"):
        assert region in layers
    ahead = page.get_by_test_id("schedule-ahead").inner_text()
    assert {"APAC", "EMEA", "Americas"} <= set(ahead.split())
    assert page.get_by_test_id("schedule-gaps").count() == 0  # the 14 days have no gap
    problems += _check(page, "schedule")

    # A test page, raised by hand, goes to whoever is on call by e-mail.
    page.goto(f"{base}/oncall/")
    page.get_by_test_id("oncall-links").get_by_role("link", name="Pages").click()
    page.get_by_role("link", name="Raise a page").click()
    page.get_by_label("What needs someone now").fill(TITLE)
    page.get_by_role("button", name="Raise the page").click()
    page.get_by_role("heading", name=TITLE).wait_for()
    raised = Page.objects.get(organization=org, title=TITLE)
    assert raised.status == "triggered"
    problems += _check(page, "page")

    # The demo's Mail: everyone's, as an admin; the page's e-mail, and its link.
    page.get_by_role("banner").get_by_role("link", name="Mail").click()
    page.get_by_role("heading", name="Mail").wait_for()
    page.get_by_role("link", name="Show everyone's").click()
    subject = f"Page #{raised.number}: {TITLE}"
    mails = SandboxMail.objects.filter(organization_id=org.pk, subject__contains=TITLE)
    assert {m.recipient for m in mails} >= {p.email for p in on_call_now}
    problems += _check(page, "mailbox")
    page.get_by_role("link", name=subject).first.click()
    page.get_by_role("heading", name=subject).wait_for()
    problems += _check(page, "mail")
    # The e-mail's acknowledge link, clicked in the mail as it is shown.
    opened = SandboxMail.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    href = re.search(r"Acknowledge: (\S+)", opened.body).group(1)
    page.get_by_test_id("mail-body").locator(f'a[href="{href}"]').click()
    page.get_by_test_id("page-link").wait_for()
    problems += _check(page, "link")
    page.get_by_role("button", name=f"Acknowledge page #{raised.number}").click()
    page.get_by_text("the page is acknowledged").wait_for()
    raised.refresh_from_db()
    assert raised.status == "acknowledged"
    assert raised.acknowledged_by in on_call_now

    # The link works once.
    page.go_back()
    page.reload()
    assert "used already" in page.inner_text("main")

    # Beside the inbox's open conversation, the panel loads who is on call now.
    conversation = Conversation.objects.filter(organization=org).order_by("pk").first()
    assert conversation is not None
    page.goto(f"{base}{reverse('inbox:split_conversation', args=[conversation.pk])}")
    panel = page.locator(".split-author").get_by_test_id("on-call-now")
    panel.wait_for()
    assert SCHEDULE in panel.inner_text() and "Marco Manager" in panel.inner_text()
    problems += _check(page, "inbox")
    assert failures == []
    assert problems == []
