"""The demo's scheduled report: seeded once, by the analyst, for the overview."""

from __future__ import annotations

import pytest

from roost.analytics.models import ScheduledReport
from roost.analytics.reports_demo import DEMO_REPORT, seed_demo_reports
from roost.core.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_report_is_seeded_once_for_the_overview():
    org = seed_demo()
    report = seed_demo_reports(org)
    assert report is not None and seed_demo_reports(org) == report
    assert ScheduledReport.objects.filter(organization=org, name=DEMO_REPORT).count() == 1
    assert (report.dashboard, report.frequency, report.created_by.email) == (
        "overview",
        "weekly",
        "ana@northwind.example",
    )
    assert report.recipients == ["ada@northwind.example", "marco@northwind.example"]
