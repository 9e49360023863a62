"""In a real Chromium: compose for 3 networks, fix a length error shown live, submit,
approve as another person, find the post on the calendar and drag it to another day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.channels import services as channel_services
from roost.conftest import TEST_PASSWORD
from roost.core.models import Brand, ChannelGroup, Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.publishing.approvals.workflows import StepSpec, workflow_create
from roost.publishing.models import Post, PostState
from roost.sandbox.channels import sandbox_channel_connect


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_compose_approve_and_drag_on_the_calendar(browser_page, live_server, make_org, make_user):
    org = make_org("Browser Publishing", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme", time_zone="UTC")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group, email="pub@acme.example")
    approver = make_user(org, Role.APPROVER, channel_group=group, email="approver@acme.example")
    for network, handle in (
        ("x", "acme"),
        ("bluesky", "acme.bsky"),
        ("mastodon", "@acme@social.example"),
    ):
        channel = channel_services.channel_create(
            actor=admin, organization=org, network=network, placement="post", handle=handle,
            channel_group=group, primary_owner=publisher,
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)
    workflow_create(
        actor=admin, organization=org, name="Brand check", channel_group=group,
        steps=[StepSpec(name="Brand", approver_role=Role.APPROVER)],
    )  # fmt: skip
    page = browser_page
    base = live_server.url

    sign_in(page, base, publisher.email)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Publish", exact=True
    ).click()
    page.get_by_role("link", name="New post").click()
    for label in (
        "acme · x post",
        "acme.bsky · bluesky post",
        "@acme@social.example · mastodon post",
    ):
        page.get_by_label(label).check()
    page.get_by_label("Text").fill("Big news! " + "a" * 280)
    x_check = page.get_by_test_id("check-x")
    x_check.get_by_text("Blocks:").wait_for()
    assert "too many" in x_check.inner_text()
    page.get_by_label("Text").fill("Big news: the Aurora jacket is back in stock.")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=check-x]').innerText.includes('Blocks')"
    )
    assert "45 / 280" in page.get_by_test_id("check-x").inner_text()
    tomorrow = (timezone.now() + dt.timedelta(days=2)).date()
    page.get_by_label("Publish at (your time zone)").fill(f"{tomorrow.isoformat()}T10:00")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Awaiting decision").wait_for()
    post = Post.objects.get()
    assert post.state == PostState.IN_APPROVAL

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, approver.email)
    page.goto(f"{base}/publish/approvals/")
    page.get_by_role("link", name=str(post)).first.click()
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved").first.wait_for()
    post.refresh_from_db()
    assert post.state == PostState.SCHEDULED

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, publisher.email)
    page.goto(f"{base}/publish/calendar/?date={tomorrow.isoformat()}")
    source = page.get_by_test_id(f"day-{tomorrow.isoformat()}").locator(".calendar-item").first
    assert "Aurora" in source.inner_text()
    target_day = tomorrow + dt.timedelta(days=1)
    source.drag_to(page.get_by_test_id(f"day-{target_day.isoformat()}"))
    page.get_by_text(f"Moved to {target_day:%a %d %b}").wait_for()
    post.refresh_from_db()
    assert timezone.localtime(post.scheduled_at, dt.UTC).date() == target_day
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "calendar.png"), full_page=True)
