"""In a real Chromium: the split inbox opens a conversation beside the queue, a reply is
sent and the next conversation opens with the keyboard alone; the page passes axe
(no critical or serious violation) and a 390 px phone shows the list and the
conversation as two screens, with no sideways scrolling."""

from __future__ import annotations

import os
from typing import Any

import pytest

from roost.conftest import CHROMIUM_ARGS, TEST_PASSWORD
from roost.core.models import Role
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.inbox import ingest
from roost.inbox.models import Conversation, Direction
from roost.inbox.tests.conftest import account
from roost.inbox.tests.test_surges import OUTAGE
from roost.sandbox.services import sandbox_inbound_add

# Where `npm install axe-core@4` put it (run in the temporary directory); AXE_CORE overrides.
AXE = axe_file()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def overflows(page: Any) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.fixture
def agent(org, channel, make_user):
    person = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, email="cm@acme.example"
    )
    for author in ("ava", "ben", "cid"):  # the same need: the longest waiting comes first
        sandbox_inbound_add(
            account=account(), kind="direct_message", author_handle=author, text=f"Hi, {author}"
        )
        ingest.channel_ingest(channel=channel)
    return person


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_split_inbox_answers_conversations_with_the_keyboard_alone(
    browser_page, live_server, agent
):
    page = browser_page
    base = live_server.url
    sign_in(page, base, agent.email)
    page.goto(f"{base}/inbox/work/")
    rows = page.locator(".split-row[data-id]")
    rows.first.wait_for()
    page.wait_for_load_state()
    order = [rows.nth(i).get_attribute("data-id") for i in range(3)]
    authors = [Conversation.objects.get(pk=pk).author_handle for pk in order]

    page.keyboard.press("j")  # opens the first beside the queue, without leaving it
    page.locator(f'.split-pane[data-conversation-id="{order[0]}"]').wait_for()
    page.wait_for_url(f"**/inbox/work/{order[0]}/**")
    assert page.locator("#split-list .split-row").count() == 3  # the queue is still there
    assert rows.nth(0).locator("a").get_attribute("aria-current") == "true"
    page.keyboard.press("j")
    page.locator(f'.split-pane[data-conversation-id="{order[1]}"]').wait_for()
    page.keyboard.press("k")
    page.locator(f'.split-pane[data-conversation-id="{order[0]}"]').wait_for()

    for step, author in enumerate(authors[:2]):
        page.keyboard.press("r")
        page.keyboard.type(f"Thanks, {author}!")
        page.keyboard.press("Control+Enter")  # send, then the next conversation opens
        page.locator(f'.split-pane[data-conversation-id="{order[step + 1]}"]').wait_for()
        page.wait_for_load_state()
        sent = Conversation.objects.get(pk=order[step]).messages.filter(
            direction=Direction.OUTBOUND
        )
        assert [m.text for m in sent] == [f"Thanks, {author}!"]

    # The queue refreshes itself beside the open conversation, counts included.
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="dan", text="Hi")
    ingest.channel_ingest(channel=Conversation.objects.get(pk=order[0]).channel)
    page.locator(".split-row[data-id]").nth(3).wait_for(timeout=15_000)
    page.get_by_role("link", name="All open 4").wait_for()
    assert page.locator(f'.split-pane[data-conversation-id="{order[2]}"]').count() == 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-split.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_split_inbox_passes_axe_and_is_two_screens_on_a_phone(
    chromium_path, live_server, agent, channel
):
    if not AXE.exists():
        pytest.fail(f"axe-core is needed at {AXE} (npm install axe-core@4)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    for n, text in enumerate(OUTAGE):  # a surge, so its group and form are checked too
        sandbox_inbound_add(account=account(), kind="mention", author_handle=f"fan{n}", text=text)
    ingest.channel_ingest(channel=channel)
    base = live_server.url
    first = Conversation.objects.order_by("last_message_at").first()
    assert first is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            desktop = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page = desktop.new_page()
            sign_in(page, base, agent.email)
            for path in ("/inbox/work/", f"/inbox/work/{first.pk}/"):
                page.goto(base + path)
                page.wait_for_load_state()
                page.locator("details.surge summary").click()  # its form, open
                page.get_by_label("Do to all 4").wait_for()
                assert serious_violations(page) == [], path
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "inbox-split-desktop.png"), full_page=True)

            phone = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = phone.new_page()
            sign_in(page, base, agent.email)
            page.goto(f"{base}/inbox/work/")
            assert not overflows(page)
            assert page.locator(".split-queue").is_visible()
            assert not page.locator("#split-detail").is_visible()
            page.screenshot(path=str(ARTIFACTS / "inbox-split-phone-list.png"), full_page=True)
            page.locator(".split-row-link").first.click()  # the conversation's own screen
            page.locator(".split-pane").wait_for()
            assert not page.locator(".split-queue").is_visible()
            assert not overflows(page)
            assert serious_violations(page) == []
            page.screenshot(path=str(ARTIFACTS / "inbox-split-phone-open.png"), full_page=True)
            page.get_by_role("link", name="Back to the queue").click()
            page.locator(".split-queue").wait_for()
            assert not overflows(page)
        finally:
            browser.close()
