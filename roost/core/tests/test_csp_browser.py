"""Every page of the app, signed in, in a real Chromium under Roost's Content-Security-
Policy: the test fails on any violation (an inline script or style, an eval, a foreign
source) and on any script error. The walk is made on a phone-sized screen, where no page
may be wider than the screen (a long link or a wide table scrolls inside the page)."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse

from roost.channels.selectors import channel_list
from roost.core.demo import DEMO_PASSWORD, seed_demo
from roost.core.models import User
from roost.demo import seed_demo_organization
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_image
from roost.publishing.demo import seed_demo_publishing
from roost.publishing.services import post_create
from roost.sandbox.channels import seed_demo_channels

# Not pages: signing out ends the walk, exports and feeds download files, media are files.
SKIP = re.compile(
    r"/signout/|\.ics\?|\.csv\?|/export|download|/file\?|/original\?|\.(jpg|png|webp|mp4)\?|/static/"
)
PER_PATTERN = 2
PHONE = {"width": 390, "height": 844}
MAX_PAGES = 200
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || "?") + ":" + event.lineNumber + " " + (event.sample || "")
  );
});
"""


def _pattern(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_every_page_signed_in_has_no_content_security_policy_violation_and_fits_a_phone(
    browser_page, live_server
):
    org = seed_demo_organization()
    admin = User.objects.get(email="ada@northwind.example")
    media_upload(
        actor=admin, organization=org, file=as_upload(make_image(320, 180)), alt_text="A sky"
    )
    page = browser_page
    page.set_viewport_size(PHONE)
    page.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    origin = live_server.url
    queue: deque[str] = deque([f"{origin}/", f"{origin}/api/v1/docs"])
    seen_patterns: dict[str, int] = {}
    visited: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        if url in visited:
            continue
        visited.add(url)
        response = page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # deferred scripts and htmx loads triggered on load
        assert response is not None and response.status < 500, url
        assert urlsplit(page.url).path != "/signin/", f"{url} signed the walk out"
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{urlsplit(url).path}: {width}px wide on a {PHONE['width']}px screen")
        for violation in page.evaluate("window.__violations || []"):
            problems.append(f"{urlsplit(url).path}: {violation}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link, _ = urldefrag(href)
            if not link.startswith(origin) or SKIP.search(
                urlsplit(link).path + "?" + urlsplit(link).query
            ):
                continue
            pattern = _pattern(link)
            if link in visited or seen_patterns.get(pattern, 0) >= PER_PATTERN:
                continue
            seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
            queue.append(link)

    assert len(visited) > 30, sorted(visited)
    assert problems == []


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_behaviour_moved_out_of_inline_script_still_works(browser_page, live_server):
    """The focal point, the state filter and the autosave's refusal, from static files."""
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_publishing(org)
    admin = User.objects.get(email="ada@northwind.example")
    asset = media_upload(
        actor=admin, organization=org, file=as_upload(make_image(320, 180)), alt_text="A sky"
    )
    page = browser_page
    base = live_server.url
    _sign_in(page, base)

    page.goto(base + reverse("media:library"))
    thumbnail = page.locator(f"img[src$='{reverse('media:preview', args=[asset.pk])}']").first
    thumbnail.wait_for()
    assert thumbnail.evaluate("image => image.style.objectPosition") == "50% 50%"

    page.goto(base + reverse("media:detail", args=[asset.pk]))
    page.wait_for_load_state()
    image = page.locator("[data-focal] img")
    box = image.bounding_box()
    assert box is not None
    image.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    assert page.locator("#id_focal_x").input_value() == "0.25"
    assert page.locator("#id_focal_y").input_value() == "0.75"
    dot = page.locator(".media-focal-dot")
    left, top = dot.evaluate("dot => [dot.style.left, dot.style.top]")
    assert abs(float(left.rstrip("%")) - 25) < 1 and abs(float(top.rstrip("%")) - 75) < 1

    page.goto(base + reverse("publishing:index"))
    page.wait_for_load_state()
    page.get_by_label("State").select_option("scheduled")
    page.wait_for_url(re.compile(r"/publish/\?state=scheduled(&|$)"))  # other filters empty

    post = post_create(
        actor=admin,
        organization=org,
        channels=list(channel_list(viewer=admin)[:1]),
        master_text="Spring is here",
    )
    page.goto(base + reverse("publishing:detail", args=[post.pk]))
    page.wait_for_load_state()
    # A link the browser takes and the server refuses: the autosave shows the 422's reason.
    page.get_by_label("Link", exact=True).fill("javascript:alert(1)")
    page.locator("#autosave [role=alert]").wait_for(timeout=10_000)
    assert "Enter a valid URL" in page.locator("#autosave").inner_text()
    post.refresh_from_db()
    assert not post.link.startswith("javascript")
