"""Audited changes: create, update or delete one row and write its audit event in
the same transaction, the same way everywhere.

A service checks what it must (tenancy, permission, clean values), then hands
the change to one of these. The audit event's `before` and `after` are
snapshots of the fields the service names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import models, transaction

from roost.core import audit
from roost.core.actors import Actor
from roost.core.models import Organization

M = TypeVar("M", bound=models.Model)


def audited_create(
    model: type[M],
    *,
    actor: Actor,
    organization: Organization,
    values: Mapping[str, Any],
    action: str,
    fields: Sequence[str],
) -> M:
    """Insert a row with `values` (its organisation set) and record `action`."""
    with transaction.atomic():
        row = model._default_manager.create(organization=organization, **values)
        audit.record(
            organization=organization,
            actor=actor,
            action=action,
            target=row,
            after=audit.snapshot(row, fields),
        )
    return row


def audited_update(
    row: M,
    *,
    actor: Actor,
    organization: Organization,
    values: Mapping[str, Any],
    action: str,
    fields: Sequence[str],
) -> M:
    """Set `values` on the row, save those fields, and record `action` with before/after."""
    with transaction.atomic():
        before = audit.snapshot(row, fields)
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))
        audit.record(
            organization=organization,
            actor=actor,
            action=action,
            target=row,
            before=before,
            after=audit.snapshot(row, fields),
        )
    return row


def audited_delete(
    row: models.Model,
    *,
    actor: Actor,
    organization: Organization,
    action: str,
    fields: Sequence[str],
) -> None:
    """Delete the row and record `action` with what it held."""
    with transaction.atomic():
        audit.record(
            organization=organization,
            actor=actor,
            action=action,
            target=row,
            before=audit.snapshot(row, fields),
        )
        row.delete()
