"""Pause and resume publishing for a whole organisation, a brand, or chosen channels.

`pause` returns only once no paused variant can reach a network any more. It
commits the pause first, so every send that locks its rows afterwards sees it
(sends check for pauses under their row locks), then locks every variant in
scope, which waits for the sends already in flight (a send holds its rows' locks
for the whole network call). Call it outside a transaction: inside one, the pause
is seen only when that transaction commits. Crisis mode calls these.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Brand, User
from roost.core.permissions import Action, require
from roost.publishing.dispatch import _variants_in_scope, pause_covering, pauses_in_force
from roost.publishing.models import Pause, Variant, VariantState

HELD_STATES = [VariantState.SCHEDULED, VariantState.SENDING]


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
    # The pause is committed: a send that locks its rows from now on sees it and
    # holds its variants back. Locking the scope's rows now waits for the sends that
    # were already in flight; rows claimed meanwhile are held back by their sender.
    with transaction.atomic():
        locked = list(
            _variants_in_scope(held)
            .filter(state__in=HELD_STATES)
            .order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)
        )
        paused = Variant.objects.filter(pk__in=locked, state__in=HELD_STATES).update(
            state=VariantState.PAUSED, claimed_by=""
        )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="publishing.pause_applied",
            target=held,
            after={"variants_paused": paused},
        )
    return held


def resume(*, pause_record: Pause, actor: User) -> Pause:
    """End a pause; its variants go back to the schedule unless another pause covers them."""
    require(actor, Action.PUBLISHING_PAUSE)
    if pause_record.organization_id != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Pause not found.")
    with transaction.atomic():
        held = Pause.objects.select_for_update().get(pk=pause_record.pk)
        if held.ended_at is not None:
            return held
        held.ended_at, held.ended_by = timezone.now(), actor
        held.save(update_fields=["ended_at", "ended_by"])
        resumed = 0
        still = pauses_in_force({held.organization_id})
        for variant in (
            _variants_in_scope(held)
            .filter(state=VariantState.PAUSED)
            .select_related("channel")
            .order_by("pk")
            .select_for_update(of=("self",))
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


def active_pauses(*, viewer: User) -> list[Pause]:
    return list(
        Pause.objects.filter(organization_id=viewer.organization_id, ended_at__isnull=True)
        .select_related("brand", "started_by")
        .prefetch_related("channels")
    )
