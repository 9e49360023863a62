"""An incident's timeline: entries written as things happen (`timeline_add`), and the
work done during the incident read from where it is kept (`timeline_of`).

Pauses of publishing, posts that went out and replies sent on linked conversations are
not copied into the timeline: publishing and the inbox know nothing of incidents (they
sit below crisis), so the timeline reads them, by time and scope, when it is shown. A
pause made straight from publishing during the incident shows as well as crisis mode's
own, and nothing can be missed by a hook that was not called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import User
from roost.crisis.models import Incident, IncidentConversation, TimelineEntry, TimelineKind
from roost.inbox.models import Direction, Message
from roost.publishing.models import Pause, Variant, VariantState


def timeline_add(
    *,
    incident: Incident,
    kind: str,
    text: str,
    actor: User | None = None,
    url: str = "",
) -> TimelineEntry:
    """Write one entry (audited). `actor` None: Roost itself (an alert, a pause)."""
    kind = TimelineKind(kind)
    with transaction.atomic():
        entry = TimelineEntry.objects.create(
            organization_id=incident.organization_id,
            incident=incident,
            kind=kind,
            text=text.strip()[:5000],
            actor=actor,
            url=url,
        )
        audit.record(
            organization=incident.organization,
            actor=actor or SYSTEM,
            action="crisis.timeline.added",
            target=incident,
            after={"kind": kind.value, "text": entry.text[:500]},
        )
    return entry


@dataclass(frozen=True)
class Line:
    """One line of the timeline, stored or read from the work itself."""

    at: dt.datetime
    kind: str
    kind_label: str
    text: str
    who: str = ""
    url: str = ""


def _who(person: User | None) -> str:
    return (person.name or person.email) if person else "Roost"


def _window(incident: Incident, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return incident.opened_at, incident.resolved_at or now


def posts_published_during(
    incident: Incident, *, now: dt.datetime | None = None
) -> QuerySet[Variant]:
    """Copies published while the incident was open (of its brand, when it has one)."""
    start, end = _window(incident, now or timezone.now())
    variants = Variant.objects.filter(
        organization_id=incident.organization_id,
        state=VariantState.PUBLISHED,
        published_at__gte=start,
        published_at__lte=end,
    )
    if incident.brand_id:
        variants = variants.filter(channel__brand_id=incident.brand_id)
    return variants.select_related("channel", "post").order_by("published_at", "pk")


def pauses_during(incident: Incident, *, now: dt.datetime | None = None) -> QuerySet[Pause]:
    """The organisation's pauses started or ended while the incident was open."""
    start, end = _window(incident, now or timezone.now())
    return (
        Pause.objects.filter(organization_id=incident.organization_id, started_at__lte=end)
        .exclude(ended_at__lt=start)
        .select_related("brand", "started_by", "ended_by")
        .order_by("started_at", "pk")
    )


def replies_sent_during(incident: Incident, *, now: dt.datetime | None = None) -> QuerySet[Message]:
    """Replies sent on the incident's linked conversations while it was open."""
    start, end = _window(incident, now or timezone.now())
    linked = IncidentConversation.objects.filter(incident=incident).values("conversation_id")
    return (
        Message.objects.filter(
            organization_id=incident.organization_id,
            conversation_id__in=linked,
            direction=Direction.OUTBOUND,
            created_at__gte=start,
            created_at__lte=end,
        )
        .select_related("sent_by", "conversation")
        .order_by("created_at", "pk")
    )


def timeline_of(incident: Incident, *, now: dt.datetime | None = None) -> list[Line]:
    """The whole timeline, oldest first: four queries whatever its length."""
    lines = [
        Line(
            at=entry.at,
            kind=entry.kind,
            kind_label=entry.get_kind_display(),
            text=entry.text,
            who=_who(entry.actor),
            url=entry.url,
        )
        for entry in incident.timeline.select_related("actor")
    ]
    start, end = _window(incident, now or timezone.now())
    for held in pauses_during(incident, now=now):
        scope = held.get_scope_display().lower() + (f": {held.brand.name}" if held.brand else "")
        if start <= held.started_at <= end:
            lines.append(
                Line(
                    at=held.started_at,
                    kind=TimelineKind.PAUSE,
                    kind_label=TimelineKind.PAUSE.label,
                    text=f"Scheduled publishing paused ({scope}): {held.reason}",
                    who=_who(held.started_by),
                )
            )
        if held.ended_at is not None and start <= held.ended_at <= end:
            lines.append(
                Line(
                    at=held.ended_at,
                    kind=TimelineKind.RESUME,
                    kind_label=TimelineKind.RESUME.label,
                    text=f"Scheduled publishing resumed ({scope}).",
                    who=_who(held.ended_by),
                )
            )
    for variant in posts_published_during(incident, now=now):
        lines.append(
            Line(
                at=variant.published_at or incident.opened_at,
                kind=TimelineKind.POST,
                kind_label=TimelineKind.POST.label,
                text=f"On {variant.channel.handle}: {Truncator(variant.text).chars(140)}",
                url=reverse("publishing:detail", args=[variant.post_id]),
            )
        )
    for message in replies_sent_during(incident, now=now):
        who = message.sent_by.name if message.sent_by else message.author_handle
        lines.append(
            Line(
                at=message.created_at,
                kind=TimelineKind.REPLY,
                kind_label=TimelineKind.REPLY.label,
                text=(
                    f"To {message.conversation.author_handle}: {Truncator(message.text).chars(140)}"
                ),
                who=who,
                url=reverse("inbox:conversation", args=[message.conversation_id]),
            )
        )
    return sorted(lines, key=lambda line: line.at)
