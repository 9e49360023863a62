"""An access review in a real Chromium, in the demo: the admin starts it, the manager
finds it on Today and decides with the keyboard (one item with a comment, then two at
once), the admin closes it and reads the report and its PDF. axe finds nothing critical
or serious on these pages, and none is wider than a phone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from roost.core.demo import DEMO_PASSWORD
from roost.core.models import Membership, Role
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.demo import seed_demo_organization
from roost.governance.reviews.models import Campaign, Decision

AXE = axe_file()
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def _check(page, name: str) -> list[str]:
    problems: list[str] = []
    for size, label in ((WIDE, "wide"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)
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
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"access-review-{name}-phone.png"), full_page=True)
    page.set_viewport_size(WIDE)
    return problems


def _sign_in(browser, base: str, email: str):
    page = browser.new_context(viewport=WIDE, bypass_csp=True).new_page()
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_run_an_access_review_as_the_admin_and_attest_as_a_manager(browser_page, live_server):
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: set ROOST_AXE_CORE")
    seed_demo_organization()
    browser, base = browser_page.context.browser, live_server.url
    problems: list[str] = []

    # Ada starts a review of every channel group and the organisation-wide grants.
    ada = _sign_in(browser, base, "ada@northwind.example")
    ada.goto(f"{base}/governance/")
    ada.get_by_role("link", name="Access reviews", exact=True).click()
    ada.get_by_role("heading", name="Access reviews").wait_for()
    problems += _check(ada, "campaigns")
    ada.get_by_role("link", name="Start a review").click()
    problems += _check(ada, "new")
    ada.get_by_label("Name").fill("Winter access review")
    ada.get_by_label("Every channel group").check()
    ada.get_by_label("Also the grants on the whole organisation").check()
    ada.get_by_role("button", name="Start the review").click()
    ada.get_by_role("heading", name="Access review: Winter access review").wait_for()
    campaign = Campaign.objects.get()
    total = campaign.items.count()
    assert total == Membership.objects.filter(organization=campaign.organization).count()
    assert f"0 of {total} decided" in ada.get_by_test_id("progress").inner_text()
    problems += _check(ada, "campaign")

    # Marco finds his part on Today and decides with the keyboard alone.
    marco = _sign_in(browser, base, "marco@northwind.example")
    marco.get_by_role("link", name="Review them").click()
    marco.get_by_role("heading", name="My access reviews").wait_for()
    problems += _check(marco, "mine")
    mine = campaign.items.filter(reviewers__email="marco@northwind.example")
    assert marco.get_by_test_id("review-item").count() == mine.count() > 3
    assert not mine.filter(person__email="marco@northwind.example").exists()
    priya = mine.get(person__email="priya@northwind.example", role=Role.PUBLISHER)
    marco.get_by_label("Comment on Priya Publisher, Publisher on Consumer EMEA").focus()
    marco.keyboard.type("Runs the EMEA launches")
    marco.keyboard.press("Enter")  # Enter in a comment decides nothing
    marco.keyboard.press("Tab")
    assert marco.evaluate("document.activeElement.textContent.trim()") == "Keep"
    marco.keyboard.press("Enter")
    marco.get_by_text("Priya Publisher: kept.").wait_for()
    priya.refresh_from_db()
    assert (priya.decision, priya.comment) == (Decision.KEEP, "Runs the EMEA launches")
    # Two at once: Sam's and Victor's access goes.
    for label in (
        "Select Sam Community, Community manager on Consumer Americas",
        "Select Victor Viewer, Viewer on Whole organisation",
    ):
        marco.get_by_label(label).focus()
        marco.keyboard.press("Space")
    marco.get_by_label("Comment (optional)").fill("Left the team")
    marco.get_by_role("button", name="Revoke selected").focus()
    marco.keyboard.press("Enter")
    marco.get_by_text("revoked.").wait_for()
    # Those two grants go; Victor's temporary Analyst cover is an item of its own.
    assert not Membership.objects.filter(
        user__email="sam@northwind.example", role="community_manager"
    ).exists()
    assert not Membership.objects.filter(
        user__email="victor@northwind.example", role="viewer"
    ).exists()

    # Ada sees the progress, closes the review and reads the report.
    ada.reload()
    assert f"3 of {total} decided" in ada.get_by_test_id("progress").inner_text()
    ada.get_by_role("button", name="Close the review").click()
    report = ada.get_by_test_id("report")
    report.wait_for()
    text = report.inner_text()
    assert "Sam Community" in text and "Left the team" in text and "Runs the EMEA launches" in text
    assert "Unanswered" in text
    problems += _check(ada, "report")
    with ada.expect_download() as download:
        ada.get_by_role("link", name="PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    words = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Access review: Winter access review" in words and "Revoked: 2" in words
    assert problems == [], "\n".join(problems)
