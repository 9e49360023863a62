"""The demo organisation's scheduled report: Ana the analyst mails the overview to the
leads every Monday (kept in the sandbox's mailbox, as all of the demo's mail is)."""

from __future__ import annotations

from roost.analytics.models import ScheduledReport
from roost.analytics.reports import scheduled_report_create
from roost.core.models import Organization, User

DEMO_REPORT = "Weekly overview for the leads"
DEMO_AUTHOR = "ana@northwind.example"
DEMO_RECIPIENTS = ["ada@northwind.example", "marco@northwind.example"]


def seed_demo_reports(org: Organization) -> ScheduledReport | None:
    """Seed the report once (nothing when the demo's analyst is missing)."""
    existing = ScheduledReport.objects.filter(organization=org, name=DEMO_REPORT).first()
    if existing is not None:
        return existing
    author = User.objects.filter(organization=org, email=DEMO_AUTHOR).first()
    if author is None:
        return None
    recipients = list(
        User.objects.filter(organization=org, email__in=DEMO_RECIPIENTS)
        .order_by("email")
        .values_list("email", flat=True)
    ) or [author.email]
    return scheduled_report_create(
        actor=author, organization=org, name=DEMO_REPORT, dashboard="overview",
        frequency="weekly", recipients=recipients,
    )  # fmt: skip
