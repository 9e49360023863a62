"""In a real Chromium: the queue's poll goes through the browser's HTTP cache, which
asks with If-None-Match and takes the server's 304 as the rows it already has; htmx
needs no script of ours for it, and the rows stay on the page."""

from __future__ import annotations

import pytest

from roost.conftest import TEST_PASSWORD
from roost.core import conditional
from roost.core.models import Role
from roost.inbox import ingest
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_browser_revalidates_the_queue_poll_and_keeps_the_rows(
    browser_page, live_server, org, channel, make_user, monkeypatch
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
    polls: list[tuple[int, str]] = []

    def seen(response) -> None:  # type: ignore[no-untyped-def]
        request = response.request
        if request.headers.get("hx-request") == "true" and "/inbox/" in request.url:
            polls.append((response.status, request.all_headers().get("if-none-match", "")))

    page.on("response", seen)
    # What the server decided for each poll: the real check, watched (same process).
    matched: list[bool] = []
    check = conditional._matches

    def watched(request, etag) -> bool:  # type: ignore[no-untyped-def]
        matched.append(check(request, etag))
        return matched[-1]

    monkeypatch.setattr(conditional, "_matches", watched)
    page.clock.install()
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/inbox/")
    page.locator("tr.conversation-row").first.wait_for()
    page.wait_for_load_state()

    for _ in range(3):
        page.clock.run_for(11_000)
        page.wait_for_timeout(700)
    assert len(polls) >= 3
    # The first poll is answered in full; the next ones carry its ETag (the browser
    # adds it) and the server answers 304, which the browser turns into the kept rows.
    assert not polls[0][1] and all(etag for _, etag in polls[1:]), polls
    assert matched[0] is False and True in matched[1:], matched
    assert page.locator("tr.conversation-row").count() == 1
    assert "ava" in page.locator("#conversation-rows").inner_text()

    # A new message: the next poll brings the rows again.
    sandbox_inbound_add(account=account(), kind="direct_message", author_handle="bo", text="Hi")
    ingest.channel_ingest(channel=channel)
    page.clock.run_for(11_000)
    page.wait_for_timeout(700)
    assert matched[-1] is False, matched
    assert page.locator("tr.conversation-row").count() == 2
