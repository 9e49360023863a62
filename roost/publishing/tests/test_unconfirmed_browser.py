"""In a real Chromium, on a phone-sized screen and under Roost's Content-Security-Policy:
a post whose copies went out unconfirmed on three channels is found through the Publish
list's filter and settled one copy at a time: checked again, marked published with its
link, and sent again after ticking the confirmation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from roost.channels import services as channel_services
from roost.core.models import Brand, ChannelGroup, Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.core.tests.test_csp_browser import PHONE, RECORD_VIOLATIONS
from roost.publishing import services
from roost.publishing.dispatch import dispatch_once
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.publishing.tests.test_publishing_browser import sign_in
from roost.publishing.tests.test_unconfirmed import W, make_unconfirmed_on
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxPost

LINK = "https://x.example/acme/status/1"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_settle_three_unconfirmed_copies_from_the_post_page(
    browser_page, live_server, make_org, make_user
):
    org = make_org("Browser Unconfirmed", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme", time_zone="UTC")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group, email="pub@acme.example")
    channels = {}
    for network, handle in (("bluesky", "acme.bsky"), ("x", "acme"), ("mastodon", "acme")):
        channel = channel_services.channel_create(
            actor=admin, organization=org, network=network, placement="post", handle=handle,
            channel_group=group, primary_owner=publisher,
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)
        channels[network] = channel
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=list(channels.values()),
        master_text="The answer got lost",
        scheduled_at=timezone.now() - dt.timedelta(seconds=1),
    )
    Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
    for network, went_out in (("bluesky", True), ("x", True), ("mastodon", False)):
        Variant.objects.filter(post=post, channel=channels[network]).update(
            state=VariantState.SCHEDULED
        )
        make_unconfirmed_on(channels[network], post, went_out=went_out)
    variants = {v.channel.network: v for v in post.variants.select_related("channel")}

    page = browser_page
    page.set_viewport_size(PHONE)
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url
    sign_in(page, base, publisher.email)

    page.goto(f"{base}/publish/")
    page.get_by_label("A channel copy is").select_option("unconfirmed")
    page.wait_for_url(re.compile(r"/publish/\?state=&variant_state=unconfirmed$"))
    page.goto(f"{base}/publish/")
    page.get_by_role("link", name="Show unconfirmed posts").click()
    page.wait_for_url("**/publish/?variant_state=unconfirmed")
    page.get_by_role("link", name="The answer got lost").click()
    page.get_by_text("3 channel copies have an unknown outcome").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "unconfirmed.png"), full_page=True)

    # Bluesky: check again finds the post.
    bluesky = page.locator(f"[data-unconfirmed='{variants['bluesky'].pk}']")
    bluesky.get_by_role("button", name="Check again on bluesky").click()
    page.get_by_text("bluesky has the post: it is marked published.").wait_for()
    assert Variant.objects.get(pk=variants["bluesky"].pk).state == VariantState.PUBLISHED

    # X: a link the browser takes and the server refuses, then the real one.
    x_panel = page.locator(f"[data-unconfirmed='{variants['x'].pk}']")
    x_panel.get_by_label("It went out: the post's link on x").fill("javascript:alert(1)")
    x_panel.get_by_role("button", name="Mark published").click()
    page.get_by_text("Enter the post's full http:// or https:// address").first.wait_for()
    assert Variant.objects.get(pk=variants["x"].pk).state == VariantState.UNCONFIRMED
    x_panel = page.locator(f"[data-unconfirmed='{variants['x'].pk}']")
    x_panel.get_by_label("It went out: the post's link on x").fill(LINK)
    x_panel.get_by_role("button", name="Mark published").click()
    page.get_by_text("acme: marked published.").wait_for()
    assert Variant.objects.get(pk=variants["x"].pk).url == LINK

    # Mastodon: send again is held back until the box is ticked.
    panel = page.locator(f"[data-unconfirmed='{variants['mastodon'].pk}']")
    panel.get_by_role("button", name="Send again").click()
    assert panel.get_by_role("checkbox").evaluate("box => !box.validity.valid")
    assert Variant.objects.get(pk=variants["mastodon"].pk).state == VariantState.UNCONFIRMED
    panel.get_by_role("checkbox").check()
    panel.get_by_role("button", name="Send again").click()
    page.get_by_text("queued to be sent again now").wait_for()
    assert page.locator("[data-unconfirmed]").count() == 0

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert page.evaluate("window.__violations || []") == [] and errors == []

    assert [r.outcome for r in dispatch_once(worker=W)] == ["published"]
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLISHED
    assert SandboxPost.objects.count() == 3  # two that went out, and the one sent again
