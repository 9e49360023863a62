"""In a real Chromium: an agent corrects a conversation's sentiment on its page and its
intent in the split inbox with the keyboard alone (s or i, an arrow, Enter); the focus
comes back to the corrected label, the pages pass axe (no critical or serious
violation) and a 390 px phone shows the labels without sideways scrolling."""

from __future__ import annotations

import pytest

from roost.core.models import Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.inbox import ingest
from roost.inbox.corrections.adapter import LABELS
from roost.inbox.models import ClassificationCorrection, Conversation
from roost.inbox.tests.conftest import account
from roost.inbox.tests.test_split_browser import AXE, overflows, serious_violations, sign_in
from roost.sandbox.services import sandbox_inbound_add


def _next_label(field: str, current: str) -> str:
    """The option one ArrowRight away from the current one."""
    labels = LABELS[field]
    return labels[(labels.index(current) + 1) % len(labels)]


def _pressed(page, field: str) -> str:
    return page.locator(f"[data-label-field={field}] .label-option[aria-pressed=true]").inner_text()


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_an_agent_corrects_labels_by_keyboard_on_the_page_and_in_the_split_inbox(
    browser_page, live_server, org, channel, make_user
):
    agent = make_user(
        org, Role.COMMUNITY_MANAGER, channel_group=channel.channel_group, email="cm@acme.example"
    )
    sandbox_inbound_add(
        account=account(),
        kind="direct_message",
        author_handle="ola",
        text="The zip of my new jacket broke on the first day and nobody answers my emails",
    )
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get(author_handle="ola")
    page, base = browser_page, live_server.url
    sign_in(page, base, agent.email)

    # The conversation page: s goes to the sentiment, an arrow moves, Enter corrects.
    page.goto(f"{base}/inbox/c/{conversation.pk}/")
    page.wait_for_load_state()
    sentiment = _next_label("sentiment", conversation.sentiment)
    page.keyboard.press("s")
    focused = page.evaluate("document.activeElement.value")
    assert focused == conversation.sentiment
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/c/{conversation.pk}/#corrected-sentiment")
    page.wait_for_load_state()
    assert _pressed(page, "sentiment").lower() == sentiment
    assert page.evaluate("document.activeElement.value") == sentiment  # back where it was
    assert page.get_by_role("status").first.inner_text().startswith("Sentiment corrected")
    conversation.refresh_from_db()
    assert conversation.sentiment == sentiment

    # The split inbox: i goes to the intent.
    page.goto(f"{base}/inbox/work/{conversation.pk}/")
    page.wait_for_load_state()
    intent = _next_label("intent", conversation.intent)
    page.keyboard.press("i")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/work/{conversation.pk}/**#corrected-intent")
    page.wait_for_load_state()
    assert _pressed(page, "intent").lower() == intent
    assert page.evaluate("document.activeElement.value") == intent
    conversation.refresh_from_db()
    assert conversation.intent == intent
    corrections = ClassificationCorrection.objects.order_by("pk")
    assert [(c.field, c.new_value) for c in corrections] == [
        ("sentiment", sentiment),
        ("intent", intent),
    ]

    # Typing in the reply box is not a shortcut.
    page.get_by_label("Reply to ola", exact=False).fill("")
    page.get_by_label("Reply to ola", exact=False).press("s")
    assert page.evaluate("document.activeElement.id") == "reply-text"

    # axe is injected as a script, which the page's CSP refuses: a context that allows it.
    browser = page.context.browser
    audit = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    checked = audit.new_page()
    sign_in(checked, base, agent.email)
    for url in (f"{base}/inbox/work/{conversation.pk}/", f"{base}/inbox/c/{conversation.pk}/"):
        checked.goto(url)
        checked.wait_for_load_state()
        if AXE.exists():
            assert serious_violations(checked) == [], url
        checked.set_viewport_size({"width": 390, "height": 844})
        checked.goto(url)
        checked.wait_for_load_state()
        assert not overflows(checked), url
        checked.set_viewport_size({"width": 1280, "height": 900})
    checked.set_viewport_size({"width": 390, "height": 844})
    checked.goto(f"{base}/inbox/work/{conversation.pk}/")
    checked.locator("#conversation-labels").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    checked.screenshot(path=str(ARTIFACTS / "inbox-labels-phone.png"))
    audit.close()
