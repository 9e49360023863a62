"""In a real Chromium under the Content-Security-Policy (no eval): the queue refreshes
itself every ten seconds, and skips refreshing while rows are ticked for a bulk action."""

from __future__ import annotations

import pytest

from roost.conftest import TEST_PASSWORD
from roost.core.models import Role
from roost.inbox import ingest
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_queue_polls_but_not_while_rows_are_ticked(
    browser_page, live_server, org, channel, make_user
):
    agent = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, email="cm@acme.example"
    )
    sandbox_inbound_add(
        account=account(), kind="direct_message", author_handle="ava", text="Hi there"
    )
    ingest.channel_ingest(channel=channel)
    page = browser_page
    base = live_server.url
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url)
            if request.headers.get("hx-request") == "true" and "/inbox/" in request.url
            else None
        ),
    )
    page.clock.install()
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/inbox/")
    page.locator("tr.conversation-row").first.wait_for()
    page.wait_for_load_state()

    page.clock.run_for(11_000)
    page.wait_for_timeout(500)
    assert len(polls) >= 1  # polling works without eval
    page.locator("tr.conversation-row input[name=ids]").first.check()
    before = len(polls)
    page.clock.run_for(31_000)
    page.wait_for_timeout(500)
    assert len(polls) == before
    assert page.locator("tr.conversation-row input[name=ids]").first.is_checked()
    page.locator("tr.conversation-row input[name=ids]").first.uncheck()
    page.clock.run_for(11_000)
    page.wait_for_timeout(500)
    assert len(polls) > before
