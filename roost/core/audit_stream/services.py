"""Adding, pausing and removing an organisation's audit stream destinations, and
delivering new events to them.

Delivery protocol, per destination:

1. The row is locked (`SKIP LOCKED`: two workers never deliver to one destination at once).
2. The events after its cursor are read in sequence order, a batch at a time.
3. They are sent. Only when the destination took them all does the cursor move to the
   last one, in the same transaction. A failure leaves the cursor where it was and sets
   the next attempt later (1, 2, 4 ... minutes, at most an hour), so nothing is skipped.

A restart therefore sends nothing twice: the cursor is committed after each batch. Only
a worker killed between a receiver's acceptance and that commit sends a batch again, so
every event carries its organisation and sequence number for the receiver to drop a
repeat. The stream's own deliveries are not audited (each would be a new event to
stream); its configuration changes are.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.audit import event_as_dict
from roost.core.audit_stream.locks import destination_locked, due_destination_claimed
from roost.core.audit_stream.models import AuditStreamDestination, DestinationKind
from roost.core.audit_stream.syslog import syslog_send
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Organization, Role, User
from roost.core.notifications import notify
from roost.core.notifications.outbound import outbound
from roost.core.notifications.providers import SendFailed, TargetInvalid
from roost.core.notifications.senders import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    http_post,
    url_validate,
    webhook_secret_make,
    webhook_signature,
)
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on, require_organization

logger = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES_PER_RUN = 50
MAX_BACKOFF = dt.timedelta(hours=1)
# Consecutive failures after which the organisation's admins are told.
ALERT_AFTER_FAILURES = 5
_HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")
SECRET_MIN, SECRET_MAX = 32, 200


def secret_name(destination_id: int) -> str:
    """The vault's name for a destination's signing secret: binds it to that one row."""
    return f"audit_stream_destination_{destination_id}"


@dataclass(frozen=True)
class AddedDestination:
    destination: AuditStreamDestination
    # The signing secret Roost made, to show once and never again ("" when none).
    secret_made: str


def _clean_host(host: str) -> str:
    host = host.strip().lower()
    if not host or len(host) > 253 or not set(host) <= _HOST_CHARS:
        raise ApplicationError(
            ErrorCode.INVALID, "Enter the syslog server's host name or IP address.", field="host"
        )
    return host.strip("[]")


def destination_create(
    *,
    organization: Organization,
    actor: Actor,
    kind: str,
    name: str,
    host: str = "",
    port: int | None = None,
    url: str = "",
    secret: str = "",
) -> AddedDestination:
    """Stream the organisation's new audit events (from now on) to a syslog server or a
    signed webhook. A webhook's secret is made by Roost unless given."""
    require_organization(actor, organization)
    require(actor, Action.AUDIT_EXPORT)
    try:
        kind = DestinationKind(kind)
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose syslog or a webhook.", field="kind"
        ) from None
    name = name.strip()
    if not name or len(name) > 80:
        raise ApplicationError(
            ErrorCode.INVALID, "Give it a name (at most 80 characters).", field="name"
        )
    values: dict[str, object] = {}
    if kind == DestinationKind.WEBHOOK:
        try:
            values["url"] = url_validate(url)
        except TargetInvalid as exc:
            raise ApplicationError(ErrorCode.INVALID, str(exc), field="url") from None
        if secret and not SECRET_MIN <= len(secret) <= SECRET_MAX:
            raise ApplicationError(
                ErrorCode.INVALID,
                f"A signing secret is {SECRET_MIN} to {SECRET_MAX} characters.",
                field="secret",
            )
    else:
        values["host"] = _clean_host(host)
        if port is None or not 1 <= port <= 65535:
            raise ApplicationError(ErrorCode.INVALID, "Enter a port from 1 to 65535.", field="port")
        values["port"] = port
    with transaction.atomic():
        if AuditStreamDestination.objects.filter(organization=organization, name=name).exists():
            raise ApplicationError(
                ErrorCode.CONFLICT, f"A destination {name!r} exists already.", field="name"
            )
        head = (
            AuditEvent.objects.filter(organization=organization)
            .order_by("-sequence")
            .values_list("sequence", flat=True)
            .first()
        )
        destination = AuditStreamDestination.objects.create(
            organization=organization,
            kind=kind,
            name=name,
            cursor=head or 0,
            created_by=actor if isinstance(actor, User) else None,
            **values,  # type: ignore[arg-type]
        )
        made = ""
        if kind == DestinationKind.WEBHOOK:
            made = "" if secret else webhook_secret_make()
            destination.secret_sealed = outbound().seal(
                organization_id=organization.pk,
                name=secret_name(destination.pk),
                secret=secret or made,
            )
            destination.save(update_fields=["secret_sealed"])
        audit.record(
            organization=organization,
            actor=actor,
            action="audit_stream.destination.created",
            target=destination,
            after={
                "kind": kind.value,
                "name": name,
                "where": destination.where,
                "from_sequence": destination.cursor + 1,
            },
        )
    return AddedDestination(destination, made)


def destination_enabled_set(
    *, actor: Actor, destination: AuditStreamDestination, enabled: bool
) -> AuditStreamDestination:
    """Pause or resume. A resumed destination carries on from where it stopped, so it
    receives what happened meanwhile."""
    require_on(actor, destination, Action.AUDIT_EXPORT, noun="Destination")
    with transaction.atomic():
        locked = destination_locked(destination.pk)
        before = {"enabled": locked.enabled}
        locked.enabled = enabled
        locked.failures = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["enabled", "failures", "next_attempt_at"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="audit_stream.destination.resumed"
            if enabled
            else "audit_stream.destination.paused",
            target=locked,
            before=before,
            after={"enabled": enabled},
        )
    return locked


def destination_delete(*, actor: Actor, destination: AuditStreamDestination) -> None:
    require_on(actor, destination, Action.AUDIT_EXPORT, noun="Destination")
    with transaction.atomic():
        audit.record(
            organization=destination.organization,
            actor=actor,
            action="audit_stream.destination.deleted",
            target=destination,
            before={
                "kind": destination.kind,
                "name": destination.name,
                "where": destination.where,
                "cursor": destination.cursor,
            },
        )
        AuditStreamDestination.objects.filter(pk=destination.pk).delete()


def webhook_body(destination: AuditStreamDestination, events: list[AuditEvent]) -> bytes:
    payload = {
        "type": "roost.audit_events",
        "organization": destination.organization.slug,
        "events": [event_as_dict(event) for event in events],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _send(destination: AuditStreamDestination, events: list[AuditEvent]) -> None:
    if destination.kind == DestinationKind.WEBHOOK:
        secret = outbound().unseal(
            organization_id=destination.organization_id,
            name=secret_name(destination.pk),
            sealed=destination.secret_sealed,
        )
        body = webhook_body(destination, events)
        headers = {
            SIGNATURE_HEADER: webhook_signature(
                secret=secret, timestamp=int(time.time()), body=body
            ),
            # The same on a repeat of the same events: a receiver may drop repeats by it.
            DELIVERY_HEADER: (
                f"audit-{destination.organization_id}-{events[0].sequence}-{events[-1].sequence}"
            ),
        }
        http_post(destination.url, body=body, headers=headers)
    else:
        assert destination.port is not None
        syslog_send(
            host=destination.host,
            port=destination.port,
            udp=destination.kind == DestinationKind.SYSLOG_UDP,
            events=events,
        )


def _backoff(failures: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** min(failures - 1, 10)), MAX_BACKOFF)


def destination_deliver(*, destination_id: int, now: dt.datetime | None = None) -> int:
    """Send one batch of new events to the destination when it is due; answers how many
    it took (0 when nothing was due, there was nothing new, or the send failed)."""
    moment = now or timezone.now()
    with transaction.atomic():
        destination = due_destination_claimed(destination_id, now=moment)
        if destination is None:
            return 0
        events = list(
            AuditEvent.objects.filter(
                organization_id=destination.organization_id, sequence__gt=destination.cursor
            ).order_by("sequence")[:BATCH]
        )
        if not events:
            return 0
        try:
            _send(destination, events)
        except SendFailed as failure:
            destination.failures += 1
            destination.last_error = failure.message[:300]
            destination.next_attempt_at = moment + _backoff(destination.failures)
            destination.save(update_fields=["failures", "last_error", "next_attempt_at"])
            logger.warning("audit stream %s: %s", destination.pk, failure.message)
            if destination.failures == ALERT_AFTER_FAILURES:
                _tell_admins(
                    destination.organization,
                    subject=f"The audit stream to {destination.name} is failing",
                    body=f"{ALERT_AFTER_FAILURES} attempts in a row failed: "
                    f"{destination.last_error} Roost keeps the events and tries again.",
                    url=reverse("audit_stream:list"),
                )
            return 0
        destination.cursor = events[-1].sequence
        destination.failures = 0
        destination.last_error = ""
        destination.last_delivered_at = moment
        destination.save(update_fields=["cursor", "failures", "last_error", "last_delivered_at"])
    return len(events)


def destinations_deliver(*, now: dt.datetime | None = None) -> int:
    """Deliver every due destination's new events, batch after batch; answers how many
    events were delivered in all. Run by the clock every minute."""
    moment = now or timezone.now()
    due = AuditStreamDestination.objects.filter(
        enabled=True, next_attempt_at__lte=moment
    ).values_list("pk", flat=True)
    total = 0
    for destination_id in list(due):
        for _ in range(MAX_BATCHES_PER_RUN):
            sent = destination_deliver(destination_id=destination_id, now=moment)
            total += sent
            if sent < BATCH:
                break
    return total


def organization_admins(organization: Organization) -> list[User]:
    return list(
        User.objects.filter(
            organization=organization,
            is_active=True,
            memberships__role=Role.ADMIN,
            memberships__channel_group__isnull=True,
        ).distinct()
    )


def _tell_admins(organization: Organization, *, subject: str, body: str, url: str) -> None:
    notify(
        organization=organization,
        recipients=organization_admins(organization),
        subject=subject,
        body=body,
        url=url,
        urgency="urgent",
    )


@dataclass(frozen=True)
class ChainBreak:
    organization: Organization
    event: AuditEvent
    reason: str


def audit_chains_check() -> list[ChainBreak]:
    """Verify every organisation's chain on its own (one broken chain does not hide
    another); for each broken one, record it in that organisation's log and alert its
    admins. Run by the clock; `roost audit verify` checks the same chains by hand."""
    breaks: list[ChainBreak] = []
    for organization in Organization.objects.order_by("pk"):
        result = audit.verify([organization])
        if result.ok:
            continue
        event = result.broken_event
        assert event is not None
        logger.error(
            "audit chain broken at event %s (organisation %s): %s",
            event.pk,
            organization.pk,
            result.reason,
        )
        with transaction.atomic():
            audit.record(
                organization=organization,
                actor=SYSTEM,
                action="core.audit.chain_broken",
                target=event,
                target_label=f"Audit event #{event.sequence}",
                after={
                    "sequence": event.sequence,
                    "event_id": event.pk,
                    "reason": result.reason,
                    "verified_before_it": result.verified,
                },
            )
            _tell_admins(
                organization,
                subject="The audit log's hash chain is broken",
                body=f"Event #{event.sequence} ({event.action}) {result.reason}. Stored audit "
                "events were changed or removed outside Roost: find out who had access "
                "to the database.",
                url=reverse("core:audit_event", kwargs={"event_id": event.pk}),
            )
        breaks.append(ChainBreak(organization, event, result.reason))
    return breaks
