"""In a real Chromium: a lead types a query with a mistake and sees it marked at its
position as they type; fixes it, sees what it found in the last 7 days, saves the
monitor; the pages fit a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from roost.core.demo import DEMO_PASSWORD
from roost.demo import seed_demo_organization

ADMIN = "ada@northwind.example"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_a_lead_writes_a_query_sees_its_mistake_and_preview_and_saves_it(browser_page, live_server):
    seed_demo_organization()
    page, origin = browser_page, live_server.url
    page.goto(f"{origin}/signin/")
    page.get_by_label("E-mail").fill(ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{origin}/")

    page.goto(f"{origin}/listening/")
    assert page.get_by_test_id("monitors").get_by_text("Northwind EMEA mentions").is_visible()
    page.get_by_label("Name").fill("App outage")
    query = page.get_by_label("Query")
    query.fill('"app down" AND (northwind OR')
    mistake = page.get_by_test_id("query-mistake")
    mistake.wait_for()
    assert "at character" in mistake.inner_text()
    assert mistake.locator("mark").count() == 1

    query.fill('"app down" OR "can\'t log in"')
    preview = page.get_by_test_id("query-preview").get_by_role("heading")
    preview.wait_for()
    assert "The last 7 days:" in preview.inner_text()
    assert "0 matches" not in preview.inner_text()

    page.set_viewport_size({"width": 390, "height": 844})
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{width}px wide on a {inner}px phone"
    page.screenshot(path=ARTIFACTS / "listening-monitors-phone.png", full_page=True)

    page.get_by_role("button", name="Add monitor").click()
    page.wait_for_url(f"{origin}/listening/monitors/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "App outage"
    # The new monitor has gone through the last week of the inbox already.
    assert page.get_by_test_id("matches").get_by_text("since this morning").count() >= 1
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner
    page.screenshot(path=ARTIFACTS / "listening-monitor-phone.png", full_page=True)
