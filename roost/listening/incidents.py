"""From an alert to an incident: the first alert of a monitor opens one (as Roost, from
the alert); later alerts of that monitor, while its incident is not resolved, add
entries to the incident's timeline instead of opening another. The conversations
behind the alert's inbox matches are linked to the incident."""

from __future__ import annotations

from django.urls import reverse

from roost.crisis.models import Incident, IncidentStatus, Severity, TimelineKind
from roost.crisis.services import incident_link_conversations, incident_open
from roost.crisis.timeline import timeline_add
from roost.inbox.models import Conversation, Message
from roost.listening.models import Alert, AlertSignal, MatchSource

# How bad an alert looks: a volume rise of this factor or more opens a SEV2.
SEV2_FACTOR = 5.0


def _severity(alert: Alert) -> str:
    if alert.signal == AlertSignal.VOLUME and alert.factor >= SEV2_FACTOR:
        return Severity.SEV2
    return Severity.SEV3


def _describe(alert: Alert) -> str:
    lines = [alert.summary + "."]
    if alert.top_terms:
        lines.append("Top terms: " + ", ".join(str(term) for term, _ in alert.top_terms) + ".")
    for match in alert.examples.all():
        lines.append(f"“{match.text[:200]}” ({match.author or match.get_source_display()})")
    return "\n".join(lines)


def _open_incident_of(alert: Alert) -> Incident | None:
    """The incident an earlier alert of the same monitor opened, while unresolved."""
    return (
        Incident.objects.filter(
            pk__in=Alert.objects.filter(monitor_id=alert.monitor_id, incident__isnull=False)
            .exclude(pk=alert.pk)
            .values("incident_id"),
        )
        .exclude(status=IncidentStatus.RESOLVED)
        .order_by("-opened_at")
        .first()
    )


def alert_escalate(*, alert: Alert) -> Incident:
    """Open the alert's incident, or add the alert to its monitor's open incident.
    Call inside the transaction that stores the alert."""
    monitor = alert.monitor
    url = reverse("listening:alert", args=[alert.pk])
    incident = _open_incident_of(alert)
    if incident is None:
        incident = incident_open(
            organization=monitor.organization,
            title=f"Alert: {monitor.name}"[:200],
            severity=_severity(alert),
            brand=monitor.brand,
            summary=_describe(alert),
            source="alert",
        )
    timeline_add(incident=incident, kind=TimelineKind.ALERT, text=_describe(alert), url=url)
    alert.incident = incident
    alert.save(update_fields=["incident"])
    message_ids = [
        int(external_id)
        for external_id in alert.monitor.matches.filter(
            source=MatchSource.INBOX, at__gte=alert.window_start, at__lt=alert.window_end
        ).values_list("external_id", flat=True)
        if external_id.isdigit()
    ]
    conversations = list(
        Conversation.objects.filter(
            organization_id=alert.organization_id,
            pk__in=Message.objects.filter(pk__in=message_ids).values("conversation_id"),
        )
    )
    if conversations:
        incident_link_conversations(incident=incident, conversations=conversations)
    return incident
