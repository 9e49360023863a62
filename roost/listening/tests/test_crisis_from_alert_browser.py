"""From the first angry mention to the report, in a real Chromium, in the demo: `roost
sandbox crisis` starts a surge on the sandbox network, one round of the worker's minutely
jobs raises an alert that opens an incident, and a manager finds it on Today, reads the
alert, turns crisis mode on from the incident, sees the banner and the paused posts,
ends crisis mode, decides the held posts and reads the post-incident report."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.cli import main as roost
from roost.core.demo import DEMO_PASSWORD
from roost.crisis.models import Incident
from roost.demo import seed_demo_organization
from roost.listening.models import Alert
from roost.listening.tests.test_demo import minutely_jobs
from roost.publishing.models import Variant, VariantState


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_sandbox_crisis_is_alerted_handled_in_crisis_mode_and_reported(
    browser_page, live_server, capsys
):
    seed_demo_organization()
    assert minutely_jobs(timezone.now()) == 0, "a calm demo raises no alert"
    assert roost(["sandbox", "crisis", "--brand", "Northwind EMEA"]) == 0
    assert "crisis started" in capsys.readouterr().out
    rounds = 0
    while rounds < 3 and not Alert.objects.exists():
        minutely_jobs(timezone.now())
        rounds += 1
    alert = Alert.objects.get()
    incident = Incident.objects.get()
    assert alert.incident == incident and incident.source == "alert"

    page = browser_page
    base = live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill("marco@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    # Today leads with the incident the alert opened.
    page.get_by_role("link", name=incident.title).first.click()
    page.get_by_role("heading", name=incident.title).wait_for()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "leak" in timeline.lower(), timeline

    # The alert itself: what rose, by how much, the top terms, example posts.
    page.goto(base + reverse("listening:alert", args=[alert.pk]))
    alert_text = page.inner_text("main")
    assert alert.monitor.name in alert_text and "leak" in alert_text.lower()

    # Crisis mode for the whole organisation, from the incident.
    page.goto(base + reverse("crisis:incident", args=[incident.pk]))
    page.get_by_label("The whole organisation").check()
    page.get_by_role("button", name="Turn crisis mode on").click()
    page.get_by_test_id("crisis-banner").wait_for()
    paused = Variant.objects.filter(state=VariantState.PAUSED).count()
    assert paused > 0
    assert page.get_by_test_id("paused-posts").locator("li").count() == paused
    page.goto(base + reverse("inbox:index"))
    assert page.get_by_test_id("crisis-banner").is_visible()

    # Ending it: every held post decided, then the report.
    page.get_by_test_id("crisis-banner").get_by_role("link").click()
    page.get_by_role("button", name="End crisis mode").click()
    page.get_by_role("heading", name="Held posts").wait_for()
    assert page.get_by_test_id("crisis-banner").count() == 0
    page.get_by_role("button", name="Publish them now").click()
    page.get_by_role("heading", name="Held posts").wait_for()
    page.get_by_role("button", name="Resume publishing and see the report").click()
    report = page.get_by_test_id("report")
    report.wait_for()
    text = report.inner_text()
    assert "What was paused" in text and "Publish now" in text
    assert not Variant.objects.filter(state=VariantState.PAUSED).exists()
