"""In a real Chromium, two people in two browser contexts on one conversation: each sees
the other, one sees the other typing, and a reply that would cross another is held until
confirmed. Both replies reach the sandbox network."""

from __future__ import annotations

import pytest

from roost.channels import services as channel_services
from roost.conftest import TEST_PASSWORD
from roost.core.models import ChannelGroup, Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.inbox import ingest
from roost.inbox.models import Conversation, Direction
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_inbound_add

REPLY_BOX = "Reply to liam (sent to x)"


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_two_people_see_each_other_and_a_crossing_reply_is_held(
    browser_page, live_server, make_org, make_user
):
    org = make_org("Browser Inbox")
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    admin = make_user(org, Role.ADMIN)
    ana = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group, email="ana@acme.example")
    ben = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group, email="ben@acme.example")
    for person, name in ((ana, "Ana Nowak"), (ben, "Ben Okafor")):
        person.name = name
        person.save(update_fields=["name"])
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme",
        channel_group=group, primary_owner=ana,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    sandbox_inbound_add(
        account=SandboxAccount.objects.get(network="x", handle="acme"),
        kind="direct_message",
        author_handle="liam",
        text="Where is order 123?",
    )
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get(channel=channel)
    inbound = conversation.messages.get()
    base = live_server.url
    url = f"{base}/inbox/c/{conversation.pk}/"

    page_a = browser_page
    context_b = page_a.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page_b = context_b.new_page()
        sign_in(page_a, base, ana.email)
        sign_in(page_b, base, ben.email)

        page_a.goto(url)
        reply_a = page_a.get_by_label(REPLY_BOX)
        reply_a.press_sequentially("Hi Liam, ", delay=20)

        page_b.goto(url)
        presence_a = page_a.locator("[data-presence-list]")
        presence_b = page_b.locator("[data-presence-list]")
        # Ana keeps typing, so she stays "typing" while Ben's page comes up.
        reply_a.press_sequentially("your parcel left ", delay=50)
        presence_b.get_by_text("Ana Nowak is typing a reply…").wait_for(timeout=10_000)
        assert presence_b.get_attribute("role") == "status"
        assert presence_b.get_attribute("aria-live") == "polite"
        presence_a.get_by_text("Ben Okafor is viewing").wait_for(timeout=10_000)
        assert "Ana Nowak" not in presence_a.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page_b.screenshot(path=str(ARTIFACTS / "inbox-collision.png"), full_page=True)

        # Ben answers first, from his page.
        page_b.get_by_label(REPLY_BOX).fill("On it, Liam: checking with the warehouse.")
        page_b.get_by_role("button", name="Send reply").click()
        page_b.get_by_text("Reply sent.").wait_for()

        # Ana is told before she sends, and her send is held with the draft kept.
        presence_a.get_by_text("after you opened this conversation").wait_for(timeout=10_000)
        reply_a.press_sequentially("this morning.", delay=10)
        page_a.get_by_role("button", name="Send reply").click()
        page_a.get_by_text("Someone replied while you were typing").wait_for()
        assert page_a.get_by_label(REPLY_BOX).input_value() == (
            "Hi Liam, your parcel left this morning."
        )
        assert not SandboxPost.objects.filter(text__startswith="Hi Liam").exists()

        page_a.get_by_label("Send anyway", exact=False).check()
        page_a.get_by_role("button", name="Send reply").click()
        page_a.get_by_text("Reply sent.").wait_for()
    finally:
        context_b.close()

    for person, text in (
        (ben, "On it, Liam: checking with the warehouse."),
        (ana, "Hi Liam, your parcel left this morning."),
    ):
        assert SandboxPost.objects.filter(text=text, reply_to=inbound.external_id).count() == 1
        assert conversation.messages.filter(
            direction=Direction.OUTBOUND, sent_by=person, text=text
        ).exists()


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_split_inbox_pane_shows_who_else_is_here_and_follows_the_open_conversation(
    browser_page, live_server, make_org, make_user
):
    org = make_org("Browser Split Presence")
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    admin = make_user(org, Role.ADMIN)
    ana = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group, email="ana@split.example")
    ben = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group, email="ben@split.example")
    for person, name in ((ana, "Ana Nowak"), (ben, "Ben Okafor")):
        person.name = name
        person.save(update_fields=["name"])
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme",
        channel_group=group, primary_owner=ana,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    for author, text in (("liam", "Where is order 123?"), ("mia", "Do you ship to Oslo?")):
        sandbox_inbound_add(
            account=SandboxAccount.objects.get(network="x", handle="acme"),
            kind="direct_message",
            author_handle=author,
            text=text,
        )
    ingest.channel_ingest(channel=channel)
    liam = Conversation.objects.get(channel=channel, author_handle="liam")
    base = live_server.url

    page_a = browser_page
    context_b = page_a.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page_b = context_b.new_page()
        sign_in(page_a, base, ana.email)
        sign_in(page_b, base, ben.email)

        # Ana works from the split inbox: the row opens the conversation in the pane.
        page_a.goto(f"{base}/inbox/work/?queue=all")
        page_a.locator(".split-row-link", has_text="liam").click()
        page_a.wait_for_url(f"**/inbox/work/{liam.pk}/**")
        pane_a = page_a.locator("#split-detail [data-presence-list]")
        pane_a.wait_for(state="attached")  # empty, so without a size, until someone comes
        assert pane_a.get_attribute("role") == "status"
        assert pane_a.get_attribute("aria-live") == "polite"

        # Ben opens it on its own page and types: Ana's pane says so, and he sees her.
        page_b.goto(f"{base}/inbox/c/{liam.pk}/")
        presence_b = page_b.locator("[data-presence-list]")
        presence_b.get_by_text("Ana Nowak is viewing").wait_for(timeout=10_000)
        page_b.get_by_label(REPLY_BOX).press_sequentially("Hi Liam, checking ", delay=50)
        pane_a.get_by_text("Ben Okafor is typing a reply…").wait_for(timeout=10_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page_a.screenshot(path=str(ARTIFACTS / "split-presence.png"), full_page=True)

        # Ana moves to the next conversation in the pane: she has left Liam's at once,
        # and her pane now watches Mia's, where nobody else is.
        page_a.locator(".split-row-link", has_text="mia").click()
        page_a.locator("#split-detail").get_by_text("Do you ship to Oslo?").wait_for()
        page_b.get_by_text("Ana Nowak is viewing").wait_for(state="detached", timeout=10_000)
        assert "Ben Okafor" not in page_a.locator("#split-detail [data-presence-list]").inner_text()
        assert page_a.locator("[data-presence-url]").count() == 1
    finally:
        context_b.close()
