"""A campaign's report for auditors: the scope, the progress, and per grant who decided
what and when, with the revocations made. As data (`report_of`), a page, a CSV file
(`report_csv`) and a PDF (`report_pdf`). Times are written in UTC."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from roost.core.csv_export import SafeCsvWriter
from roost.core.pdf_document import PdfDocument
from roost.governance.reviews.models import Campaign, Decision, ReviewItem
from roost.governance.reviews.selectors import Progress, campaign_items, progress_of

UNANSWERED = "Unanswered (closed without a decision)"
CSV_HEADER = [
    "person",
    "email",
    "role",
    "scope",
    "granted_at_utc",
    "reviewers",
    "decision",
    "decided_by",
    "decided_at_utc",
    "comment",
    "revoked_at_utc",
]


@dataclass(frozen=True)
class Row:
    person: str
    email: str
    role: str
    scope: str
    granted_at: dt.datetime
    reviewers: str
    decision: str
    decided_by: str
    decided_at: dt.datetime | None
    comment: str
    revoked_at: dt.datetime | None


@dataclass
class Report:
    campaign: Campaign
    progress: Progress
    scope: str
    rows: list[Row] = field(default_factory=list)

    @property
    def revocations(self) -> list[Row]:
        return [row for row in self.rows if row.revoked_at is not None]

    @property
    def unanswered(self) -> list[Row]:
        return [row for row in self.rows if row.decided_at is None]


def _decision_label(item: ReviewItem, campaign: Campaign) -> str:
    if item.decision == Decision.PENDING:
        return "Awaiting decision" if campaign.is_open else UNANSWERED
    return str(item.get_decision_display())


def report_of(campaign: Campaign) -> Report:
    groups = [g.name for g in campaign.channel_groups.order_by("name")]
    scope = "All channel groups" if campaign.all_channel_groups else ", ".join(groups)
    if campaign.include_organization_wide:
        scope += " and organisation-wide grants" if groups or campaign.all_channel_groups else ""
        scope = scope or "Organisation-wide grants"
    rows = [
        Row(
            person=item.person.name,
            email=item.person.email,
            role=item.role_label,
            scope=item.scope_label,
            granted_at=item.granted_at,
            reviewers=", ".join(r.name for r in item.reviewers.all()) or "nobody",
            decision=_decision_label(item, campaign),
            decided_by=item.decided_by.name if item.decided_by else "",
            decided_at=item.decided_at,
            comment=item.comment,
            revoked_at=item.revoked_at,
        )
        for item in campaign_items(campaign)
    ]
    return Report(campaign=campaign, progress=progress_of(campaign), scope=scope, rows=rows)


def _utc(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if moment else ""


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        writer.writerow(
            [
                row.person,
                row.email,
                row.role,
                row.scope,
                _utc(row.granted_at),
                row.reviewers,
                row.decision,
                row.decided_by,
                _utc(row.decided_at),
                row.comment,
                _utc(row.revoked_at),
            ]
        )
    return out.getvalue()


def report_pdf(report: Report) -> bytes:
    campaign, progress = report.campaign, report.progress
    document = PdfDocument(f"Access review: {campaign.name}")
    heading, line = document.heading, document.line
    line(f"Organisation: {campaign.organization.name}. Scope: {report.scope}.")
    line(
        f"Started {_utc(campaign.started_at)} UTC by {campaign.owner.name}; "
        f"due {_utc(campaign.due_at)} UTC; "
        + (
            f"closed {_utc(campaign.closed_at)} UTC"
            + (f" by {campaign.closed_by.name}" if campaign.closed_by else "")
            if campaign.closed_at
            else "still open"
        )
        + "."
    )
    heading("Progress")
    line(f"{progress.decided} of {progress.total} items decided ({progress.percent}%).")
    line(
        f"Kept: {progress.kept}. Revoked: {progress.revoked}. "
        f"Grant already removed: {progress.gone}. "
        f"{'Awaiting decision' if campaign.is_open else 'Unanswered'}: {progress.pending}."
    )
    heading("Revocations made")
    if not report.revocations:
        line("No grant was revoked.")
    for row in report.revocations:
        line(
            f"{row.person} <{row.email}>: {row.role} on {row.scope}, revoked "
            f"{_utc(row.revoked_at)} UTC, decided by {row.decided_by}"
            + (f" ({row.comment})" if row.comment else "")
        )
    if not campaign.is_open:
        heading("Unanswered")
        if not report.unanswered:
            line("Every item was decided.")
        for row in report.unanswered:
            line(
                f"{row.person} <{row.email}>: {row.role} on {row.scope} "
                f"(reviewers: {row.reviewers})"
            )
    heading("Every decision")
    for row in report.rows:
        decided = (
            f" by {row.decided_by} on {_utc(row.decided_at)} UTC"
            if row.decided_by
            else (f" on {_utc(row.decided_at)} UTC" if row.decided_at else "")
        )
        line(
            f"{row.person} <{row.email}>, {row.role} on {row.scope} "
            f"(granted {_utc(row.granted_at)} UTC): {row.decision}{decided}"
            + (f". Comment: {row.comment}" if row.comment else "")
        )
    return document.output()
