"""Today in a real Chromium: an approver signs in, sees the post waiting for them and
follows its link to the review; the cards refresh themselves (an unchanged poll is a 304
that leaves the page alone); axe finds nothing critical or serious; a phone does not
scroll sideways."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.conftest import TEST_PASSWORD
from roost.core.models import Brand, ChannelGroup, Role
from roost.core.tests.axe_core import axe_file
from roost.core.tests.test_browser import ARTIFACTS
from roost.publishing import services as publishing_services
from roost.publishing.approvals import decisions
from roost.publishing.approvals.workflows import StepSpec, workflow_create
from roost.publishing.models import Post
from roost.sandbox.channels import sandbox_channel_connect

AXE = axe_file()
POLL = """() => new Promise((resolve) => {
  const cards = document.getElementById('today-cards');
  document.body.addEventListener('htmx:afterRequest', (e) => resolve(e.detail.xhr.status),
                                 {once: true});
  htmx.ajax('GET', cards.getAttribute('hx-get'), {source: cards, target: cards, swap: 'innerHTML'});
})"""


def _axe_serious(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])}"
        for v in found
        if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_an_approver_finds_the_post_waiting_on_today_and_opens_its_review(
    browser_page, live_server, make_org, make_user
):
    if not AXE.exists():
        pytest.fail("axe-core is not installed: cd /tmp && npm install axe-core@4")
    org = make_org("Browser Today", is_demo=True)
    brand = Brand.objects.create(organization=org, name="Acme", time_zone="UTC")
    group = ChannelGroup.objects.create(organization=org, name="Consumer", brand=brand)
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group)
    approver = make_user(org, Role.APPROVER, channel_group=group, email="approver@acme.example")
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="acme",
        channel_group=group, primary_owner=publisher,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    workflow_create(
        actor=admin, organization=org, name="Brand check", channel_group=group,
        steps=[StepSpec(name="Brand", approver_role=Role.APPROVER)],
    )  # fmt: skip

    def submit(text: str) -> Post:
        post = publishing_services.post_create(
            actor=publisher, organization=org, channels=[channel], master_text=text
        )
        return decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=publisher)

    first = submit("The Aurora jacket is back in stock")
    context = browser_page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(approver.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    card = page.get_by_role("region", name="Waiting for your approval")
    link = card.get_by_role("link", name="The Aurora jacket is back in stock")
    assert link.get_attribute("href") == reverse("approvals:post", args=[first.pk])
    assert "Due" in card.inner_text()
    # What needs nothing of an approver is one line each, below the work.
    assert (
        "Nothing more goes out today on your channels."
        in page.get_by_test_id("today-clear").inner_text()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "today-approver.png"), full_page=True)
    assert _axe_serious(page) == []

    # Nothing changed: the poll is answered 304 and the cards stay the same elements.
    page.evaluate("document.querySelector('.today-card').dataset.kept = 'yes'")
    assert page.evaluate(POLL) == 304
    assert page.evaluate("document.querySelector('.today-card').dataset.kept") == "yes"
    # Another post waits: the next poll brings it in.
    second = submit("Free repairs for life")
    assert page.evaluate(POLL) == 200
    card.get_by_role("link", name="Free repairs for life").wait_for()
    assert card.locator(".today-total").inner_text() == "2"
    assert second.pk != first.pk

    # A tab in the background does not poll; shown again, it asks at once.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/today/cards/" in r.url else None)
    page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
    page.evaluate(
        "htmx.ajax('GET', '/today/cards/', {source: '#today-cards', target: '#today-cards'})"
    )
    page.wait_for_timeout(300)
    assert requests == []
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(300)
    assert len(requests) == 1

    link.click()
    page.wait_for_url(f"{base}{reverse('approvals:post', args=[first.pk])}")
    assert page.get_by_role("button", name="Approve").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"Today is {width}px wide on a 390px screen"
    page.screenshot(path=str(ARTIFACTS / "today-approver-phone.png"), full_page=True)
    assert _axe_serious(page) == []
    context.close()


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_every_demo_persons_today_passes_axe_and_fits_a_phone(browser_page, live_server):
    from roost.core.demo import DEMO_PASSWORD, PEOPLE
    from roost.demo import seed_demo_organization

    seed_demo_organization()
    context = browser_page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    for person in PEOPLE:
        name = person.email.split("@")[0]
        context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/signin/")
        page.get_by_label("E-mail").fill(person.email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        page.screenshot(path=str(ARTIFACTS / f"today-demo-{name}.png"), full_page=True)
        found = _axe_serious(page)
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            found.append(f"{width}px wide on a 390px screen")
        page.screenshot(path=str(ARTIFACTS / f"today-demo-{name}-phone.png"), full_page=True)
        if found:
            problems[name] = found
    context.close()
    assert problems == {}
