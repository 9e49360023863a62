"""The campaign's report: progress, who decided what and when, revocations, unanswered
items after closing; as CSV and as PDF (read back with pypdf)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from roost.core.models import Role
from roost.core.services import membership_revoke
from roost.governance.reviews import report
from roost.governance.reviews.services import campaign_close, item_attest
from roost.governance.reviews.tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(world):
    """A campaign over both groups: one kept, one revoked (with a comment that looks like
    a spreadsheet formula), one grant removed meanwhile, the rest left and closed."""
    campaign = world.start(channel_groups=[world.emea, world.careers])
    item_attest(
        actor=world.emea_manager,
        item=world.item(campaign, world.publisher, world.emea),
        decision="keep",
        comment="Runs the launch",
        now=NOW + dt.timedelta(hours=1),
    )
    item_attest(
        actor=world.org_manager,
        item=world.item(campaign, world.publisher, world.careers),
        decision="revoke",
        comment="=HYPERLINK(1)",
        now=NOW + dt.timedelta(hours=2),
    )
    membership_revoke(
        actor=world.admin,
        membership=world.grant(world.agent, Role.COMMUNITY_MANAGER, world.careers),
    )
    campaign_close(actor=world.admin, campaign=campaign, now=NOW + dt.timedelta(days=2))
    campaign.refresh_from_db()
    return campaign


def test_the_report_says_who_decided_what_and_when(world, decided):
    made = report.report_of(decided)
    assert made.scope == "Careers, Consumer EMEA"
    assert (made.progress.kept, made.progress.revoked, made.progress.gone) == (1, 1, 1)
    assert made.progress.pending == 1  # Emma's own grant, reviewed by Marco, left open
    by_key = {(r.email, r.scope): r for r in made.rows}
    kept = by_key[("priya@acme.example", "Consumer EMEA")]
    assert (kept.decision, kept.decided_by, kept.decided_at) == (
        "Keep",
        "Emma Manager",
        NOW + dt.timedelta(hours=1),
    )
    assert [r.email for r in made.revocations] == ["priya@acme.example"]
    assert [(r.email, r.decision) for r in made.unanswered] == [
        ("emma@acme.example", report.UNANSWERED)
    ]
    assert by_key[("chloe@acme.example", "Careers")].decision == "Grant already removed"


def test_csv_export(world, decided):
    rows = list(csv.reader(io.StringIO(report.report_csv(report.report_of(decided)))))
    assert rows[0] == report.CSV_HEADER
    by_key = {(r[1], r[3]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert len(by_key) == 4
    revoked = by_key[("priya@acme.example", "Careers")]
    assert revoked["decision"] == "Revoke" and revoked["decided_by"] == "Marco Manager"
    assert revoked["revoked_at_utc"] == "2026-03-02 10:00"
    assert revoked["comment"] == "'=HYPERLINK(1)"  # kept as text in a spreadsheet
    assert by_key[("emma@acme.example", "Consumer EMEA")]["decision"] == report.UNANSWERED


def test_pdf_export_reads_back(world, decided):
    pdf = report.report_pdf(report.report_of(decided))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Access review: Q1 review" in flat
    assert "3 of 4 items decided (75%)" in flat
    assert "Kept: 1. Revoked: 1. Grant already removed: 1. Unanswered: 1." in flat
    assert (
        "Priya Publisher <priya@acme.example>: Publisher on Careers, "
        "revoked 2026-03-02 10:00 UTC, decided by Marco Manager" in flat
    )
    assert "Emma Manager <emma@acme.example>: Manager on Consumer EMEA" in flat
    assert "Chloé Community" in flat  # the accent survives


def test_downloads_from_the_pages(world, decided, signed_in):
    client = signed_in(world.admin)
    got_csv = client.get(reverse("access_reviews:report_csv", args=[decided.pk]))
    assert got_csv.status_code == 200 and got_csv["Content-Type"].startswith("text/csv")
    assert "attachment" in got_csv["Content-Disposition"]
    got_pdf = client.get(reverse("access_reviews:report_pdf", args=[decided.pk]))
    assert got_pdf.status_code == 200 and got_pdf.content.startswith(b"%PDF")
    page = client.get(reverse("access_reviews:report", args=[decided.pk]))
    assert page.status_code == 200
    assert "Every item was decided." not in page.content.decode()
    assert "Unanswered" in page.content.decode()
