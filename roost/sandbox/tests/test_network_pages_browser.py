"""In a real Chromium: an agent follows a conversation's "open" link to the sandbox
network's page of the comment, and from there to the post it answers."""

from __future__ import annotations

import pytest

from roost.core.tests.test_browser import ARTIFACTS
from roost.inbox.models import Conversation
from roost.inbox.tests.test_collision_browser import sign_in
from roost.sandbox.tests.test_network_pages import world  # noqa: F401 (a fixture)


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_an_agent_opens_a_comment_and_its_post_on_the_sandbox_network(
    browser_page,
    live_server,
    world,  # noqa: F811 (the fixture imported above)
):
    page = browser_page
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    base = live_server.url
    sign_in(page, base, world["agent"].email)
    conversation = Conversation.objects.get(author_handle="ola")
    page.goto(f"{base}/inbox/c/{conversation.pk}/")
    page.locator(".message-item").filter(has_text="In size XS too?").get_by_role(
        "link", name="open"
    ).click()
    page.get_by_role("heading", name="Comment by ola").wait_for()
    assert page.get_by_text("Yes, from XS to XXL.").is_visible()
    page.screenshot(path=str(ARTIFACTS / "sandbox-network-comment.png"), full_page=True)
    page.locator(".message-item").filter(has_text="Winter jackets are in.").get_by_role(
        "link", name="open"
    ).click()
    page.get_by_role("heading", name="Post by northwind").wait_for()
    assert page.get_by_text("1 reply · 0 likes").is_visible()
    page.screenshot(path=str(ARTIFACTS / "sandbox-network-post.png"), full_page=True)
    assert failures == []
