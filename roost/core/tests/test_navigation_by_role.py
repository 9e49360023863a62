"""The menus offer each person the pages that open for them, and only those.

Signed in as every person of the demo (one of each role, two community managers), the
tests follow the links of every menu (`<nav>`) and of every page a person reaches, and
check the answer: a menu entry opens (200), an entry is there whenever its page would
open, and no link anywhere leads to a refusal (403) or an error (500)."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from roost.core.demo import PEOPLE
from roost.core.models import User
from roost.core.navigation import AREAS, PAGE_REFUSED, page_allowed
from roost.demo import seed_demo_organization

EMAILS = [person.email for person in PEOPLE]
# Files, feeds and signing out are not pages to walk.
NOT_A_PAGE = re.compile(
    r"/signout/|\.ics$|\.csv$|\.jsonl$|/export|download|/file$|/original$|"
    r"\.(jpg|png|webp|mp4)$|/static/|^/api/v1/"
)
# Menu entries that not everyone may open, and a page whose menu holds each.
GUARDED_ENTRIES = [
    ("core:today", "governance:home"),
    ("governance:home", "core:audit"),
    ("inbox:index", "inbox:reports"),
    ("inbox:index", "inbox:saved_replies"),
    ("inbox:settings_rules", "inbox:reports"),
]


class _Links(HTMLParser):
    """Every link of a page, and those inside a `<nav>`."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []
        self.nav_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            link, _ = urldefrag(href)
            if link.startswith("/") and not link.startswith("//"):
                self.links.append(link)
                if self.depth:
                    self.nav_links.append(link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.depth -= 1


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _kind(url: str) -> str:
    """Addresses that differ only by numbers are of one kind."""
    return re.sub(r"\d+", "N", url)


@pytest.fixture
def demo(db: None) -> None:
    seed_demo_organization()


def _client(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


@pytest.mark.django_db
def test_every_menu_link_opens_for_every_role(demo):
    for email in EMAILS:
        _menus_open(email)


def _menus_open(email: str) -> None:
    client = _client(email)
    # From Today, and from the inbox's list, whose menu holds its settings and reports.
    start = ["/", reverse("inbox:index")]
    queue, seen, refused = deque(start), set(start), []
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200:
            refused.append(f"{url}: {response.status_code}")
            continue
        if "text/html" not in response["Content-Type"]:
            continue
        for link in _links(response.content.decode()).nav_links:
            if link not in seen and not NOT_A_PAGE.search(urlsplit(link).path):
                seen.add(link)
                queue.append(link)
    assert refused == [], email
    # The walk reached the inbox's own menus, not only the main one.
    assert reverse("inbox:settings_rules") in seen


@pytest.mark.django_db
def test_an_entry_is_in_the_menu_exactly_when_its_page_opens(demo):
    for email in EMAILS:
        _entries_match_pages(email)


def _entries_match_pages(email: str) -> None:
    client = _client(email)
    user = User.objects.get(email=email)
    today = _links(client.get(reverse("core:today")).content.decode()).nav_links
    for area in AREAS:
        opens = client.get(reverse(area.url_name)).status_code == 200
        assert (reverse(area.url_name) in today) is opens, (email, area.key)
        assert page_allowed(user, area.url_name) is opens, (email, area.key)
    for page, entry in GUARDED_ENTRIES:
        links = _links(client.get(reverse(page)).content.decode()).links
        response = client.get(reverse(entry))
        assert response.status_code in (200, 403), (entry, response.status_code)
        assert (reverse(entry) in links) is (response.status_code == 200), (email, page, entry)


@pytest.mark.django_db
def test_guarded_entries_are_shown_to_some_roles_and_hidden_from_others(demo):
    """The entries above are really guarded: the walk above would pass vacuously if
    every role saw them, or none."""
    for _, entry in GUARDED_ENTRIES:
        shown = {email for email in EMAILS if page_allowed(User.objects.get(email=email), entry)}
        assert shown and shown != set(EMAILS), entry
    community_manager = _client("chloe@northwind.example")
    response = community_manager.get(reverse("governance:home"))
    assert response.status_code == 403
    assert PAGE_REFUSED in response.content.decode()
    today = community_manager.get(reverse("core:today")).content.decode()
    assert reverse("governance:home") not in _links(today).links
    assert reverse("governance:home") in _links(_client(EMAILS[0]).get("/").content.decode()).links


@pytest.mark.django_db
def test_no_link_a_role_is_shown_leads_to_a_refusal_or_an_error(demo):
    """Every link on every page each person reaches (a few of each kind of address)."""
    for email in EMAILS:
        _links_open(email)


def _links_open(email: str) -> None:
    client = _client(email)
    queue, seen, kinds, broken = deque(["/"]), {"/"}, {_kind("/"): 1}, []
    came_from: dict[str, str] = {}
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code == 403 or response.status_code >= 500:
            broken.append(f"{url} (linked from {came_from.get(url)}): {response.status_code}")
            continue
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        for link in _links(response.content.decode()).links:
            kind = _kind(link)
            if link in seen or NOT_A_PAGE.search(urlsplit(link).path) or kinds.get(kind, 0) >= 2:
                continue
            seen.add(link)
            kinds[kind] = kinds.get(kind, 0) + 1
            came_from[link] = url
            queue.append(link)
    assert broken == [], email
    assert len(seen) > 40, email
