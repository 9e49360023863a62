"""Importing channels from a CSV in a real Chromium, as a demo admin would."""

from __future__ import annotations

import pytest

from roost.channels.models import Channel
from roost.core.demo import DEMO_PASSWORD, seed_demo
from roost.core.tests.test_browser import ARTIFACTS
from roost.sandbox.channels import seed_demo_channels

GOOD = (
    "network,placement,handle,display_name,channel_group,brand,primary_owner,backup_owner\n"
    "instagram,reels,northwind.careers,Careers Reels,Careers,,"
    "ada@northwind.example,marco@northwind.example\n"
    "threads,post,northwind.eu,Northwind Europe,Consumer EMEA,,"
    "priya@northwind.example,chloe@northwind.example\n"
)
BAD = GOOD + "myspace,post,northwind,Old,Careers,,ada@northwind.example,\n"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_demo_admin_imports_channels_from_csv(browser_page, live_server):
    org = seed_demo()
    seed_demo_channels(org)
    before = Channel.objects.count()
    page = browser_page
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Channels", exact=True).click()
    assert page.get_by_text(f"{before} channels").is_visible()
    page.get_by_role("link", name="Import CSV").click()

    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "channels.csv", "mimeType": "text/csv", "buffer": BAD.encode()}]
    )
    page.get_by_role("button", name="Check").click()
    errors = page.get_by_test_id("import-errors")
    assert "Line 4: Unknown network 'myspace'" in errors.inner_text()
    assert Channel.objects.count() == before

    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "channels.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}]
    )
    page.get_by_label("Dry run: check only, import nothing").uncheck()
    page.get_by_role("button", name="Check").click()
    page.wait_for_url(f"{live_server.url}/settings/channels/")
    assert page.get_by_text("Imported 2 channels.").is_visible()
    assert Channel.objects.count() == before + 2
    page.get_by_label("Network").select_option("threads")
    page.locator("#channel-rows").get_by_text("2 channels").wait_for()  # the demo has one already
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "channels.png"), full_page=True)
