"""Reads of corrections and adapters, scoped to one organisation."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.db.models import QuerySet

from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.corrections.adapter import Adapter
from roost.inbox.corrections.evaluation import HeldOutReport
from roost.inbox.models import ClassificationCorrection, ClassifierAdapter

# Parsed adapters, by organisation, with what identifies the stored row they came from:
# a batch reads only that identity, and parses the parameters again only when it moved.
_parsed: dict[int, tuple[tuple[int, int, dt.datetime], Adapter]] = {}
_parsed_lock = threading.Lock()


def adapter_for(organization_id: int) -> Adapter | None:
    """The organisation's adapter (None: it has none). One small query; the parameters
    are read and parsed once per trained version. Call once per batch of messages."""
    row = (
        ClassifierAdapter.objects.filter(organization_id=organization_id)
        .values_list("pk", "version", "trained_at")
        .first()
    )
    if row is None:
        return None
    with _parsed_lock:
        cached = _parsed.get(organization_id)
    if cached is not None and cached[0] == row:
        return cached[1]
    parameters = (
        ClassifierAdapter.objects.filter(pk=row[0], organization_id=organization_id)
        .values_list("parameters", flat=True)
        .first()
    )
    adapter = Adapter.from_parameters(parameters or {}, version=row[1])
    with _parsed_lock:
        _parsed[organization_id] = (row, adapter)
    return adapter


def correction_list(*, viewer: User) -> QuerySet[ClassificationCorrection]:
    """The corrections on conversations the viewer may see, newest first."""
    corrections = ClassificationCorrection.objects.filter(
        organization_id=viewer.organization_id
    ).select_related("corrected_by", "conversation")
    allowed = channel_group_ids_allowed(viewer, Action.INBOX_VIEW)
    if allowed is not None:
        corrections = corrections.filter(conversation__channel__channel_group_id__in=allowed)
    return corrections.order_by("-corrected_at", "-pk")


@dataclass(frozen=True)
class AdapterSummary:
    adapter: ClassifierAdapter | None
    report: HeldOutReport | None
    corrections: int
    new_since_training: int


def adapter_summary(*, viewer: User) -> AdapterSummary:
    """The viewer's organisation's adapter, its held-out evaluation, and how many
    corrections it has (and how many arrived since the adapter was trained)."""
    adapter = ClassifierAdapter.objects.filter(organization_id=viewer.organization_id).first()
    corrections = ClassificationCorrection.objects.filter(organization_id=viewer.organization_id)
    newer = corrections.filter(pk__gt=adapter.last_correction_id) if adapter else corrections
    return AdapterSummary(
        adapter=adapter,
        report=HeldOutReport.from_json(adapter.evaluation) if adapter else None,
        corrections=corrections.count(),
        new_since_training=newer.count(),
    )
