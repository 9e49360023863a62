"""In a real Chromium, at desktop width and at a 390 px phone width: type in the composer
and watch every chosen network's preview follow while typing, beside the text; the page
never scrolls sideways and axe-core finds nothing critical or serious."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from roost.channels import services as channel_services
from roost.conftest import CHROMIUM_ARGS
from roost.core.models import Brand, ChannelGroup, Role
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.media.tests.conftest import make_image
from roost.publishing.approvals.workflows import StepSpec, workflow_create
from roost.publishing.tests.test_publishing_browser import sign_in
from roost.sandbox.channels import sandbox_channel_connect

AXE = axe_file()
NETWORKS = (
    ("x", "post", "acme"),
    ("linkedin", "post", "acme-li"),
    ("instagram", "square", "acme.gram"),
    ("mastodon", "post", "@acme@social.example"),
    ("x", "post", "acme_uk"),
)
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


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
def composer_world(make_org, make_user):
    org = make_org("Browser Composer", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme", time_zone="UTC")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group, email="pub@acme.example")
    make_user(org, Role.APPROVER, channel_group=group, email="approver@acme.example")
    for network, placement, handle in NETWORKS:
        channel = channel_services.channel_create(
            actor=admin, organization=org, network=network, placement=placement, handle=handle,
            channel_group=group, primary_owner=publisher, brand=brand,
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)
    workflow_create(
        actor=admin, organization=org, name="Brand check", channel_group=group,
        steps=[StepSpec(name="Brand", approver_role=Role.APPROVER)],
    )  # fmt: skip
    return publisher


def _open_composer(page: Any, base: str, email: str) -> None:
    sign_in(page, base, email)
    page.goto(f"{base}/publish/new/")
    page.get_by_label("All 2 of Acme · X").wait_for()


def _choose(page: Any) -> None:
    """The X group whole (both channels), and the others one by one."""
    search = page.get_by_label("Search channels")
    search.fill("uk")
    assert page.get_by_label("acme_uk · x post").is_visible()
    assert not page.get_by_label("acme-li · linkedin post").is_visible()
    search.fill("linkedin")
    assert page.get_by_label("acme-li · linkedin post").is_visible()
    assert not page.get_by_label("acme_uk · x post").is_visible()
    search.fill("")
    page.get_by_label("All 2 of Acme · X").check()
    assert page.get_by_label("acme_uk · x post").is_checked()
    for label in ("acme-li · linkedin post", "acme.gram · instagram square"):
        page.get_by_label(label).check()
    page.get_by_label("@acme@social.example · mastodon post").check()


def _no_sideways_scroll(page: Any) -> None:
    page.screenshot(path=str(ARTIFACTS / "composer-overflow.png"), full_page=True)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
        ".right > document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className)"
        ".slice(0, 8)"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px: {wide}"


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_each_networks_preview_follows_the_text_while_typing(
    chromium, live_server, composer_world, width, tmp_path
):
    w, h = WIDTHS[width]
    context = chromium.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    _open_composer(page, live_server.url, composer_world.email)

    # A whole group at once: its brand and network, every channel in it.
    _choose(page)
    text = page.get_by_label("Text")
    text.press_sequentially("Hello #Aurora")
    for network, _placement, _handle in NETWORKS:
        preview = page.get_by_test_id(f"preview-{network}").first
        preview.get_by_text("Hello").wait_for()
    # Still typing: each preview follows, and draws tags, mentions and links its own way.
    text.press_sequentially(" fans, ask @help or see https://northwind.shop/aurora/jacket-restock")
    for network, _placement, _handle in NETWORKS:
        preview = page.get_by_test_id(f"preview-{network}").last
        preview.locator(".np-mention", has_text="@help").wait_for()
        assert preview.locator(".np-tag").inner_text() == "#Aurora"
    x_link = page.get_by_test_id("preview-x").first.locator(".np-link")
    assert x_link.inner_text() == "northwind.shop/aurora/…"
    assert page.get_by_test_id("preview-instagram").locator(".np-link").count() == 0
    # Instagram cuts a caption after 125 characters with "more".
    text.press_sequentially(" " + "and more words " * 8)
    page.get_by_test_id("preview-instagram").locator(".np-more").wait_for()
    assert page.get_by_test_id("preview-x").first.locator(".np-more").count() == 0

    # A file chosen (or dropped) in the composer lands in the library, ticked, and every
    # preview shows it framed for its placement.
    image = tmp_path / "jacket.jpg"
    image.write_bytes(make_image(1600, 900))
    page.get_by_label("Description of the upload").fill("A blue jacket")
    page.get_by_label("Upload a file").set_input_files(str(image))
    page.get_by_label("jacket.jpg (image)").wait_for()
    assert page.get_by_label("jacket.jpg (image)").is_checked()
    instagram_media = page.get_by_test_id("preview-instagram").get_by_role(
        "img", name="A blue jacket"
    )
    instagram_media.wait_for()
    assert instagram_media.get_attribute("data-frame") == "1000x1000"  # square placement
    x_media = page.get_by_test_id("preview-x").first.get_by_role("img", name="A blue jacket")
    assert x_media.get_attribute("data-frame") == "1000x562"  # X keeps the photo's own shape
    text.focus()
    text.press("End")
    outline = page.get_by_test_id("workflow-outline")
    assert "Brand check" in outline.inner_text()
    assert "It is the workflow of Consumer" in outline.inner_text()

    # Tailoring one channel's copy before saving: its preview follows its own text, and
    # the box keeps what is typed while the panel around it refreshes.
    page.get_by_text("Tailor the copy for acme_uk on X").click()
    own = page.get_by_label("Own copy for acme_uk (X post)")
    own.press_sequentially("Short for the UK")
    uk = page.locator("[data-card]", has=page.get_by_text("X post · acme_uk"))
    uk.get_by_test_id("preview-x").get_by_text("Short for the UK").wait_for()
    own.press_sequentially(" #Aurora")
    uk.get_by_test_id("preview-x").locator(".np-tag", has_text="#Aurora").wait_for()
    assert own.input_value() == "Short for the UK #Aurora"
    assert "16 / 280" not in uk.inner_text() and "24 / 280" in uk.inner_text()
    assert "Hello" in page.get_by_test_id("preview-x").first.inner_text()  # acme: main text

    # The text and the previews are both in view while typing.
    assert text.is_visible()
    box = page.locator("#compose-panel .np").first.bounding_box()
    text_box = text.bounding_box()
    assert box is not None and text_box is not None
    if width == "desktop":
        assert box["x"] > text_box["x"] + text_box["width"]  # beside the text
        assert box["y"] < h
    else:
        page.get_by_test_id("preview-linkedin").scroll_into_view_if_needed()
        assert text.bounding_box()["y"] >= 0  # the text box stays on screen above it
    _no_sideways_scroll(page)
    assert refused == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"composer-{width}.png"), full_page=False)

    context.close()


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_composer_has_no_critical_or_serious_axe_violation(
    chromium, live_server, composer_world, width
):
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: cd /tmp && npm install axe-core@4")
    w, h = WIDTHS[width]
    context = chromium.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
    page = context.new_page()
    _open_composer(page, live_server.url, composer_world.email)
    _choose(page)
    page.get_by_label("Text").press_sequentially("Hello #Aurora @help")
    page.get_by_test_id("preview-x").first.locator(".np-mention").wait_for()
    page.get_by_text("Tailor the copy for acme on X").click()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => ['critical', 'serious'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    assert violations == []
    context.close()
