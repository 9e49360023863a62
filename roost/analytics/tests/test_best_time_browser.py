"""In a real Chromium: choosing a channel in the composer shows its best hours beside the
date field, and clicking one fills the field."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest

from roost.analytics.record import PostReading, post_reading_record
from roost.channels import services as channel_services
from roost.conftest import CHROMIUM_ARGS
from roost.core.models import Brand, ChannelGroup, Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.publishing.tests.test_publishing_browser import sign_in

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.fixture
def chromium(chromium_path: str) -> Iterator[Any]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def history(make_org, make_user, make_published):
    org = make_org("Browser Best Time", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme Norge", time_zone="Europe/Oslo")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group, email="pub@besttime.example")
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="linkedin", placement="post", handle="acme-no",
        channel_group=group, primary_owner=publisher, brand=brand,
    )  # fmt: skip
    this_week = dt.datetime.now(OSLO).date() - dt.timedelta(days=7)
    monday = this_week - dt.timedelta(days=this_week.weekday())
    for week in range(8):
        for weekday, hour, engaged in ((2, 18, 80), (4, 8, 20)):
            day = monday - dt.timedelta(weeks=week) + dt.timedelta(days=weekday)
            at = dt.datetime.combine(day, dt.time(hour, 5), tzinfo=OSLO).astimezone(dt.UTC)
            variant = make_published(channel, at)
            post_reading_record(
                variant=variant,
                reading=PostReading(impressions=1000, likes=engaged, comments=0, shares=0),
                read_at=at + dt.timedelta(days=1),
            )
    return publisher


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_clicking_a_suggested_time_fills_the_date_field(chromium, live_server, history):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, history.email)
    page.goto(f"{live_server.url}/publish/new/")
    page.get_by_label("acme-no · linkedin post").check()

    suggestion = page.locator("[data-fill-schedule]").first
    suggestion.wait_for()
    wanted = suggestion.get_attribute("data-fill-schedule")
    assert page.get_by_text("Wednesdays 18:00").first.is_visible()
    suggestion.click()

    assert page.locator("input[name=scheduled_at]").input_value() == wanted
    page.screenshot(path=str(ARTIFACTS / "composer-best-time.png"), full_page=True)
    context.close()
