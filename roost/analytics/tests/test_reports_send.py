"""Scheduled and campaign reports e-mailed as PDF over a real SMTP server on loopback
(aiosmtpd started by the test): each period once, nothing marked sent when the server
is down, a report whose author left paused, a campaign's report once after its span."""

from __future__ import annotations

import datetime as dt
import io
from email.utils import getaddresses

import pytest
from pypdf import PdfReader

from roost.analytics.models import CampaignReport, ScheduledReport
from roost.analytics.reports import (
    campaign_reports_send_due,
    report_period,
    scheduled_report_create,
    scheduled_reports_send_due,
)
from roost.core.models import AuditEvent, Role
from roost.core.tests import test_password_reset
from roost.publishing.models import Campaign

smtp_server = test_password_reset.smtp_server
free_port = test_password_reset.free_port

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 9, 6, 0, tzinfo=dt.UTC)


def _attachment(message) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    parts = [p for p in message.get_payload() if p.get_filename()]
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_payload(decode=True)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_periods_are_the_finished_week_or_month_before():
    label, period = report_period("weekly", now=MONDAY)
    assert (label, period.start, period.end) == (
        "2026-W45",
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 8),
    )
    # Sunday night still reports the week before that.
    label, _ = report_period("weekly", now=dt.datetime(2026, 11, 15, 23, 59, tzinfo=dt.UTC))
    assert label == "2026-W45"
    label, period = report_period("weekly", now=dt.datetime(2027, 1, 4, tzinfo=dt.UTC))
    assert (label, period.start, period.end) == (
        "2026-W53",
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 3),
    )
    label, period = report_period("monthly", now=dt.datetime(2028, 3, 1, 0, 30, tzinfo=dt.UTC))
    assert (label, period.start, period.end) == (
        "2028-02",
        dt.date(2028, 2, 1),
        dt.date(2028, 2, 29),
    )
    label, period = report_period("monthly", now=dt.datetime(2027, 1, 15, tzinfo=dt.UTC))
    assert (label, period.start, period.end) == (
        "2026-12",
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )


@pytest.fixture
def weekly(org, make_user, sample_dashboards):  # type: ignore[no-untyped-def]
    analyst = make_user(org, Role.ANALYST, email="ana@acme.example")
    report = scheduled_report_create(
        actor=analyst, organization=org, name="Weekly overview", dashboard="sample",
        frequency="weekly", recipients=["cmo@acme.example", "board@acme.example"],
    )  # fmt: skip
    # As if the week before MONDAY's had been sent already.
    ScheduledReport.objects.filter(pk=report.pk).update(last_period="2026-W44")
    return report


@pytest.mark.peer
def test_a_due_report_is_mailed_once_per_period_with_its_pdf(
    weekly, smtp_server, make_channel, with_days
):
    with_days(make_channel(handle="acme_uk"), dt.date(2026, 10, 26), [100] * 7 + [150] * 7)

    assert scheduled_reports_send_due(now=MONDAY) == 1

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "cmo@acme.example, board@acme.example"
    assert message["Subject"] == "Weekly overview: 02 Nov 2026 to 08 Nov 2026"
    assert "Impressions rose 50% on the period before." in message.get_payload()[0].get_payload()
    name, pdf = _attachment(message)
    assert name == "roost-sample-2026-11-02-to-2026-11-08.pdf"
    text = _pdf_text(pdf)
    assert "Sample overview" in text and "acme_uk" in text and "1,050" in text

    # The same period again, later that week: nothing.
    assert scheduled_reports_send_due(now=MONDAY + dt.timedelta(hours=1)) == 0
    assert scheduled_reports_send_due(now=MONDAY + dt.timedelta(days=6, hours=17)) == 0
    assert len(smtp_server.messages) == 1
    # The next week: the next report.
    assert scheduled_reports_send_due(now=MONDAY + dt.timedelta(days=7)) == 1
    assert smtp_server.messages[1]["Subject"] == "Weekly overview: 09 Nov 2026 to 15 Nov 2026"
    weekly.refresh_from_db()
    assert weekly.last_period == "2026-W46"
    assert AuditEvent.objects.filter(action="analytics.report.sent").count() == 2


@pytest.mark.peer
def test_a_new_report_waits_for_its_first_whole_period(
    org, make_user, smtp_server, sample_dashboards
):
    lead = make_user(org, Role.MANAGER)
    scheduled_report_create(
        actor=lead, organization=org, name="Monthly", dashboard="sample", frequency="monthly",
        recipients=["cmo@acme.example"],
    )  # fmt: skip
    assert scheduled_reports_send_due() == 0
    assert smtp_server.messages == []


@pytest.mark.peer
def test_with_the_mail_server_down_nothing_is_marked_sent_and_the_next_run_sends(
    weekly, smtp_server, settings
):
    up_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    assert scheduled_reports_send_due(now=MONDAY) == 0
    weekly.refresh_from_db()
    assert (weekly.last_period, weekly.last_sent_at) == ("2026-W44", None)
    settings.EMAIL_PORT = up_port
    assert scheduled_reports_send_due(now=MONDAY + dt.timedelta(hours=1)) == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.peer
def test_paused_reports_and_reports_whose_author_left_are_not_sent(
    weekly, smtp_server, org, make_user
):
    weekly.created_by.is_active = False
    weekly.created_by.save(update_fields=["is_active"])
    assert scheduled_reports_send_due(now=MONDAY) == 0
    weekly.refresh_from_db()
    assert not weekly.active
    paused = AuditEvent.objects.get(action="analytics.report.paused")
    assert paused.actor_id is None  # Roost itself paused it
    assert scheduled_reports_send_due(now=MONDAY + dt.timedelta(days=7)) == 0
    assert smtp_server.messages == []


@pytest.fixture
def leads(org, make_user):  # type: ignore[no-untyped-def]
    return [
        make_user(org, Role.ADMIN, email="ada@acme.example"),
        make_user(org, Role.MANAGER, email="max@acme.example"),
    ]


def _campaign(org, creator, release_at, status=Campaign.Status.RELEASED):  # type: ignore[no-untyped-def]
    return Campaign.objects.create(
        organization=org, name="Spring jackets", release_at=release_at, status=status,
        created_by=creator,
    )  # fmt: skip


@pytest.mark.peer
def test_a_campaign_report_goes_once_to_its_creator_and_the_leads_after_its_span(
    org, admin, make_user, leads, make_channel, with_days, smtp_server, sample_dashboards
):
    creator = make_user(org, Role.PUBLISHER, email="pat@acme.example")
    release = dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC)
    campaign = _campaign(org, creator, release)
    with_days(make_channel(handle="acme_uk"), release.date(), [40] * 30, campaign=campaign)
    _campaign(org, creator, release, status=Campaign.Status.HELD)  # never went out
    _campaign(org, creator, release - dt.timedelta(days=60))  # long over: no late report

    assert campaign_reports_send_due(now=release + dt.timedelta(days=27)) == 0  # not over yet
    assert campaign_reports_send_due(now=release + dt.timedelta(days=28, hours=1)) == 1
    assert campaign_reports_send_due(now=release + dt.timedelta(days=29)) == 0

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    to = [address for _, address in getaddresses([message["To"]])]
    assert to[0] == "pat@acme.example"  # the creator first, then the leads
    assert sorted(to[1:]) == sorted(["ada@acme.example", "max@acme.example", admin.email])
    assert message["Subject"] == "Campaign report: Spring jackets"
    name, pdf = _attachment(message)
    assert name == "roost-campaign-2026-10-01-to-2026-10-28.pdf"
    text = _pdf_text(pdf)
    assert "01 Oct 2026 to 28 Oct 2026" in text and "acme_uk" in text
    assert "1,120" in text  # 28 days of 40 impressions
    report = CampaignReport.objects.get()
    assert (report.campaign, report.start, report.end) == (
        campaign,
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 28),
    )
    assert AuditEvent.objects.filter(action="analytics.campaign_report.sent").count() == 1
