"""In a real Chromium: walk the inbox with j, open a conversation, go to the next one with
j, close it with e, and open the shortcut list with ?."""

from __future__ import annotations

import pytest

from roost.conftest import TEST_PASSWORD
from roost.core.models import Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.inbox import ingest
from roost.inbox.models import Conversation, ConversationStatus
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_keyboard_shortcuts_walk_close_and_explain(
    browser_page, live_server, org, channel, make_user
):
    agent = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, email="cm@acme.example"
    )
    for author in ("ava", "ben", "cid"):  # the newest is listed first: cid, ben, ava
        sandbox_inbound_add(
            account=account(), kind="direct_message", author_handle=author, text=f"Hi, {author}"
        )
        ingest.channel_ingest(channel=channel)
    page = browser_page
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/inbox/")
    rows = page.locator("tr.conversation-row")
    rows.first.wait_for()
    page.wait_for_load_state()
    first_author = rows.nth(0).locator("a").inner_text()
    second_author = rows.nth(1).locator("a").inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert "is-selected" in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=first_author).wait_for()
    page.wait_for_load_state()  # the shortcuts script runs once the page has loaded

    page.keyboard.press("j")  # the next conversation of the queue
    page.get_by_role("heading", level=1, name=second_author).wait_for()
    page.wait_for_load_state()
    page.keyboard.press("r")
    page.keyboard.type("je ")  # typing: no shortcut fires
    assert page.get_by_label(f"Reply to {second_author}", exact=False).input_value() == "je "
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    page.get_by_role("button", name="Reopen").wait_for()
    page.wait_for_load_state()
    closed = Conversation.objects.get(author_handle=second_author)
    assert closed.status == ConversationStatus.CLOSED

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    assert "Close the conversation" in dialog.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-shortcuts.png"), full_page=True)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
