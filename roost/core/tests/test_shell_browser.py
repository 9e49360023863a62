"""The shell on a phone: the main menu folds behind a Menu button, closed until asked
for, and open on a wide screen where the button is not shown; without scripts the
<details> around the menu does the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from roost.conftest import CHROMIUM_ARGS, TEST_PASSWORD
from roost.core.models import Organization, Role, User

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_menu_folds_behind_a_button_on_a_phone_and_is_open_on_a_wide_screen(
    browser_page: Any,
    live_server: Any,
    make_org: Callable[..., Organization],
    make_user: Callable[..., User],
) -> None:
    person = make_user(make_org("Shell"), Role.PUBLISHER)
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    _sign_in(page, base, person.email)
    toggle = page.locator("header").get_by_role("button", name="Menu", include_hidden=True)
    menu = page.get_by_role("navigation", name="Main")
    calendar = menu.get_by_role("link", name="Calendar", include_hidden=True)

    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == "main-menu"
    assert not calendar.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert calendar.is_visible() and menu.get_by_role("button", name="Sign out").is_visible()
    calendar.focus()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not calendar.is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == "main-menu"

    page.set_viewport_size(WIDE)  # the menu follows the screen's width as it changes
    expect(calendar).to_be_visible()
    expect(toggle).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.set_viewport_size(PHONE)
    expect(calendar).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_without_scripts_the_menu_is_a_disclosure_on_a_phone_and_open_on_a_wide_screen(
    chromium_path: str,
    live_server: Any,
    make_org: Callable[..., Organization],
    make_user: Callable[..., User],
) -> None:
    person = make_user(make_org("Shell"), Role.PUBLISHER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        signed_in = browser.new_context(viewport=WIDE)
        _sign_in(signed_in.new_page(), live_server.url, person.email)
        context = browser.new_context(
            viewport=PHONE, java_script_enabled=False, storage_state=signed_in.storage_state()
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        calendar = page.get_by_role("link", name="Calendar")
        assert not page.get_by_role("button", name="Menu").is_visible()
        assert not calendar.is_visible()
        page.locator("summary", has_text="Menu").click()
        assert calendar.is_visible()
        page.set_viewport_size(WIDE)
        page.goto(f"{live_server.url}/")
        assert calendar.is_visible()
        assert not page.locator("summary", has_text="Menu").is_visible()
        browser.close()
