"""Two workers send the scheduled reports at the same moment (PostgreSQL, real row
locks, a real SMTP server on loopback): each due report is mailed once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from roost.analytics.models import ScheduledReport
from roost.analytics.reports import scheduled_report_create, scheduled_reports_send_due
from roost.core.models import Role
from roost.core.tests import test_password_reset

smtp_server = test_password_reset.smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.peer, pytest.mark.django_db(transaction=True)]

MONDAY = dt.datetime(2026, 11, 9, 6, 0, tzinfo=dt.UTC)


def test_two_workers_at_once_mail_each_report_once(org, make_user, smtp_server, sample_dashboards):
    analyst = make_user(org, Role.ANALYST)
    for n in range(3):
        report = scheduled_report_create(
            actor=analyst, organization=org, name=f"Weekly {n}", dashboard="sample",
            frequency="weekly", recipients=[f"lead{n}@acme.example"],
        )  # fmt: skip
        ScheduledReport.objects.filter(pk=report.pk).update(last_period="2026-W44")
    start = threading.Barrier(2)
    sent: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(5)
            sent.append(scheduled_reports_send_due(now=MONDAY))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(sent) == 3
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "lead0@acme.example",
        "lead1@acme.example",
        "lead2@acme.example",
    ]
    assert set(ScheduledReport.objects.values_list("last_period", flat=True)) == {"2026-W45"}
