"""Connecting a Threads profile in a real Chromium, as a demo admin would: the app is
entered, the browser goes to the network's sign-in and comes back, the profile is
chosen. The network is a contract server answering as Meta's Threads reference
documents it; its consent screen is a redirect straight back, as after "Allow"."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from roost.channels.models import Channel, NetworkApp
from roost.core.demo import DEMO_PASSWORD, seed_demo
from roost.core.tests.test_accessibility_browser import _axe_source
from roost.core.tests.test_browser import ARTIFACTS
from roost.sandbox.channels import seed_demo_channels

PROFILE = {"id": "25123456789012345", "username": "northwind.threads", "name": "Northwind"}


def _no_axe_violations(page) -> None:  # type: ignore[no-untyped-def]
    """axe on the page, wide and on a phone, seen by the same person in a second tab
    that lets axe's script in (the page under test keeps Roost's policy)."""
    browser = page.context.browser
    context = browser.new_context(bypass_csp=True, storage_state=page.context.storage_state())
    try:
        checked = context.new_page()
        for size in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
            checked.set_viewport_size(size)
            checked.goto(page.url)
            checked.add_script_tag(content=_axe_source())
            found = checked.evaluate("async () => (await axe.run(document)).violations")
            assert found == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]
            wide = checked.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, f"{page.url} scrolls sideways at {size['width']} px"
    finally:
        context.close()


def _sign_in_as_ada(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """Ada, the demo organisation's admin, signs in."""
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _allow(request: Request) -> Response:
    """The network's consent screen, as if the person chose "Allow" at once."""
    back = request.args["redirect_uri"]
    query = urlencode({"code": "AQBcode", "state": request.args["state"]})
    return Response(status=302, headers={"Location": f"{back}?{query}"})


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_demo_admin_enters_the_app_and_connects_a_threads_profile(
    browser_page, live_server, httpserver: HTTPServer, settings
):
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_BASE_URL = live_server.url
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.threads.net": base,
        "https://threads.com": base,
    }
    httpserver.expect_request("/oauth/authorize").respond_with_handler(_allow)
    httpserver.expect_request("/oauth/access_token", method="POST").respond_with_json(
        {"access_token": "THshort", "user_id": PROFILE["id"]}
    )
    httpserver.expect_request("/access_token").respond_with_json(
        {"access_token": "THlong", "token_type": "bearer", "expires_in": 5184000}
    )
    httpserver.expect_request("/v1.0/me").respond_with_json(PROFILE)
    org = seed_demo()
    seed_demo_channels(org)

    page = browser_page
    _sign_in_as_ada(page, live_server.url)
    page.goto(f"{live_server.url}/settings/channels/")
    page.get_by_role("link", name="Network apps").click()
    threads = page.get_by_role("form", name="Threads app")
    assert "/settings/channels/connect/threads/callback/" in page.content()
    threads.get_by_label("Threads client id").fill("1234567890")
    threads.get_by_label("Threads client secret").fill("th-app-secret")
    threads.get_by_role("button", name="Save the Threads app").click()
    page.get_by_text("The app is saved.").wait_for()
    _no_axe_violations(page)
    assert "th-app-secret" not in page.content()
    assert NetworkApp.objects.filter(organization=org, network="threads").exists()

    page.get_by_role("link", name="Connect Threads accounts").click()
    page.get_by_label("Channel group").select_option(label="Consumer EMEA")
    page.get_by_role("button", name="Continue to Threads").click()
    page.get_by_role("heading", name="Choose the accounts").wait_for()
    _no_axe_violations(page)
    page.get_by_role("group", name="Northwind").get_by_label("post").check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "network-connect-choose.png"), full_page=True)
    page.get_by_role("button", name="Add the chosen channels").click()
    page.get_by_text("@northwind.threads (post) was added.").wait_for()
    channel = Channel.objects.get(organization=org, network="threads", handle="@northwind.threads")
    assert channel.connector == "threads" and channel.external_id == PROFILE["id"]
    assert channel.channel_group.name == "Consumer EMEA"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_admin_enters_the_x_apps_webhook_and_sees_where_x_should_send(
    browser_page, live_server, settings
):
    settings.ROOST_BASE_URL = live_server.url
    org = seed_demo()
    page = browser_page
    _sign_in_as_ada(page, live_server.url)
    page.goto(f"{live_server.url}/settings/channels/apps/")
    x = page.get_by_role("form", name="X app")
    x.get_by_label("X client id").fill("x-client")
    x.get_by_label("X client secret").fill("x-oauth-secret")
    x.get_by_label("X webhook id").fill("not a number")
    x.get_by_label("X API key secret (consumer secret)").fill("x-consumer-secret")
    x.get_by_role("button", name="Save the X app").click()
    page.get_by_text("is a number of up to 19 digits").wait_for()
    assert not NetworkApp.objects.filter(organization=org, network="x").exists()
    x = page.get_by_role("form", name="X app")
    x.get_by_label("X client secret").fill("x-oauth-secret")
    x.get_by_label("X webhook id").fill("1976325569252868099")
    x.get_by_label("X API key secret (consumer secret)").fill("x-consumer-secret")
    x.get_by_role("button", name="Save the X app").click()
    page.get_by_text("The app is saved.").wait_for()
    app = NetworkApp.objects.get(organization=org, network="x")
    assert app.push_id == "1976325569252868099"
    assert f"{live_server.url}/hooks/x/{app.webhook_id}/" in page.content()
    assert "x-consumer-secret" not in page.content() and "x-oauth-secret" not in page.content()
    _no_axe_violations(page)
    section = page.locator("section", has=page.get_by_role("heading", name="X", exact=True))
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    section.screenshot(path=str(ARTIFACTS / "network-apps-x-wide.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    section.screenshot(path=str(ARTIFACTS / "network-apps-x-phone.png"))
