"""The web shell in a real Chromium: sign in with password and TOTP, walk every area."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from roost.conftest import TEST_PASSWORD
from roost.core.models import Role
from roost.core.navigation import AREAS
from roost.core.tests.test_signin import current_code, wrong_code

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_sign_in_with_password_and_totp_then_walk_every_area(
    browser_page, live_server, make_org, make_user
):
    org = make_org("Northwind Browser", require_two_factor=True)
    user = make_user(org, Role.MANAGER, time_zone="Europe/Warsaw")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page = browser_page
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )

    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/signin/verify/")

    code_field = page.get_by_label("Six-digit code from your authenticator app")
    code_field.fill(wrong_code(device))
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_text("That code is not right.").is_visible()
    page.get_by_label("Six-digit code from your authenticator app").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")

    assert page.get_by_test_id("organization").inner_text() == "Northwind Browser"
    assert page.get_by_test_id("role").inner_text() == "Manager"
    assert page.get_by_test_id("time-zone").inner_text() == "Europe/Warsaw"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "today.png"), full_page=True)

    nav = page.get_by_role("navigation", name="Main")
    for area in AREAS:
        nav.get_by_role("link", name=area.label, exact=True).click()
        page.wait_for_load_state()
        heading = page.get_by_role("heading", level=1)
        assert heading.is_visible(), area.label
        assert "Not allowed" not in heading.inner_text(), area.label
        current = nav.locator("[aria-current=page]")
        assert current.inner_text() == area.label
    assert failures == []

    # Governance filters swap the results in place through HTMX.
    nav.get_by_role("link", name="Governance", exact=True).click()
    page.get_by_role("navigation", name="Governance").get_by_role("link", name="Audit log").click()
    page.get_by_label("Action starts with").fill("core.signin")
    with page.expect_response(
        lambda r: "action=core.signin" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_role("button", name="Filter").click()
    results = page.locator("#audit-results")
    results.get_by_text("core.signin.succeeded").first.wait_for()
    assert "core.organization.created" not in results.inner_text()

    # Keyboard: the skip link is the first stop and moves focus to the content.
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_shell_works_on_a_phone(browser_page, live_server, make_org, make_user):
    org = make_org("Phone Org", is_demo=True)
    user = make_user(org, Role.VIEWER)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
    page.get_by_role("button", name="Menu").click()  # the menu is folded on a phone
    page.get_by_role("link", name="On call", exact=True).click()
    page.get_by_role("heading", name="On call", exact=True).wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"On call is {width}px wide on a 390px screen"
    page.screenshot(path=str(ARTIFACTS / "phone-oncall.png"), full_page=True)
    # An area still to come says so plainly.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Knowledge", exact=True).click()
    assert page.get_by_test_id("not-built").is_visible()
