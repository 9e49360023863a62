"""Hostile text everywhere a person or a network can write it, shown inert in Chromium.

An inbound message (through the sandbox network and the inbox ingest), a post, a campaign,
a person's name, a channel's name, an incident, a monitor, a saved reply, a schedule, an
escalation policy and a team carry `<script>` tags, event-handler attributes, `javascript:`
links and a markdown-style link. On every page that shows them: no dialog opens, no
injected element exists, the markup is read as text, and `javascript:` never becomes an
address. The JSON API and the CSV exports hand the same text back as data, never as a page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from roost.core.api_access.tokens import Scope, token_create
from roost.core.demo import DEMO_PASSWORD
from roost.core.models import Brand, ChannelGroup, Team, User

# Short enough for a 120-character name; each carries its own label to find it by.
HANDLER = '<img src=x onerror=alert("xss") class=xss>'
SCRIPT = '<script>alert("xss")</script>'
JS_LINK = 'javascript:alert("xss")'
MARKDOWN_LINK = '[read more](javascript:alert("xss"))'


def short(label: str) -> str:
    return f"{label} {HANDLER}{SCRIPT}"


def long(label: str) -> str:
    return f"{label} {SCRIPT} {HANDLER} {MARKDOWN_LINK} {JS_LINK} <a href={JS_LINK}>x</a>"


# What a page must not hold, read from its DOM after it loaded and its scripts ran.
INSPECT = """() => {
  const attrs = ['href', 'src', 'action', 'formaction', 'xlink:href'];
  const jsAddresses = [];
  for (const el of document.querySelectorAll('*')) {
    for (const name of attrs) {
      const value = el.getAttribute(name);
      if (value && /^\\s*javascript:/i.test(value)) jsAddresses.push(el.outerHTML.slice(0, 120));
    }
  }
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) handlers.push(el.outerHTML.slice(0, 120));
    }
  }
  return {
    injected: [...document.querySelectorAll('img.xss, img[src="x"]')].map(e => e.outerHTML),
    scripts: [...document.scripts].filter(s => s.textContent.includes('alert(')).length,
    handlers,
    jsAddresses,
    text: document.body.innerText,
  };
}"""


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _hostile_demo() -> dict[str, Any]:
    """The demo organisation with hostile text in every field a person or network fills."""
    from roost.channels.models import Channel
    from roost.crisis.services import incident_open
    from roost.demo import seed_demo_organization
    from roost.inbox import ingest
    from roost.inbox.models import Conversation
    from roost.inbox.saved_replies import saved_reply_create
    from roost.listening.feeds import feed_posts
    from roost.listening.matching import matches_store, posts_match
    from roost.listening.models import Feed
    from roost.listening.services import monitor_create
    from roost.oncall.models import EscalationPolicy, Schedule
    from roost.publishing.campaigns import campaign_add_post, campaign_create
    from roost.publishing.services import post_create
    from roost.sandbox.models import SandboxAccount
    from roost.sandbox.services import sandbox_inbound_add

    org = seed_demo_organization()
    ada = User.objects.get(email="ada@northwind.example")
    group = ChannelGroup.objects.get(organization=org, name="Consumer EMEA")
    channel = Channel.objects.filter(organization=org, channel_group=group).first()
    assert channel is not None

    sandbox_inbound_add(
        account=SandboxAccount.objects.get(network=channel.network, handle=channel.handle),
        kind="direct_message",
        author_handle="mallory",
        text=long("Inbound"),
    )
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get(channel=channel, messages__text__startswith="Inbound ")

    post = post_create(
        actor=ada,
        organization=org,
        channels=[channel],
        master_text=long("Posttext"),
        title=short("Posttitle"),
    )
    campaign = campaign_create(
        actor=ada, organization=org, name=short("Campaignname"), release_at=None
    )
    campaign_add_post(actor=ada, campaign=campaign, post=post)
    incident = incident_open(
        organization=org,
        title=short("Incidenttitle"),
        severity="sev2",
        actor=ada,
        summary=long("Incidentsummary"),
    )
    monitor = monitor_create(
        actor=ada,
        organization=org,
        brand=Brand.objects.filter(organization=org).first(),  # type: ignore[arg-type]
        name=short("Monitorname"),
        query='"refund"',
    )
    saved_reply_create(actor=ada, title=short("Replytitle"), text=long("Replytext"))
    # A news feed's entry whose link is a script: parsed and stored the way a poll does.
    feed = Feed.objects.create(organization=org, url="https://news.example/feed.xml")
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item>'
        f"<title>Feeditem refund {escape(HANDLER)}</title><link>{escape(JS_LINK)}</link>"
        "<guid>hostile-1</guid></item></channel></rss>"
    )
    posts = feed_posts(feed, rss.encode(), now=timezone.now())
    assert matches_store(posts_match(posts=posts, monitors=[monitor])) == 1

    # Names people type in settings: set on the demo's own rows.
    victor = User.objects.get(email="victor@northwind.example")
    victor.name = short("Personname")
    victor.save(update_fields=["name"])
    channel.display_name = short("Channelname")
    channel.save(update_fields=["display_name"])
    schedule = Schedule.objects.filter(organization=org).first()
    assert schedule is not None
    schedule.name = short("Schedulename")
    schedule.save(update_fields=["name"])
    policy = EscalationPolicy.objects.filter(organization=org).first()
    assert policy is not None
    policy.name = short("Policyname")
    policy.save(update_fields=["name"])
    team = Team.objects.filter(organization=org).first()
    assert team is not None
    team.name = short("Teamname")
    team.save(update_fields=["name"])
    return {
        "org": org,
        "ada": ada,
        "victor": victor,
        "channel": channel,
        "conversation": conversation,
        "post": post,
        "campaign": campaign,
        "incident": incident,
        "monitor": monitor,
        "schedule": schedule,
        "policy": policy,
        "team": team,
    }


def _pages(demo: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(address, labels of the hostile text the page shows)."""
    return [
        (reverse("inbox:index"), []),
        (reverse("inbox:conversation", args=[demo["conversation"].pk]), ["Inbound"]),
        (reverse("inbox:split_conversation", args=[demo["conversation"].pk]), ["Inbound"]),
        (reverse("inbox:saved_replies"), ["Replytitle"]),
        (reverse("publishing:index"), ["Posttitle"]),
        (reverse("publishing:detail", args=[demo["post"].pk]), ["Posttext"]),
        (reverse("publishing:calendar"), []),
        (reverse("publishing:campaigns"), ["Campaignname"]),
        (reverse("publishing:campaign", args=[demo["campaign"].pk]), ["Campaignname"]),
        (reverse("core:today"), []),
        (reverse("core:team"), ["Personname"]),
        (reverse("core:person", args=[demo["victor"].pk]), ["Personname"]),
        (reverse("core:team_detail", args=[demo["team"].pk]), ["Teamname"]),
        (reverse("channels:list"), []),
        (reverse("channels:detail", args=[demo["channel"].pk]), []),
        (reverse("crisis:home"), ["Incidenttitle"]),
        (reverse("crisis:incident", args=[demo["incident"].pk]), ["Incidenttitle"]),
        (reverse("listening:monitors"), ["Monitorname"]),
        (reverse("listening:monitor", args=[demo["monitor"].pk]), ["Monitorname", "Feeditem"]),
        (reverse("oncall:home"), ["Schedulename"]),
        (reverse("oncall:schedule", args=[demo["schedule"].pk]), ["Schedulename"]),
        (reverse("oncall:policies"), ["Policyname"]),
        (reverse("oncall:policy_edit", args=[demo["policy"].pk]), []),
    ]


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_hostile_text_is_shown_as_text_on_every_page(browser_page, live_server):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # The checks can fail: the same text put into a page unescaped is caught by each.
    page.set_content(f"<p>{long('Control')}</p>")
    control = page.evaluate(INSPECT)
    assert control["injected"] and control["handlers"] and control["jsAddresses"]
    assert control["scripts"] and dialogs
    dialogs.clear()

    demo = _hostile_demo()
    base = live_server.url
    _sign_in(page, base, demo["ada"].email)

    problems: list[str] = []
    for address, labels in _pages(demo):
        page.goto(f"{base}{address}")
        page.wait_for_load_state("networkidle")
        found = page.evaluate(INSPECT)
        for kind in ("injected", "handlers", "jsAddresses"):
            if found[kind]:
                problems.append(f"{address}: {kind} {found[kind][:3]}")
        if found["scripts"]:
            problems.append(f"{address}: {found['scripts']} script element(s) from the text")
        for label in labels:
            if label not in found["text"]:
                problems.append(f"{address}: {label!r} is not shown")
        if labels and 'onerror=alert("xss")' not in found["text"]:
            problems.append(f"{address}: the markup is not shown as text")
    assert not dialogs, f"dialogs opened: {dialogs}"
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_api_and_csv_exports_hand_hostile_text_back_as_data():
    demo = _hostile_demo()
    ada = demo["ada"]
    token = token_create(user=ada, name="xss", scopes=[s.value for s in Scope]).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    conversation = demo["conversation"]

    response = api.get(f"/api/v1/inbox/conversations/{conversation.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    texts = [m["text"] for m in json.loads(response.content)["messages"]]
    assert long("Inbound") in texts  # the very text, as a JSON string: data, not markup

    response = api.get(f"/api/v1/posts/{demo['post'].pk}")
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["master_text"] == long("Posttext")

    browser = Client()
    browser.force_login(ada)
    for name in ("channels:export", "inbox:reports_csv"):
        response = browser.get(reverse(name))
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv"), name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Content-Disposition"].startswith("attachment"), name
    exported = browser.get(reverse("channels:export")).content.decode()
    assert short("Channelname") in exported or demo["channel"].handle in exported


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://news.example/a?b=1", "https://news.example/a?b=1"),
        ("http://news.example/", "http://news.example/"),
        ('javascript:alert("xss")', ""),
        ("JaVaScRiPt:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("vbscript:msgbox(1)", ""),
        ("https://news.example/a b", ""),
        ("//news.example/a", ""),
        ("", ""),
    ],
)
def test_only_web_addresses_from_outside_become_links(given, kept):
    from roost.core.web_links import web_link

    assert web_link(given) == kept


@pytest.mark.django_db
def test_a_feed_entry_whose_link_is_a_script_keeps_its_text_and_loses_the_link(org):
    from roost.listening.feeds import feed_posts
    from roost.listening.models import Feed

    feed = Feed.objects.create(organization=org, url="https://news.example/feed.xml")
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        f"<item><title>Refund news</title><link>{escape(JS_LINK)}</link><guid>1</guid></item>"
        "<item><title>Fine</title><link>https://news.example/2</link><guid>2</guid></item>"
        "</channel></rss>"
    )
    posts = feed_posts(feed, rss.encode(), now=timezone.now())
    assert [(p.text, p.url) for p in posts] == [
        ("Refund news", ""),
        ("Fine", "https://news.example/2"),
    ]
