"""The demo as a newcomer finds it: every analytics page opens in Chromium for the
demo's analyst without an error, with charts and words drawn from the demo's ninety
days, on a wide screen and on a phone; screenshots are saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from roost.core.demo import DEMO_PASSWORD
from roost.demo import seed_demo_organization

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
DASHBOARDS = ("", "network/", "channel/", "campaign/", "community/", "publishing/")
OTHERS = ("competitors/", "reports/", "definitions/")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_every_analytics_page_of_the_demo_opens_for_its_analyst(browser_page, live_server):
    seed_demo_organization()
    page = browser_page
    page.set_default_timeout(120_000)  # the machine may be busy; nothing here is timed
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill("ana@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    ARTIFACTS.mkdir(exist_ok=True)
    for width, screen in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for path in DASHBOARDS + OTHERS:
            page.goto(f"{live_server.url}/analytics/{path}")
            name = path.strip("/") or "overview"
            if path in DASHBOARDS:
                board = page.get_by_test_id("dashboard")
                assert board.get_attribute("data-kind") == name
                assert page.locator("svg.chart-svg").count() >= 1, name
                assert page.get_by_test_id("narrative").is_visible(), name
                if name in ("overview", "network", "channel"):  # ninety days of figures
                    assert page.get_by_test_id("narrative").locator("li").count() >= 3, name
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} is {scroll}px wide on a {width}px screen"
            page.screenshot(
                path=str(ARTIFACTS / f"demo-analytics-{name}-{screen}.png"), full_page=True
            )
    # The overview's figures come from the demo's history, not from nothing.
    page.goto(f"{live_server.url}/analytics/?days=90")
    engagements = page.get_by_test_id("figure-engagements").inner_text()
    assert any(char.isdigit() and char != "0" for char in engagements), engagements
    assert not failures, failures
