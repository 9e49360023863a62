"""Crisis in a real Chromium, in the demo: a manager opens an incident, turns crisis mode
on from it, sees the banner on every page, the paused posts and the playbook, ends crisis
mode, decides each held post and reads the post-incident report (and its PDF). axe finds
nothing critical or serious on any of these pages, and none is wider than a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from roost.core.demo import DEMO_PASSWORD
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.crisis.models import CrisisMode, Incident
from roost.demo import seed_demo_organization
from roost.publishing.models import Variant, VariantState

AXE = axe_file()
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def _check(page, name: str) -> list[str]:
    """axe's serious findings and sideways scrolling, wide and on a phone; a phone-sized
    screenshot of the page is kept under test-artifacts/."""
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
    page.screenshot(path=str(ARTIFACTS / f"crisis-{name}-phone.png"), full_page=True)
    page.set_viewport_size(WIDE)
    return problems


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_open_an_incident_run_crisis_mode_decide_the_held_posts_and_read_the_report(
    browser_page, live_server
):
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: set ROOST_AXE_CORE")
    seed_demo_organization()
    scheduled = Variant.objects.filter(state=VariantState.SCHEDULED).count()
    assert scheduled > 0, "the demo has posts waiting to go out"
    page = browser_page.context.browser.new_context(viewport=WIDE, bypass_csp=True).new_page()
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill("marco@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    problems: list[str] = []

    # The area's hub, then an incident opened by hand.
    page.get_by_role("link", name="Listening & Crisis").first.click()
    page.get_by_role("heading", name="Listening & Crisis").wait_for()
    problems += _check(page, "home")
    page.get_by_role("link", name="Open an incident").click()
    problems += _check(page, "incident-new")
    page.get_by_label("Title").fill("Aurora jacket heating panels overheating")
    page.get_by_label("Severity").select_option("sev1")
    page.get_by_label("Brand").select_option(label="Northwind EMEA")
    page.get_by_label("What is happening").fill("Reports of panels overheating on trains.")
    page.get_by_role("button", name="Open the incident").click()
    page.get_by_role("heading", name="Aurora jacket heating panels overheating").wait_for()
    incident = Incident.objects.get()
    assert incident.severity == "sev1" and incident.brand.name == "Northwind EMEA"
    assert "Opened by hand" in page.get_by_test_id("timeline").inner_text()
    problems += _check(page, "incident")

    # Crisis mode, for the whole organisation, from the incident.
    page.get_by_label("The whole organisation").check()
    page.get_by_role("button", name="Turn crisis mode on").click()
    banner = page.get_by_test_id("crisis-banner")
    banner.wait_for()
    assert "Crisis mode is on" in banner.inner_text()
    paused = page.get_by_test_id("paused-posts").locator("li")
    paused_count = Variant.objects.filter(state=VariantState.PAUSED).count()
    assert paused.count() == paused_count > 0
    playbook = page.get_by_test_id("playbook")
    assert "Product safety" in playbook.inner_text()
    assert "Wiemy o zgłoszeniach" in playbook.inner_text()
    problems += _check(page, "mode")
    # The banner is on every page, Today included, where the incident leads.
    page.goto(f"{base}/")
    assert page.get_by_test_id("crisis-banner").is_visible()
    assert "Aurora jacket heating panels overheating" in page.inner_text("main")
    page.goto(f"{base}/publish/")
    assert page.get_by_test_id("crisis-banner").is_visible()

    # Ending: the banner goes; each held post is decided; publishing resumes.
    page.get_by_test_id("crisis-banner").get_by_role("link").click()
    page.get_by_role("button", name="End crisis mode").click()
    page.get_by_role("heading", name="Held posts").wait_for()
    assert page.get_by_test_id("crisis-banner").count() == 0
    problems += _check(page, "review")
    crisis = CrisisMode.objects.get()
    assert crisis.held.count() == paused_count
    first = page.get_by_test_id("held-posts").locator("section").first
    first.get_by_role("button", name="Discard").click()
    first.get_by_test_id("decision").filter(has_text="Discard").wait_for()
    page.get_by_role("button", name="Publish them now").click()
    page.get_by_role("heading", name="Held posts").wait_for()
    assert list(crisis.held.order_by("pk").values_list("decision", flat=True)).count("") == 0
    page.get_by_role("button", name="Resume publishing and see the report").click()
    report = page.get_by_test_id("report")
    report.wait_for()
    text = report.inner_text()
    assert "What was paused" in text and "Discard" in text and "Publish now" in text
    assert "Crisis mode on" in text  # the timeline
    problems += _check(page, "report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert not Variant.objects.filter(state=VariantState.PAUSED).exists()
    assert problems == [], "\n".join(problems)
