"""Pause and resume publishing for a whole organisation, a brand, or chosen channels.

`pause` commits the pause first: from then on the gate every sender passes right
before each network call (`roost.publishing.dispatch.Gate`) holds the covered
variants back. It then marks the scope's scheduled variants PAUSED, skipping rows
a worker is claiming this instant (the gate holds those back), and waits at most
`pause_settle_seconds()` for claimed variants to settle (held back by the gate, or
their call, already in flight, back). It never waits on a sender's locks, so a
frozen worker cannot hold it up; and the gate checks again before any call such a
worker makes later. Call it outside a transaction: inside one, the pause is seen
only when that transaction commits. Crisis mode calls these.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.publishing.dispatch import pause_covering, pauses_in_force
from roost.publishing.locks import pause_locked, variant_ids_free, variant_locked, variants_locked
from roost.publishing.models import Pause, Variant, VariantState
from roost.publishing.selectors import variants_in_scope


def pause_settle_seconds() -> float:
    """How long `pause` waits, at most, for calls already in flight to come back."""
    return float(getattr(settings, "ROOST_PAUSE_SETTLE_SECONDS", 2.0))


def pause(
    *,
    scope: Pause.Scope | str,
    reason: str,
    actor: User,
    brand: Brand | None = None,
    channels: Sequence[Channel] = (),
) -> Pause:
    require(actor, Action.PUBLISHING_PAUSE)
    scope = Pause.Scope(scope)
    if not reason.strip():
        raise ApplicationError(ErrorCode.INVALID, "Say why publishing is paused.", field="reason")
    if scope == Pause.Scope.BRAND and (
        brand is None or brand.organization_id != actor.organization_id
    ):
        raise ApplicationError(ErrorCode.INVALID, "Choose the brand to pause.", field="brand")
    foreign = any(c.organization_id != actor.organization_id for c in channels)
    if scope == Pause.Scope.CHANNELS and (not channels or foreign):
        raise ApplicationError(ErrorCode.INVALID, "Choose the channels to pause.", field="channels")
    with transaction.atomic():
        held = Pause.objects.create(
            organization_id=actor.organization_id,
            scope=scope,
            brand=brand if scope == Pause.Scope.BRAND else None,
            reason=reason.strip(),
            started_by=actor,
        )
        if scope == Pause.Scope.CHANNELS:
            held.channels.set(channels)
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="publishing.paused",
            target=held,
            after={
                "scope": scope.value,
                "brand": brand.name if brand else None,
                "channels": [c.handle for c in channels],
                "reason": held.reason,
            },
        )
    # The pause is committed: every network call asked for from now on is held back.
    # Scheduled variants are marked PAUSED (rows a worker is claiming this instant are
    # skipped, never waited for: the gate holds them back). Claimed ones are left to
    # the gate too: their sender holds each back right before its call, and one whose
    # call is already in flight is written down as the network answers.
    with transaction.atomic():
        ids = variant_ids_free(variants_in_scope(pause=held).filter(state=VariantState.SCHEDULED))
        paused = Variant.objects.filter(pk__in=ids, state=VariantState.SCHEDULED).update(
            state=VariantState.PAUSED, claimed_by=""
        )
        sending = variants_in_scope(pause=held).filter(state=VariantState.SENDING)
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="publishing.pause_applied",
            target=held,
            after={"variants_paused": paused, "claimed_when_paused": sending.count()},
        )
    # Claimed variants settle within a moment (held back by the gate, or their call in
    # flight comes back): wait a little for them, never for long. A frozen or dead
    # worker's may take long; the gate checks again before any call it makes later.
    deadline = time.monotonic() + pause_settle_seconds()
    while sending.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


def resume(*, pause_record: Pause, actor: User) -> Pause:
    """End a pause; its variants go back to the schedule unless another pause covers them."""
    require_on(actor, pause_record, Action.PUBLISHING_PAUSE, noun="Pause")
    with transaction.atomic():
        held = pause_locked(pause_record.pk)
        if held.ended_at is not None:
            return held
        held.ended_at, held.ended_by = timezone.now(), actor
        held.save(update_fields=["ended_at", "ended_by"])
        resumed = 0
        still = pauses_in_force({held.organization_id})
        for variant in variants_locked(
            variants_in_scope(pause=held)
            .filter(state=VariantState.PAUSED)
            .select_related("channel")
        ):
            if pause_covering(variant, still) is None:
                variant.state = VariantState.SCHEDULED
                variant.save(update_fields=["state"])
                resumed += 1
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="publishing.resumed",
            target=held,
            before={"reason": held.reason},
            after={"variants_resumed": resumed},
        )
    return held


def paused_variant_settle(
    *,
    actor: User,
    variant: Variant,
    scheduled_at: dt.datetime | None = None,
    discard: bool = False,
) -> Variant:
    """Decide what a paused copy does once its pause ends, while the pause still holds
    it: go out at `scheduled_at` (now: as soon as publishing resumes), or be taken off
    the schedule (`discard`: back to a draft, kept with its post)."""
    require_on(actor, variant, Action.PUBLISHING_PAUSE, noun="Post")
    if not discard and scheduled_at is None:
        raise ApplicationError(ErrorCode.INVALID, "Choose when it goes out.", field="scheduled_at")
    with transaction.atomic():
        variant = variant_locked(variant.pk)
        if variant.state != VariantState.PAUSED:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"This copy is {variant.get_state_display().lower()}, not paused.",
            )
        before = {"state": variant.state, "scheduled_at": variant.scheduled_at}
        if discard:
            variant.state, variant.scheduled_at = VariantState.DRAFT, None
        else:
            variant.scheduled_at = scheduled_at
        variant.save(update_fields=["state", "scheduled_at"])
        audit.record(
            organization=variant.organization,
            actor=actor,
            action="publishing.paused_variant.settled",
            target=variant,
            before=before,
            after={"state": variant.state, "scheduled_at": variant.scheduled_at},
        )
    return variant
