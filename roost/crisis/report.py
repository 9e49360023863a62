"""The post-incident report of a crisis: timeline, volumes, response times and what
was paused, as data (`report_of`), shown as a page and written as a PDF (`report_pdf`)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from roost.core.pdf_document import PdfDocument
from roost.crisis.models import CrisisMode, HeldPost
from roost.crisis.timeline import Line, posts_published_during, timeline_of
from roost.inbox.models import Conversation, Direction, Message


@dataclass
class Report:
    crisis: CrisisMode
    title: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    scope: str
    reason: str
    timeline: list[Line] = field(default_factory=list)
    messages_in: int = 0
    replies_out: int = 0
    conversations: int = 0
    first_response_median_minutes: float | None = None
    first_response_max_minutes: float | None = None
    posts_published: int = 0
    held: list[HeldPost] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)

    @property
    def duration(self) -> str:
        end = self.ended_at or timezone.now()
        minutes = int((end - self.started_at).total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60} min"


def report_of(crisis: CrisisMode) -> Report:
    """Everything the report says, read from the crisis, its incident and the inbox."""
    incident = crisis.incident
    start = incident.opened_at if incident else crisis.started_at
    end = crisis.ended_at or timezone.now()
    if incident and incident.resolved_at:
        end = max(end, incident.resolved_at)
    inbox = Message.objects.filter(
        organization_id=crisis.organization_id, created_at__gte=start, created_at__lte=end
    )
    if crisis.brand_id:
        inbox = inbox.filter(channel__brand_id=crisis.brand_id)
    counts = dict(inbox.values_list("direction").annotate(n=Count("pk")).order_by())
    conversations = Conversation.objects.filter(
        organization_id=crisis.organization_id,
        first_message_at__gte=start,
        first_message_at__lte=end,
    )
    if crisis.brand_id:
        conversations = conversations.filter(channel__brand_id=crisis.brand_id)
    waits = [
        (answered - first).total_seconds() / 60  # type: ignore[operator]
        for first, answered in conversations.filter(first_response_at__isnull=False).values_list(
            "first_message_at", "first_response_at"
        )
    ]
    held = list(crisis.held.select_related("variant__channel", "variant__post"))
    report = Report(
        crisis=crisis,
        title=incident.title if incident else crisis.reason,
        started_at=crisis.started_at,
        ended_at=crisis.ended_at,
        scope=crisis.get_scope_display() + (f": {crisis.brand.name}" if crisis.brand else ""),
        reason=crisis.reason,
        timeline=timeline_of(incident, now=end) if incident else [],
        messages_in=counts.get(Direction.INBOUND, 0),
        replies_out=counts.get(Direction.OUTBOUND, 0),
        conversations=conversations.count(),
        first_response_median_minutes=round(statistics.median(waits), 1) if waits else None,
        first_response_max_minutes=round(max(waits), 1) if waits else None,
        posts_published=posts_published_during(incident, now=end).count() if incident else 0,
        held=held,
    )
    for item in held:
        label = item.get_decision_display()
        report.decisions[label] = report.decisions.get(label, 0) + 1
    return report


def report_pdf(report: Report) -> bytes:
    document = PdfDocument(f"Post-incident report: {report.title}")
    heading, line = document.heading, document.line
    line(f"Crisis mode: {report.scope}. Reason: {report.reason}")
    line(
        f"From {report.started_at:%Y-%m-%d %H:%M} UTC"
        + (f" to {report.ended_at:%Y-%m-%d %H:%M} UTC" if report.ended_at else " (still on)")
        + f", {report.duration}."
    )
    heading("Volumes")
    line(f"Messages received: {report.messages_in}")
    line(f"Replies sent: {report.replies_out}")
    line(f"New conversations: {report.conversations}")
    line(f"Posts published during the incident: {report.posts_published}")
    heading("Response times")
    if report.first_response_median_minutes is None:
        line("No conversation of the period was answered.")
    else:
        line(f"First response, median: {report.first_response_median_minutes} min")
        line(f"First response, longest: {report.first_response_max_minutes} min")
    heading("What was paused")
    if not report.held:
        line("No scheduled post was held.")
    for item in report.held:
        when = f"{item.scheduled_at:%Y-%m-%d %H:%M}" if item.scheduled_at else "no time"
        line(
            f"{item.variant.channel.handle}, due {when}: {item.variant.text[:120]}"
            f" -> {item.get_decision_display()}"
        )
    heading("Timeline")
    for entry in report.timeline:
        line(f"{entry.at:%Y-%m-%d %H:%M} {entry.kind_label} ({entry.who or 'Roost'}): {entry.text}")
    return document.output()
