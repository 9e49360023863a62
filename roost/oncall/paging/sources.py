"""Where pages come from besides a person: an urgent incident, and three kinds of trouble
found by a periodic scan (an SLA breach on a VIP or urgent conversation, a campaign's
post that failed or whose outcome is unknown, a channel whose credential was refused).

Incidents reach paging through the notification interface: crisis tells the incident's
people with `notify`, and the delivery channel declared here raises the page, in the
incident's own transaction, once per incident.

Each scan reads what is new since its cursor (a little before it, since a case may be
recorded after the moment it is dated) and raises a page per case under a dedup key,
so a case seen twice still pages once. An organisation without a default policy is not
paged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from roost.core.actors import SYSTEM
from roost.core.models import AuditEvent, Organization, User
from roost.core.notifications.channels import Message
from roost.oncall.models import EscalationPolicy, PageSourceCursor, PageUrgency
from roost.oncall.paging import clock
from roost.oncall.paging.services import page_raise

logger = logging.getLogger(__name__)

CHANNEL_NAME = "oncall_pages"
OVERLAP = dt.timedelta(hours=1)
SCAN_LIMIT = 500


def incident_page_deliver(*, message: Message, recipients: Sequence[User]) -> None:
    """The delivery channel: an urgent message about an incident raises its page."""
    from roost.crisis.models import Incident

    if message.source_type != "crisis.incident" or message.urgency != "urgent":
        return
    incident = Incident.objects.filter(
        organization_id=message.organization_id, pk=message.source_id
    ).first()
    if incident is None or incident.is_resolved:
        return
    policy = _default_policies([incident.organization_id]).get(incident.organization_id)
    if policy is None:
        return
    try:
        page_raise(
            actor=SYSTEM,
            organization=incident.organization,
            title=f"Incident: {incident.title}",
            details=message.body,
            urgency=PageUrgency.URGENT,
            policy=policy,
            source=incident,
            dedup_key=f"crisis.incident:{incident.pk}",
            incident=incident,
        )
    except Exception:
        # Paging must never undo the incident it is about; its own savepoint is gone.
        logger.exception("raising the page for incident %s failed", incident.pk)


def _default_policies(organization_ids: Iterable[int]) -> dict[int, EscalationPolicy]:
    return {
        p.organization_id: p
        for p in EscalationPolicy.objects.filter(
            organization_id__in=set(organization_ids), is_default=True
        )
    }


def _cursor(source: str) -> PageSourceCursor:
    cursor, _ = PageSourceCursor.objects.get_or_create(source=source)
    return cursor


def _raise_each(cases: Sequence[tuple[int, str, str, str, models.Model]]) -> int:
    """Raise a page per (organisation id, dedup key, title, details, source) case;
    answers how many cases reached an organisation with a default policy."""
    if not cases:
        return 0
    policies = _default_policies(case[0] for case in cases)
    organizations = Organization.objects.in_bulk({case[0] for case in cases})
    raised = 0
    for organization_id, key, title, details, source in cases:
        policy = policies.get(organization_id)
        if policy is None:
            continue
        try:
            page = page_raise(
                actor=SYSTEM,
                organization=organizations[organization_id],
                title=title,
                details=details,
                policy=policy,
                source=source,
                dedup_key=key,
            )
        except Exception:
            logger.exception("raising a page for %s failed", key)
            continue
        raised += bool(page.pk)
    return raised


def sla_breaches_page(*, now: dt.datetime | None = None) -> int:
    """Page about VIP or urgent conversations whose response target passed."""
    from roost.inbox.models import Conversation

    now = now or clock.now()
    with transaction.atomic():
        cursor = PageSourceCursor.objects.select_for_update().get(pk=_cursor("inbox.sla").pk)
        since = (cursor.position or now - OVERLAP) - OVERLAP
        found = list(
            Conversation.objects.filter(
                Q(vip=True) | Q(priority="urgent"),
                sla_state="breached",
                sla_due_at__gt=since,
                sla_due_at__lte=now,
            )
            .exclude(status="closed")
            .order_by("sla_due_at", "pk")[:SCAN_LIMIT]
        )
        cases = [
            (
                c.organization_id,
                f"inbox.sla:{c.pk}:{c.sla_due_at:%Y%m%dT%H%M%S}",
                f"Response target missed: {c.author_name or c.author_handle}",
                f"{'VIP ' if c.vip else ''}{c.get_priority_display()} conversation with "
                f"{c.author_handle}, due {c.sla_due_at:%Y-%m-%d %H:%M} UTC.\n"
                f"{reverse('inbox:conversation', args=[c.pk])}",
                c,
            )
            for c in found
        ]
        if found:
            cursor.position = max(cursor.position or now, found[-1].sla_due_at or now)
        else:
            cursor.position = cursor.position or now
        cursor.updated_at = now
        cursor.save(update_fields=["position", "updated_at"])
    return _raise_each(cases)


def campaign_failures_page(*, now: dt.datetime | None = None) -> int:
    """Page about campaign posts that failed, or whose outcome is unknown."""
    from roost.publishing.models import Attempt, VariantState

    now = now or clock.now()
    troubled = (VariantState.FAILED, VariantState.UNCONFIRMED)
    with transaction.atomic():
        cursor = PageSourceCursor.objects.select_for_update().get(pk=_cursor("publishing").pk)
        since = (cursor.position or now - OVERLAP) - OVERLAP
        attempts = list(
            Attempt.objects.filter(
                finished_at__gt=since,
                finished_at__lte=now,
                outcome__in=(Attempt.Outcome.FAILED, Attempt.Outcome.UNCONFIRMED),
                variant__state__in=troubled,
                variant__post__campaign__isnull=False,
            )
            .select_related("variant__post__campaign", "variant__channel")
            .order_by("finished_at", "pk")[:SCAN_LIMIT]
        )
        cases = []
        for attempt in attempts:
            variant = attempt.variant
            campaign = variant.post.campaign
            assert campaign is not None
            state = variant.get_state_display().lower()
            where = reverse("publishing:detail", args=[variant.post_id])
            cases.append(
                (
                    variant.organization_id,
                    f"publishing.variant:{variant.pk}:{variant.state}",
                    f"Campaign {campaign.name}: a post is {state} on {variant.channel.handle}",
                    f"{attempt.error or state}\n{where}",
                    variant,
                )
            )
        if attempts:
            cursor.position = max(cursor.position or now, attempts[-1].finished_at or now)
        else:
            cursor.position = cursor.position or now
        cursor.updated_at = now
        cursor.save(update_fields=["position", "updated_at"])
    return _raise_each(cases)


def revoked_credentials_page(*, now: dt.datetime | None = None) -> int:
    """Page about channels whose network refused their credential."""
    from roost.channels.models import Channel

    now = now or clock.now()
    with transaction.atomic():
        cursor = PageSourceCursor.objects.select_for_update().get(pk=_cursor("channels").pk)
        events = list(
            AuditEvent.objects.filter(
                pk__gt=cursor.last_id, action="channels.health.failing"
            ).order_by("pk")[:SCAN_LIMIT]
        )
        revoked = [
            e
            for e in events
            if str((e.after or {}).get("error", "")).startswith("CredentialRevoked")
        ]
        channels = Channel.objects.in_bulk(
            {int(e.target_id) for e in revoked if e.target_id.isdigit()}
        )
        cases = []
        for event in revoked:
            channel = channels.get(int(event.target_id)) if event.target_id.isdigit() else None
            if channel is None:
                continue
            cases.append(
                (
                    event.organization_id,
                    f"channels.revoked:{event.pk}",
                    f"Credential refused: {channel.handle} on {channel.network}",
                    f"{(event.after or {}).get('error', '')}\n"
                    f"{reverse('channels:detail', args=[channel.pk])}",
                    channel,
                )
            )
        if events:
            cursor.last_id = events[-1].pk
        cursor.updated_at = now
        cursor.save(update_fields=["last_id", "updated_at"])
    return _raise_each(cases)
