"""Every page of the app, signed in, in a real Chromium under Roost's Content-Security-
Policy: the test fails on any violation (an inline script or style, an eval, a foreign
source) and on any script error."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from roost.core.demo import DEMO_PASSWORD, seed_demo
from roost.inbox.demo import seed_demo_inbox
from roost.publishing.demo import seed_demo_publishing
from roost.sandbox.channels import seed_demo_channels

# Not pages: signing out ends the walk, exports and feeds download files, media are files.
SKIP = re.compile(r"/signout/|\.ics$|\.csv$|/export|/download|/file/|/preview/|/static/")
PER_PATTERN = 2
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
def test_every_page_signed_in_has_no_content_security_policy_violation(browser_page, live_server):
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_publishing(org)
    seed_demo_inbox(org)
    page = browser_page
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
        for violation in page.evaluate("window.__violations || []"):
            problems.append(f"{urlsplit(url).path}: {violation}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link, _ = urldefrag(href)
            if not link.startswith(origin) or SKIP.search(urlsplit(link).path):
                continue
            pattern = _pattern(link)
            if link in visited or seen_patterns.get(pattern, 0) >= PER_PATTERN:
                continue
            seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
            queue.append(link)

    assert len(visited) > 30, sorted(visited)
    assert problems == []
