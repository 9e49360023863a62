"""The audit log: one function writes it, one function verifies it.

Each organisation's events form a hash chain: an event's hash covers its own
fields and the previous event's hash, so changing or removing any stored event
breaks every link after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from roost.core import locks, request_context
from roost.core.actors import SYSTEM, Actor, SystemActor
from roost.core.models import AuditEvent, Organization, User
from roost.core.text_input import json_repaired

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def event_digest(
    *,
    organization_id: int,
    sequence: int,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    before: Any,
    after: Any,
    request_id: str,
    ip_address: str | None,
    previous_hash: str,
) -> str:
    payload = _canonical(
        {
            "organization": organization_id,
            "sequence": sequence,
            "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target": [target_type, target_id, target_label],
            "before": before,
            "after": after,
            "request_id": request_id,
            "ip": ip_address,
            "previous": previous_hash,
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so the stored value and the hashed value are identical.

    NUL and lone surrogates are replaced: the log is append-only, so a value no database
    or export could hold would break every later read of it."""
    if value is None:
        return None
    return json_repaired(json.loads(_canonical(value)))


@dataclass(frozen=True)
class Entry:
    """One event for `record_many`; the fields mean what `record`'s arguments mean."""

    action: str
    actor: Actor = SYSTEM
    target: models.Model | None = None
    target_label: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    actor_label: str | None = None


def record(
    *,
    organization: Organization,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    target_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the organisation's chain.

    Call inside the transaction of the change it describes. The organisation
    row is locked for the append, so concurrent writers chain one after another.
    """
    entry = Entry(
        action=action,
        actor=actor,
        target=target,
        target_label=target_label,
        before=before,
        after=after,
        actor_label=actor_label,
    )
    return record_many(organization=organization, entries=[entry])[0]


def record_many(*, organization: Organization, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append events to the organisation's chain in the order given: one lock, one read
    of the chain's head and one insert, however many there are (for changes made in bulk).

    Call inside the transaction of the changes they describe. The chain stays locked
    until that transaction ends, so everything but the linking is done beforehand.
    """
    if not entries:
        return []
    context = request_context.current()
    occurred_at = timezone.now()
    events = [_unlinked(organization, entry, occurred_at, context) for entry in entries]
    with transaction.atomic():
        # Appends to one chain take turns on the organisation's row.
        locks.organization_chain_locked(organization.pk)
        last = (
            AuditEvent.objects.filter(organization=organization)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, previous_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        for event in events:
            event.sequence, event.previous_hash = sequence, previous_hash
            event.hash = _digest_of(event)
            sequence, previous_hash = sequence + 1, event.hash
        for start in range(0, len(events), 1000):  # within SQLite's limit on parameters
            _insert(events[start : start + 1000])
    return events


def _unlinked(
    organization: Organization, entry: Entry, occurred_at: dt.datetime, context: Any
) -> AuditEvent:
    """An event with everything but its place in the chain."""
    target = entry.target
    actor: User | None = None if isinstance(entry.actor, SystemActor) else entry.actor
    system_label = entry.actor.label if isinstance(entry.actor, SystemActor) else SYSTEM_ACTOR
    label = entry.target_label or (str(target) if target is not None else "")
    return AuditEvent(
        organization_id=organization.pk,
        occurred_at=occurred_at,
        actor_id=actor.pk if actor else None,
        actor_label=entry.actor_label or (actor.email if actor else system_label),
        action=entry.action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=label[:300],
        before=_jsonable(entry.before),
        after=_jsonable(entry.after),
        request_id=context.request_id,
        ip_address=context.ip_address,
    )


_INSERTED = [
    "organization_id", "sequence", "occurred_at", "actor_id", "actor_label", "action",
    "target_type", "target_id", "target_label", "before", "after", "request_id",
    "ip_address", "previous_hash", "hash",
]  # fmt: skip
_PG_TYPES = [
    "bigint", "bigint", "timestamptz", "bigint", "text", "text", "text", "text", "text",
    "jsonb", "jsonb", "text", "inet", "text", "text",
]  # fmt: skip


def _insert(events: list[AuditEvent]) -> None:
    """One INSERT for the events, written out: `bulk_create` spends more time preparing
    the values than the database spends storing them, and the chain is locked
    meanwhile. Sets each event's primary key."""
    rows = [
        [
            event.organization_id, event.sequence,
            connection.ops.adapt_datetimefield_value(event.occurred_at),
            event.actor_id, event.actor_label, event.action, event.target_type,
            event.target_id, event.target_label, _stored_json(event.before),
            _stored_json(event.after), event.request_id, event.ip_address,
            event.previous_hash, event.hash,
        ]
        for event in events
    ]  # fmt: skip
    columns = ", ".join(connection.ops.quote_name(name) for name in _INSERTED)  # attname = column
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        # One array per column: a short statement, however many events.
        arrays = ", ".join(f"%s::{kind}[]" for kind in _PG_TYPES)
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) RETURNING id"  # noqa: S608
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        row = "(" + ", ".join(["%s"] * len(_INSERTED)) + ")"
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(rows))} RETURNING id"  # noqa: S608
        params = [value for values in rows for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [found[0] for found in cursor.fetchall()]
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def _stored_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


@dataclass(frozen=True)
class VerifyResult:
    verified: int
    broken_event: AuditEvent | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event is None


def _digest_of(event: AuditEvent) -> str:
    return event_digest(
        organization_id=event.organization_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        target_label=event.target_label,
        before=event.before,
        after=event.after,
        request_id=event.request_id,
        ip_address=event.ip_address,
        previous_hash=event.previous_hash,
    )


def verify(organizations: Iterable[Organization] | None = None) -> VerifyResult:
    """Check every chain; stop at the first event that does not fit."""
    orgs = organizations if organizations is not None else Organization.objects.order_by("pk")
    count = 0
    for org in orgs:
        expected_previous = GENESIS_HASH
        expected_sequence = 1
        events = AuditEvent.objects.filter(organization=org).order_by("sequence")
        for event in events.iterator(chunk_size=2000):
            if event.sequence != expected_sequence:
                return VerifyResult(
                    count, event, f"sequence {event.sequence}, expected {expected_sequence}"
                )
            if event.previous_hash != expected_previous:
                return VerifyResult(count, event, "does not link to the event before it")
            if _digest_of(event) != event.hash:
                return VerifyResult(count, event, "its contents do not match its hash")
            expected_previous = event.hash
            expected_sequence += 1
            count += 1
    return VerifyResult(count)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a model instance, for `before`/`after`."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = value.pk if isinstance(value, models.Model) else value
    return values


def event_as_dict(event: AuditEvent) -> dict[str, object]:
    """An event as exported and streamed: every stored field, hashes included, so a
    receiver can check the chain itself."""
    return {
        "id": event.pk,
        "organization_id": event.organization_id,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_label,
        "actor_id": event.actor_id,
        "action": event.action,
        "target": {"type": event.target_type, "id": event.target_id, "label": event.target_label},
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip": event.ip_address,
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }
