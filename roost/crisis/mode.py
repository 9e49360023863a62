"""Crisis mode: one action holds back scheduled publishing (the organisation's, a
brand's or chosen channels'), puts a banner on every page of the organisation and opens
the matching playbook.

Publishing's own `pause` does the holding back, so "pause means pause" is its promise,
kept under lock at the moment of sending (roost/publishing/dispatch.py). Ending has two
steps: the banner goes and every held copy is listed for a decision (publish now,
reschedule, discard); once all are decided, the decisions are applied while the pause
still holds, and only then does publishing resume.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import Brand, User
from roost.core.notifications import notify
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.crisis.models import CrisisMode, HeldPost, Incident, Playbook, TimelineKind
from roost.crisis.team import incident_team, organization_leads
from roost.crisis.timeline import timeline_add
from roost.publishing.models import Pause, Variant, VariantState
from roost.publishing.pausing import pause, paused_variant_settle, resume
from roost.publishing.selectors import variants_in_scope

Decision = HeldPost.Decision


def _copies(count: int) -> str:
    return f"{count} post cop{'y' if count == 1 else 'ies'}"


def _crisis_locked(crisis_id: int) -> CrisisMode:
    return locked_one(CrisisMode.objects.all(), crisis_id)


def playbook_matching(
    *, organization_id: int, brand: Brand | None, scenario: str = ""
) -> Playbook | None:
    """The playbook for the scenario (any, when not named): the brand's own first, then
    the organisation's."""
    playbooks = Playbook.objects.filter(organization_id=organization_id)
    if scenario:
        playbooks = playbooks.filter(scenario=scenario)
    own = playbooks.filter(brand=brand).order_by("title", "pk").first() if brand else None
    return own or playbooks.filter(brand__isnull=True).order_by("title", "pk").first()


def crisis_mode_start(
    *,
    actor: User,
    scope: str,
    reason: str,
    brand: Brand | None = None,
    channels: Sequence[Channel] = (),
    incident: Incident | None = None,
    playbook: Playbook | None = None,
) -> CrisisMode:
    """Turn crisis mode on. Call outside a transaction (publishing's `pause` must commit
    before it marks the scheduled copies). `CONFLICT` when it is already on."""
    require(actor, Action.CRISIS_MODE)
    try:
        scope = CrisisMode.Scope(scope)
    except ValueError:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"Scope must be one of {', '.join(CrisisMode.Scope.values)}.",
            field="scope",
        ) from None
    reason = reason.strip()
    if not reason:
        raise ApplicationError(ErrorCode.INVALID, "Say why crisis mode is on.", field="reason")
    if scope == CrisisMode.Scope.BRAND and (
        brand is None or brand.organization_id != actor.organization_id
    ):
        raise ApplicationError(ErrorCode.INVALID, "Choose the brand.", field="brand")
    if scope == CrisisMode.Scope.CHANNELS and (
        not channels or any(c.organization_id != actor.organization_id for c in channels)
    ):
        raise ApplicationError(ErrorCode.INVALID, "Choose the channels.", field="channels")
    if incident is not None:
        require_on(actor, incident, Action.CRISIS_MODE, noun="Incident")
    if playbook is not None:
        require_on(actor, playbook, Action.CRISIS_MODE, noun="Playbook")
    brand = brand if scope == CrisisMode.Scope.BRAND else None
    if playbook is None:
        playbook = playbook_matching(
            organization_id=actor.organization_id,
            brand=brand or (incident.brand if incident else None),
        )
    try:
        with transaction.atomic():
            crisis = CrisisMode.objects.create(
                organization_id=actor.organization_id,
                incident=incident,
                scope=scope,
                brand=brand,
                playbook=playbook,
                reason=reason,
                started_by=actor,
            )
            if scope == CrisisMode.Scope.CHANNELS:
                crisis.channels.set(channels)
            audit.record(
                organization=actor.organization,
                actor=actor,
                action="crisis.mode.started",
                target=crisis,
                after={
                    "scope": scope.value,
                    "brand": brand.name if brand else None,
                    "channels": [c.handle for c in channels],
                    "reason": reason,
                    "incident": incident.pk if incident else None,
                    "playbook": playbook.scenario if playbook else None,
                },
            )
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "Crisis mode is already on.") from None
    try:
        held = pause(
            scope=Pause.Scope(scope.value),
            reason=f"Crisis mode: {reason}",
            actor=actor,
            brand=brand,
            channels=channels,
        )
    except Exception:
        # Without its pause crisis mode would promise what it does not do.
        with transaction.atomic():
            CrisisMode.objects.filter(pk=crisis.pk).update(ended_at=timezone.now(), ended_by=actor)
        raise
    with transaction.atomic():
        crisis = _crisis_locked(crisis.pk)
        crisis.pause = held
        crisis.save(update_fields=["pause"])
        paused = variants_in_scope(pause=held).filter(state=VariantState.PAUSED).count()
        covered = held.get_scope_display().lower() + (f": {brand.name}" if brand else "")
        if incident is not None:
            timeline_add(
                incident=incident,
                kind=TimelineKind.CRISIS,
                text=f"Crisis mode on ({covered}): {reason}. {_copies(paused).capitalize()} held.",
                actor=actor,
                url=reverse("crisis:mode", args=[crisis.pk]),
            )
        # Everyone sees the banner; the people who run the response are also told.
        people = [
            person
            for person in (
                incident_team(incident)
                if incident is not None
                else organization_leads(actor.organization_id)
            )
            if person.pk != actor.pk
        ]
        notify(
            organization=actor.organization,
            recipients=people,
            subject=f"Crisis mode is on: {reason}",
            body=(
                f"{actor.name or actor.email} turned crisis mode on. Scheduled publishing is "
                f"paused ({covered})."
            ),
            url=reverse("crisis:mode", args=[crisis.pk]),
            urgency="urgent",
            source=crisis,
        )
    return crisis


def crisis_mode_end(*, actor: User, crisis: CrisisMode) -> CrisisMode:
    """Take the banner down and list every copy the pause holds for a decision.
    Publishing stays paused until `crisis_mode_review_finish`."""
    require_on(actor, crisis, Action.CRISIS_MODE, noun="Crisis mode")
    with transaction.atomic():
        crisis = _crisis_locked(crisis.pk)
        if crisis.ended_at is not None:
            return crisis
        crisis.ended_at, crisis.ended_by = timezone.now(), actor
        crisis.save(update_fields=["ended_at", "ended_by"])
        held = 0
        if crisis.pause is not None:
            variants = variants_in_scope(pause=crisis.pause).filter(state=VariantState.PAUSED)
            rows = [
                HeldPost(
                    organization_id=crisis.organization_id,
                    crisis=crisis,
                    variant_id=variant_id,
                    scheduled_at=at,
                )
                for variant_id, at in variants.values_list("pk", "scheduled_at")
            ]
            HeldPost.objects.bulk_create(rows, ignore_conflicts=True)
            held = len(rows)
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="crisis.mode.ended",
            target=crisis,
            after={"held_for_decision": held},
        )
        if crisis.incident is not None:
            timeline_add(
                incident=crisis.incident,
                kind=TimelineKind.CRISIS,
                text=f"Crisis mode ended; {_copies(held)} held to decide.",
                actor=actor,
            )
    return crisis


def held_post_decide(
    *,
    actor: User,
    held: HeldPost,
    decision: str,
    reschedule_at: dt.datetime | None = None,
) -> HeldPost:
    """Decide one held copy: publish now, reschedule (to a time to come), or discard."""
    require_on(actor, held, Action.CRISIS_MODE, noun="Held post")
    try:
        choice = Decision(decision)
    except ValueError:
        choice = Decision.UNDECIDED
    if choice == Decision.UNDECIDED:
        raise ApplicationError(
            ErrorCode.INVALID, "Choose publish now, reschedule or discard.", field="decision"
        )
    if choice == Decision.RESCHEDULE and (reschedule_at is None or reschedule_at <= timezone.now()):
        raise ApplicationError(ErrorCode.INVALID, "Choose a time to come.", field="reschedule_at")
    with transaction.atomic():
        held = locked_one(HeldPost.objects.select_related("crisis"), held.pk)
        if held.crisis.reviewed_at is not None:
            raise ApplicationError(ErrorCode.CONFLICT, "This review is finished.")
        before = held.decision
        held.decision = choice
        held.reschedule_at = reschedule_at if choice == Decision.RESCHEDULE else None
        held.decided_by, held.decided_at = actor, timezone.now()
        held.save(update_fields=["decision", "reschedule_at", "decided_by", "decided_at"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="crisis.held_post.decided",
            target=held,
            before={"decision": before},
            after={"decision": choice.value, "reschedule_at": held.reschedule_at},
        )
    return held


def held_posts_decide_rest(*, actor: User, crisis: CrisisMode, decision: str) -> int:
    """Decide every held copy not decided yet the same way (publish now or discard);
    answers how many were decided."""
    if decision not in (Decision.PUBLISH_NOW, Decision.DISCARD):
        raise ApplicationError(
            ErrorCode.INVALID, "Choose publish now or discard for the rest.", field="decision"
        )
    require_on(actor, crisis, Action.CRISIS_MODE, noun="Crisis mode")
    rest = list(crisis.held.filter(decision="").order_by("pk"))
    with transaction.atomic():
        for held in rest:
            held_post_decide(actor=actor, held=held, decision=decision)
    return len(rest)


def crisis_mode_review_finish(*, actor: User, crisis: CrisisMode) -> CrisisMode:
    """Apply every decision while the pause still holds, then resume publishing: one
    transaction, under the crisis mode's row lock, so two people finishing at once
    apply the decisions once."""
    require_on(actor, crisis, Action.CRISIS_MODE, noun="Crisis mode")
    with transaction.atomic():
        crisis = _crisis_locked(crisis.pk)
        if crisis.ended_at is None:
            raise ApplicationError(ErrorCode.CONFLICT, "End crisis mode first.")
        if crisis.reviewed_at is not None:
            return crisis
        undecided = crisis.held.filter(decision="").count()
        if undecided:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"Decide every held post first ({undecided} still to decide).",
            )
        now = timezone.now()
        for held in crisis.held.select_related("variant").order_by("pk"):
            variant = held.variant
            if variant.state != VariantState.PAUSED:
                continue  # settled elsewhere meanwhile (edited, or another pause's review)
            if held.decision == Decision.DISCARD:
                paused_variant_settle(actor=actor, variant=variant, discard=True)
            elif held.decision == Decision.RESCHEDULE:
                paused_variant_settle(actor=actor, variant=variant, scheduled_at=held.reschedule_at)
            else:
                paused_variant_settle(actor=actor, variant=variant, scheduled_at=now)
        if crisis.pause is not None:
            crisis.pause = resume(pause_record=crisis.pause, actor=actor)
        crisis.reviewed_at = timezone.now()
        crisis.save(update_fields=["reviewed_at"])
        counts = {
            choice.value: crisis.held.filter(decision=choice).count()
            for choice in (Decision.PUBLISH_NOW, Decision.RESCHEDULE, Decision.DISCARD)
        }
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="crisis.mode.reviewed",
            target=crisis,
            after=counts,
        )
        if crisis.incident is not None:
            timeline_add(
                incident=crisis.incident,
                kind=TimelineKind.CRISIS,
                text=(
                    f"Held posts decided: {counts['publish_now']} to publish now, "
                    f"{counts['reschedule']} rescheduled, {counts['discard']} discarded."
                ),
                actor=actor,
            )
    return crisis


def held_posts(crisis: CrisisMode) -> list[HeldPost]:
    return list(
        crisis.held.select_related("variant__channel", "variant__post", "decided_by").order_by(
            "scheduled_at", "pk"
        )
    )


def variants_paused_now(crisis: CrisisMode) -> list[Variant]:
    """What the pause holds at this moment (while crisis mode is on)."""
    if crisis.pause is None:
        return []
    return list(
        variants_in_scope(pause=crisis.pause)
        .filter(state=VariantState.PAUSED)
        .select_related("channel", "post")
        .order_by("scheduled_at", "pk")
    )
