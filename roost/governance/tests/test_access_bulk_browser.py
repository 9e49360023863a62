"""Granting a time-limited role to many people on many channel groups in a real
Chromium, as the demo admin would: preview first, then confirm."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from roost.core.demo import DEMO_PASSWORD, seed_demo
from roost.core.models import AuditEvent, Membership, Role, User
from roost.core.tests.test_browser import ARTIFACTS


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_admin_grants_a_temporary_cover_in_bulk_after_a_preview(browser_page, live_server):
    org = seed_demo()
    page = browser_page
    page.goto(f"{live_server.url}/signin/")
    page.get_by_label("E-mail").fill("ada@northwind.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Governance", exact=True).first.click()
    page.get_by_role("link", name="Access", exact=True).click()
    page.get_by_role("link", name="Grant or revoke in bulk").click()

    page.get_by_label("Grant").check()
    page.get_by_label("Role").select_option("community_manager")
    page.get_by_label("Sam Community (sam@northwind.example)").check()
    page.get_by_label("Ana Analyst (ana@northwind.example)").check()
    page.get_by_label("Consumer EMEA").check()
    page.get_by_label("Consumer Americas").check()
    # Typed in Ada's own time zone, as the form says.
    ends = timezone.localtime(
        timezone.now() + dt.timedelta(days=10), timezone=ZoneInfo("Europe/Warsaw")
    ).replace(second=0, microsecond=0)
    page.get_by_label("Expires").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    before = Membership.objects.count()
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("bulk-preview")
    preview.wait_for()
    text = preview.inner_text()
    assert "3 to add, 1 already held, 0 refused" in text  # Sam is on Consumer Americas
    assert (
        "already held"
        in preview.get_by_role("row")
        .filter(has_text="Sam Community")
        .filter(has_text="Consumer Americas")
        .inner_text()
    )
    assert Membership.objects.count() == before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "access-bulk-preview.png"), full_page=True)

    page.get_by_role("button", name="Confirm: grant 3").click()
    page.wait_for_url(f"{live_server.url}/governance/access/")
    assert page.get_by_text("3 roles granted; 1 already held.").is_visible()
    ada = User.objects.get(email="ada@northwind.example")
    added = Membership.objects.filter(
        organization=org, role=Role.COMMUNITY_MANAGER, granted_by=ada, expires_at__isnull=False
    )
    assert added.count() == 3
    assert all(abs((grant.expires_at - ends).total_seconds()) < 60 * 60 * 24 for grant in added)
    assert AuditEvent.objects.filter(action="governance.access.bulk_granted").count() == 1

    page.get_by_role("link", name="Ana Analyst").click()
    grants = page.get_by_test_id("person-grants").inner_text()
    assert "Community manager" in grants and "Ada Admin" in grants
