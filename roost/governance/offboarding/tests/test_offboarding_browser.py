"""The walk-through in a real Chromium: in the demo, the admin opens Governance →
Offboarding, chooses Chloé as the leaver and Marco as the successor, reads the preview,
confirms once and reads the report; Chloé then cannot sign in, and is told why. axe finds
nothing critical or serious on the preview and the report, and a phone does not scroll
sideways."""

from __future__ import annotations

import pytest

from roost.core.demo import DEMO_PASSWORD
from roost.core.models import User
from roost.core.sessions import DEACTIVATED_MESSAGE
from roost.core.tests.test_today_browser import AXE, _axe_serious
from roost.demo import seed_demo_organization
from roost.governance.offboarding.demo import LEAVER, SUCCESSOR
from roost.governance.offboarding.models import Offboarding

ADMIN = "ada@northwind.example"


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_admin_offboards_a_demo_person_in_one_action_and_reads_the_report(
    browser_page, live_server
):
    if not AXE.exists():
        pytest.fail("axe-core is not installed: cd /tmp && npm install axe-core@4")
    seed_demo_organization()
    leaver = User.objects.get(email=LEAVER)
    base = live_server.url
    # axe is added as a script of the test's own: the page's policy would refuse it.
    context = browser_page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    _sign_in(page, base, ADMIN)
    page.get_by_role("link", name="Governance").first.click()
    page.get_by_role("link", name="Offboarding").click()
    page.get_by_label("Leaver").select_option(label=f"{leaver.name} ({LEAVER})")
    page.get_by_label("Successor").select_option(label=f"Marco Manager ({SUCCESSOR})")
    page.get_by_role("button", name="Preview the offboarding").click()

    page.get_by_role("heading", name=f"Offboard {leaver.name} to Marco Manager").wait_for()
    for heading in ("Assigned conversations handed over", "On-call shifts handed over",
                    "Credentials listed for rotation"):  # fmt: skip
        assert page.get_by_role("heading", name=heading).is_visible()
    assert page.get_by_text("Careers: graduate open day").first.is_visible()
    assert _axe_serious(page) == []
    assert not Offboarding.objects.exists()

    page.get_by_role("button", name=f"Offboard {leaver.name} now").click()
    page.get_by_role("heading", name=f"Offboarding of {leaver.name}").wait_for()
    assert "is offboarded" in page.content()
    assert page.get_by_role("link", name="Download the report (CSV)").is_visible()
    report = page.locator("main").inner_text()
    assert "Grants removed" in report and "Not finished" not in report
    assert _axe_serious(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert _no_sideways_scroll(page)
    offboarding = Offboarding.objects.get()
    assert offboarding.finished_at is not None

    # Chloé, in a browser of her own, cannot sign in; the page says why.
    other = browser_page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    hers = other.new_page()
    _sign_in(hers, base, LEAVER)
    hers.get_by_text(DEACTIVATED_MESSAGE).wait_for()
    assert hers.url.startswith(f"{base}/signin/")
    other.close()
    context.close()
