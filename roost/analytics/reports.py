"""Reports that leave Roost by e-mail: scheduled reports (a dashboard as a PDF, weekly
or monthly, to a list of addresses) and the report on a campaign once its span is over.

Sending, the protocol:
- A report covers a *finished* period: a weekly one the Monday-to-Sunday week before,
  a monthly one the calendar month before (UTC days, as the dashboards read them). Its
  label ("2026-W48", "2026-11") is stored once sent, and a report whose stored label
  is the latest finished period's is not due: each period is sent once.
- The job locks a due report's row, checks again, sends, then stores the label in the
  same transaction. A second worker waits on the lock and then finds it sent. If the
  mail server refuses, nothing is stored and the next run tries again. (A worker killed
  between the server's acceptance and the commit sends it again: a report twice beats
  a report never.)
- A report's figures are those its author may see (`dashboard_build` as the author). A
  report whose author has left, or may no longer manage reports, is paused, not sent.
- A campaign's report covers `CAMPAIGN_SPAN_DAYS` from its release; it is claimed by
  inserting its `CampaignReport` row (one per campaign) and goes to the campaign's
  creator and the organisation's leads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.analytics.dashboard import Period, dashboard_build
from roost.analytics.exports import dashboard_pdf, file_name
from roost.analytics.models import CampaignReport, ReportFrequency, ScheduledReport
from roost.analytics.query import dashboard_kind_of, filters_parse
from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, Role, User
from roost.core.permissions import Action, can, can_somewhere, in_force_q, require
from roost.publishing.models import Campaign

logger = logging.getLogger(__name__)

MAX_NAME = 120
MAX_RECIPIENTS = 50
MAX_ADDRESS = 254
CAMPAIGN_SPAN_DAYS = 28
# A campaign whose span ended longer ago than this gets no report when the job first
# runs (a new installation does not mail a report on every campaign it ever had).
CAMPAIGN_REPORT_LATEST = dt.timedelta(days=14)
CAMPAIGN_KIND = "campaign"


# -- periods --------------------------------------------------------------------------


def report_period(frequency: str, *, now: dt.datetime) -> tuple[str, Period]:
    """The latest finished period of that frequency at `now`, and its label."""
    today = now.astimezone(dt.UTC).date()
    if frequency == ReportFrequency.WEEKLY:
        this_monday = today - dt.timedelta(days=today.weekday())
        start = this_monday - dt.timedelta(days=7)
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}", Period(start=start, end=start + dt.timedelta(days=6))
    if frequency == ReportFrequency.MONTHLY:
        end = today.replace(day=1) - dt.timedelta(days=1)
        return f"{end:%Y-%m}", Period(start=end.replace(day=1), end=end)
    raise ValueError(f"No such frequency: {frequency!r}")


# -- scheduled reports: changes -------------------------------------------------------


def _snapshot(report: ScheduledReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "dashboard": report.dashboard,
        "filters": report.filters,
        "frequency": report.frequency,
        "recipients": report.recipients,
        "active": report.active,
    }


def recipients_clean(addresses: Iterable[str]) -> list[str]:
    """Addresses checked one by one, lower-cased, each once, in the order given."""
    cleaned: list[str] = []
    for raw in addresses:
        if not isinstance(raw, str):
            raise ApplicationError(
                ErrorCode.INVALID, "Recipients are e-mail addresses.", field="recipients"
            )
        address = raw.strip().lower()
        if not address:
            continue
        try:
            if len(address) > MAX_ADDRESS:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"{address[:60]!r} is not an e-mail address.",
                field="recipients",
            ) from None
        if address not in cleaned:
            cleaned.append(address)
    if not cleaned:
        raise ApplicationError(
            ErrorCode.INVALID, "Give at least one address to send to.", field="recipients"
        )
    if len(cleaned) > MAX_RECIPIENTS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"At most {MAX_RECIPIENTS} addresses; use a mailing list for more.",
            field="recipients",
        )
    return cleaned


def _name_clean(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ApplicationError(ErrorCode.INVALID, "Give the report a name.", field="name")
    if len(cleaned) > MAX_NAME:
        raise ApplicationError(
            ErrorCode.INVALID, f"A name is at most {MAX_NAME} characters.", field="name"
        )
    return cleaned


def _frequency_clean(frequency: str) -> str:
    if frequency not in ReportFrequency.values:
        raise ApplicationError(ErrorCode.INVALID, "Choose weekly or monthly.", field="frequency")
    return frequency


def _dashboard_clean(
    *, actor: User, dashboard: str, filters: Mapping[str, object]
) -> tuple[str, dict[str, str]]:
    try:
        kind = dashboard_kind_of(dashboard)
    except ApplicationError:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose one of the dashboards.", field="dashboard"
        ) from None
    unknown = set(filters) - {"channel", "campaign", "team", "network"}
    if unknown:
        raise ApplicationError(
            ErrorCode.INVALID, f"No filter {sorted(unknown)[0][:40]!r}.", field="filters"
        )
    return kind.kind, filters_parse(filters, kind=kind, viewer=actor)


def _author(actor: Actor, organization: Organization) -> User:
    if not isinstance(actor, User) or actor.organization_id != organization.pk:
        raise ApplicationError(
            ErrorCode.PERMISSION_DENIED, "A scheduled report is made by a person of Roost."
        )
    return actor


def scheduled_report_create(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    dashboard: str,
    frequency: str,
    recipients: Sequence[str],
    filters: Mapping[str, object] | None = None,
) -> ScheduledReport:
    """A new scheduled report. Its first e-mail covers the first period that ends after
    it was made (a report made on a Wednesday sends next Monday, for that week)."""
    require(actor, Action.REPORT_MANAGE)
    author = _author(actor, organization)
    kind, cleaned_filters = _dashboard_clean(
        actor=author, dashboard=dashboard, filters=filters or {}
    )
    frequency = _frequency_clean(frequency)
    label, _ = report_period(frequency, now=timezone.now())
    with transaction.atomic():
        report = ScheduledReport.objects.create(
            organization=organization, name=_name_clean(name), dashboard=kind,
            filters=cleaned_filters, frequency=frequency,
            recipients=recipients_clean(recipients), created_by=author, last_period=label,
        )  # fmt: skip
        audit.record(
            organization=organization, actor=actor, action="analytics.report.created",
            target=report, after=_snapshot(report),
        )  # fmt: skip
    return report


def _locked(report: ScheduledReport) -> ScheduledReport:
    return ScheduledReport.objects.select_for_update().get(pk=report.pk)


def scheduled_report_update(
    *,
    actor: Actor,
    report: ScheduledReport,
    name: str,
    dashboard: str,
    frequency: str,
    recipients: Sequence[str],
    filters: Mapping[str, object] | None = None,
) -> ScheduledReport:
    """Change what the report shows and to whom. A changed frequency starts afresh: the
    next e-mail covers the next period of the new frequency to end."""
    require(actor, Action.REPORT_MANAGE)
    author = _author(actor, report.organization)
    kind, cleaned_filters = _dashboard_clean(
        actor=author, dashboard=dashboard, filters=filters or {}
    )
    frequency = _frequency_clean(frequency)
    values: dict[str, Any] = {
        "name": _name_clean(name),
        "dashboard": kind,
        "filters": cleaned_filters,
        "frequency": frequency,
        "recipients": recipients_clean(recipients),
    }
    with transaction.atomic():
        report = _locked(report)
        before = _snapshot(report)
        fields = list(values)
        if frequency != report.frequency:
            report.last_period, _ = report_period(frequency, now=timezone.now())
            fields.append("last_period")
        for field, value in values.items():
            setattr(report, field, value)
        report.save(update_fields=fields)
        audit.record(
            organization=report.organization, actor=actor, action="analytics.report.updated",
            target=report, before=before, after=_snapshot(report),
        )  # fmt: skip
    return report


def _active_set(
    *, actor: Actor, report: ScheduledReport, active: bool, action: str
) -> ScheduledReport:
    with transaction.atomic():
        report = _locked(report)
        if report.active == active:
            return report
        report.active = active
        fields = ["active"]
        if active:
            # Resumed: from the next period on, not the ones missed while paused.
            report.last_period, _ = report_period(report.frequency, now=timezone.now())
            fields.append("last_period")
        report.save(update_fields=fields)
        audit.record(
            organization=report.organization, actor=actor, action=action, target=report,
            before={"active": not active}, after={"active": active},
        )  # fmt: skip
    return report


def scheduled_report_pause(*, actor: Actor, report: ScheduledReport) -> ScheduledReport:
    require(actor, Action.REPORT_MANAGE)
    return _active_set(actor=actor, report=report, active=False, action="analytics.report.paused")


def scheduled_report_resume(*, actor: Actor, report: ScheduledReport) -> ScheduledReport:
    """Send again from the next period to end (periods missed while paused are not)."""
    require(actor, Action.REPORT_MANAGE)
    return _active_set(actor=actor, report=report, active=True, action="analytics.report.resumed")


def scheduled_report_delete(*, actor: Actor, report: ScheduledReport) -> None:
    require(actor, Action.REPORT_MANAGE)
    with transaction.atomic():
        report = _locked(report)
        audit.record(
            organization=report.organization, actor=actor, action="analytics.report.deleted",
            target=report, before=_snapshot(report),
        )  # fmt: skip
        report.delete()


# -- reads ----------------------------------------------------------------------------


def scheduled_report_list(*, viewer: User) -> list[ScheduledReport]:
    require(viewer, Action.REPORT_MANAGE)
    return list(
        ScheduledReport.objects.filter(organization_id=viewer.organization_id)
        .select_related("created_by")
        .order_by("name", "pk")
    )


def scheduled_report_get(*, viewer: User, report_id: int) -> ScheduledReport:
    require(viewer, Action.REPORT_MANAGE)
    report = ScheduledReport.objects.filter(
        organization_id=viewer.organization_id, pk=report_id
    ).first()
    if report is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such scheduled report.")
    return report


def campaign_report_list(*, viewer: User) -> list[CampaignReport]:
    """The campaign reports of the viewer's organisation (its figures are built for the
    viewer when opened, so each shows what they may see)."""
    if not can_somewhere(viewer, Action.ANALYTICS_VIEW):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Your roles do not show analytics.")
    return list(
        CampaignReport.objects.filter(organization_id=viewer.organization_id)
        .select_related("campaign")
        .order_by("-end", "-pk")
    )


# -- sending --------------------------------------------------------------------------


def _send(
    *, subject: str, body: str, recipients: Sequence[str], attachment: tuple[str, bytes]
) -> None:
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(recipients)
    )
    message.attach(attachment[0], attachment[1], "application/pdf")
    message.send()


def _may_send(report: ScheduledReport) -> bool:
    author = report.created_by
    return (
        author is not None
        and author.is_active
        and author.organization_id == report.organization_id
        and can(author, Action.REPORT_MANAGE)
    )


def scheduled_report_send(*, report_id: int, now: dt.datetime) -> bool:
    """Send the report for its latest finished period if it has not been sent; answer
    whether it was. See the module's protocol."""
    with transaction.atomic():
        report = (
            # Only the report's row is locked (its author may be null: an outer join).
            ScheduledReport.objects.select_for_update(of=("self",))
            .select_related("organization", "created_by")
            .filter(pk=report_id)
            .first()
        )
        if report is None or not report.active:
            return False
        label, period = report_period(report.frequency, now=now)
        if report.last_period == label:
            return False
        if not _may_send(report):
            _active_set(actor=SYSTEM, report=report, active=False, action="analytics.report.paused")
            logger.info("scheduled report %s paused: its author may no longer send it", report.pk)
            return False
        author = report.created_by
        assert author is not None
        dashboard = dashboard_build(
            report.dashboard, viewer=author, period=period, filters=report.filters
        )
        _send(
            subject=f"{report.name}: {period.label()}",
            body=(
                f"{report.name}, {dashboard.title}, {period.label()}.\n\n"
                + "\n".join(sentence.text for sentence in dashboard.narrative)
                + f"\n\nThe PDF is attached. Sent by Roost for {report.organization.name};"
                f" {author.name or author.email} manages this report."
            ),
            recipients=report.recipients,
            attachment=(file_name(dashboard, "pdf"), dashboard_pdf(dashboard)),
        )
        report.last_period, report.last_sent_at = label, now
        report.save(update_fields=["last_period", "last_sent_at"])
        audit.record(
            organization=report.organization, actor=SYSTEM, action="analytics.report.sent",
            target=report, after={"period": label, "recipients": report.recipients},
        )  # fmt: skip
    return True


def scheduled_reports_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every active report that is due; one report's failure does not stop the
    others (it is tried again next run). Answers how many were sent."""
    moment = now or timezone.now()
    sent = 0
    for report_id in (
        ScheduledReport.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
    ):
        try:
            sent += scheduled_report_send(report_id=report_id, now=moment)
        except Exception:
            logger.exception("scheduled report %s was not sent; next run tries again", report_id)
    return sent


def campaign_span(campaign: Campaign) -> Period | None:
    """The days a campaign's report covers: from its release, `CAMPAIGN_SPAN_DAYS` long."""
    if campaign.release_at is None:
        return None
    start = campaign.release_at.astimezone(dt.UTC).date()
    return Period(start=start, end=start + dt.timedelta(days=CAMPAIGN_SPAN_DAYS - 1))


def campaign_report_recipients(campaign: Campaign) -> list[str]:
    """The campaign's creator and the organisation's leads (admins and managers on the
    whole organisation), active ones, each once."""
    leads = (
        User.objects.filter(
            organization_id=campaign.organization_id,
            is_active=True,
            memberships__organization_id=campaign.organization_id,
            memberships__role__in=[Role.ADMIN, Role.MANAGER],
            memberships__channel_group__isnull=True,
        )
        .filter(in_force_q(through="memberships__"))
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    creator = campaign.created_by
    found = [creator.email] if creator.is_active and creator.email else []
    for email in leads:
        if email and email not in found:
            found.append(email)
    return found


def campaign_report_send(*, campaign_id: int, now: dt.datetime) -> CampaignReport | None:
    """Send the campaign's report once its span is over (once: its row is the claim)."""
    campaign = (
        Campaign.objects.select_related("organization", "created_by")
        .filter(pk=campaign_id, status=Campaign.Status.RELEASED)
        .first()
    )
    span = campaign_span(campaign) if campaign else None
    if campaign is None or span is None or span.end >= now.astimezone(dt.UTC).date():
        return None
    viewer: User | None = campaign.created_by
    if viewer is None or not viewer.is_active:
        viewer = User.objects.filter(
            organization_id=campaign.organization_id, is_active=True,
            memberships__role=Role.ADMIN, memberships__channel_group__isnull=True,
        ).order_by("pk").first()  # fmt: skip
        if viewer is None:
            return None
    recipients = campaign_report_recipients(campaign)
    try:
        with transaction.atomic():
            report = CampaignReport.objects.create(
                organization_id=campaign.organization_id, campaign=campaign,
                start=span.start, end=span.end, sent_at=now, recipients=recipients,
            )  # fmt: skip
            dashboard = dashboard_build(
                CAMPAIGN_KIND, viewer=viewer, period=span, filters={"campaign": str(campaign.pk)}
            )
            if recipients:
                _send(
                    subject=f"Campaign report: {campaign.name}",
                    body=(
                        f"The campaign {campaign.name} went out on {span.start:%d %b %Y}; here"
                        f" are its first {CAMPAIGN_SPAN_DAYS} days.\n\n"
                        + "\n".join(sentence.text for sentence in dashboard.narrative)
                        + "\n\nThe PDF is attached. Sent by Roost."
                    ),
                    recipients=recipients,
                    attachment=(file_name(dashboard, "pdf"), dashboard_pdf(dashboard)),
                )
            audit.record(
                organization=campaign.organization, actor=SYSTEM,
                action="analytics.campaign_report.sent", target=report,
                after={"campaign": campaign.pk, "start": str(span.start), "end": str(span.end),
                       "recipients": recipients},
            )  # fmt: skip
    except IntegrityError:
        return None  # another worker has sent it
    return report


def campaign_reports_send_due(*, now: dt.datetime | None = None) -> int:
    """Send the report of every released campaign whose span has just ended and that has
    none yet. Answers how many were sent."""
    moment = now or timezone.now()
    try:
        dashboard_kind_of(CAMPAIGN_KIND)
    except ApplicationError:
        return 0  # no campaign dashboard declared: nothing to send
    span = dt.timedelta(days=CAMPAIGN_SPAN_DAYS)
    candidates = (
        Campaign.objects.filter(
            status=Campaign.Status.RELEASED,
            release_at__lte=moment - span,
            release_at__gt=moment - span - CAMPAIGN_REPORT_LATEST,
        )
        .exclude(pk__in=CampaignReport.objects.values("campaign_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for campaign_id in candidates:
        try:
            sent += campaign_report_send(campaign_id=campaign_id, now=moment) is not None
        except Exception:
            logger.exception("campaign report %s was not sent; next run tries again", campaign_id)
    return sent
