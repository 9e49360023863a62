"""Every dashboard in a real Chromium, with data: it opens without an error, draws its
charts (inline, nothing fetched from elsewhere) with a table under each, fits a 390 px
phone, and leaves a screenshot of itself on a wide screen and on a phone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from roost.analytics.tests.conftest import HISTORY_END
from roost.conftest import TEST_PASSWORD
from roost.core.models import Role, Team
from roost.inbox.models import Conversation
from roost.publishing.models import Campaign

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
KINDS = ("overview", "network", "channel", "campaign", "community", "publishing")
START = HISTORY_END - dt.timedelta(days=27)


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_every_dashboard_opens_with_data_on_a_wide_screen_and_a_phone(
    browser_page, live_server, org, admin, make_user, make_channel, write_history
):
    linkedin = make_channel("linkedin", "acme")
    bluesky = make_channel("bluesky", "acme.example")
    campaign = Campaign.objects.create(organization=org, name="Spring jackets", created_by=admin)
    write_history(linkedin, campaign=campaign)
    write_history(bluesky, scale=lambda day: 1.5 if day >= 28 else 1.0)
    team = Team.objects.create(organization=org, name="Care EMEA")
    # Conversations over both periods, so that the community figures can be compared.
    first = dt.datetime.combine(START - dt.timedelta(days=28), dt.time(8), tzinfo=dt.UTC)
    for n in range(78):
        asked = first + dt.timedelta(hours=17 * n)
        Conversation.objects.create(
            organization=org, channel=linkedin if n % 3 else bluesky, key=f"c{n}",
            kind="comment", author_handle=f"fan{n}", team=team if n % 2 else None,
            assignee=admin if n % 4 else None,
            sentiment=("negative", "neutral", "positive")[n % 3], first_message_at=asked,
            first_response_at=asked + dt.timedelta(minutes=20 + (37 + n) * (n % 9)),
        )  # fmt: skip
    in_team = Conversation.objects.filter(
        team=team, first_message_at__date__gte=START, first_message_at__date__lte=HISTORY_END
    ).count()

    manager = make_user(org, Role.MANAGER)
    page = browser_page
    page.set_default_timeout(120_000)  # the machine may be busy; nothing here is timed
    failures: list[str] = []
    outside: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill(manager.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    ARTIFACTS.mkdir(exist_ok=True)

    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for kind in KINDS:
            page.goto(f"{live_server.url}/analytics/{'' if kind == 'overview' else kind + '/'}"
                      f"?start={START:%Y-%m-%d}&end={HISTORY_END:%Y-%m-%d}")  # fmt: skip
            board = page.get_by_test_id("dashboard")
            assert board.get_attribute("data-kind") == kind
            assert page.locator("svg.chart-svg").count() >= 1, kind
            assert page.locator("[data-testid^=table-]").count() >= 1, kind
            sentences = page.get_by_test_id("narrative").locator("li")
            if kind in ("overview", "network", "channel", "campaign", "community"):
                assert 3 <= sentences.count() <= 5, (kind, sentences.all_inner_texts())
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{kind} is {scroll}px wide on a {width}px screen"
            page.screenshot(path=str(ARTIFACTS / f"analytics-{kind}-{name}.png"), full_page=True)

    # A filter and a preset are chosen from the page itself.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(
        f"{live_server.url}/analytics/community/?start={START:%Y-%m-%d}&end={HISTORY_END:%Y-%m-%d}"
    )
    page.get_by_label("Team", exact=True).select_option(label="Care EMEA")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**team={team.pk}**")
    assert (
        page.get_by_test_id("figure-conversations")
        .get_by_text(str(in_team), exact=True)
        .is_visible()
    )
    page.get_by_role("link", name="Definitions").click()
    assert (
        page.get_by_test_id("definitions")
        .get_by_text("Engagements divided by impressions")
        .is_visible()
    )
    page.screenshot(path=str(ARTIFACTS / "analytics-definitions-desktop.png"), full_page=True)

    assert not failures, failures
    assert not outside, outside
