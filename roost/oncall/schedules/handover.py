"""Handing a leaver's on-call shifts to a successor.

- Rotations: the successor takes the leaver's place in each layer, so every shift the
  leaver would have had is theirs. When the successor is in that layer already, the
  leaver's place is removed instead (nobody is twice in a rotation) and the line says
  the rotation is shorter now.
- Overrides from now on: one where the leaver covers becomes the successor's; one
  where someone covers the leaver now covers the successor. An override running now is
  cut at this moment: the part before stays as it happened, the rest moves. An override
  that would have the successor cover themselves is not kept.
- Schedules the leaver owns, and escalation steps naming the leaver, name the successor.

Past overrides are history and stay as they are.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import Actor
from roost.core.handover import HandoverLine, handover_check
from roost.core.locks import locked
from roost.core.models import User
from roost.oncall.models import EscalationStep, LayerMember, Override, Schedule
from roost.oncall.models.paging import StepTarget

SHORTER = "The successor was in this rotation already: it has one person fewer now."
SELF_COVER = "It would have had the successor cover their own shift: it is not kept."


def _stamp(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _places(leaver: User) -> QuerySet[LayerMember]:
    return (
        LayerMember.objects.filter(organization_id=leaver.organization_id, person=leaver)
        .select_related("layer__schedule")
        .order_by("pk")
    )


def _overrides(leaver: User, now: dt.datetime) -> QuerySet[Override]:
    return (
        Override.objects.filter(Q(person=leaver) | Q(replaces=leaver), end__gt=now)
        .filter(organization_id=leaver.organization_id)
        .select_related("schedule")
        .order_by("pk")
    )


def _schedules(leaver: User) -> QuerySet[Schedule]:
    return Schedule.objects.filter(organization_id=leaver.organization_id, owner=leaver).order_by(
        "pk"
    )


def _steps(leaver: User) -> QuerySet[EscalationStep]:
    return (
        EscalationStep.objects.filter(
            organization_id=leaver.organization_id, target=StepTarget.PERSON, person=leaver
        )
        .select_related("policy")
        .order_by("pk")
    )


def _in_layer_already(place: LayerMember, successor: User) -> bool:
    return LayerMember.objects.filter(layer_id=place.layer_id, person=successor).exists()


def _place_line(place: LayerMember, detail: str, review: str) -> HandoverLine:
    layer = place.layer
    return HandoverLine(
        kind="rotation",
        target_type=LayerMember._meta.label_lower,
        target_id=place.pk,
        label=f"Rotation “{layer}” of {layer.schedule}",
        detail=detail,
        url=reverse("oncall:schedule", args=[layer.schedule_id]),
        review=review,
    )


def _override_line(override: Override, detail: str, review: str = "") -> HandoverLine:
    return HandoverLine(
        kind="override",
        target_type=Override._meta.label_lower,
        target_id=override.pk,
        label=(
            f"Override on {override.schedule}, {_stamp(override.start)} to {_stamp(override.end)}"
        ),
        detail=detail,
        url=reverse("oncall:schedule", args=[override.schedule_id]),
        review=review,
    )


def _self_cover(override: Override, leaver: User, successor: User) -> bool:
    people = {override.person_id, override.replaces_id}
    return people == {leaver.pk, successor.pk}


def oncall_held(
    *, actor: Actor, leaver: User, successor: User, now: dt.datetime | None = None
) -> list[HandoverLine]:
    """The leaver's rotations, overrides from now on, schedules and escalation steps."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    now = now or timezone.now()
    lines = []
    for place in _places(leaver):
        if _in_layer_already(place, successor):
            lines.append(_place_line(place, "The leaver's place is removed", SHORTER))
        else:
            lines.append(_place_line(place, f"{successor} takes the leaver's place", ""))
    for override in _overrides(leaver, now):
        if _self_cover(override, leaver, successor):
            lines.append(_override_line(override, "Ends now", SELF_COVER))
        else:
            lines.append(_override_line(override, f"{successor} takes the leaver's part"))
    lines += [
        HandoverLine(
            kind="schedule",
            target_type=Schedule._meta.label_lower,
            target_id=schedule.pk,
            label=f"Schedule {schedule}",
            detail=f"Owner becomes {successor}",
            url=reverse("oncall:schedule", args=[schedule.pk]),
        )
        for schedule in _schedules(leaver)
    ]
    lines += [
        HandoverLine(
            kind="escalation_step",
            target_type=EscalationStep._meta.label_lower,
            target_id=step.pk,
            label=f"Escalation policy {step.policy}, step {step.position + 1}",
            detail=f"Pages {successor} instead",
        )
        for step in _steps(leaver)
    ]
    return lines


def _override_state(override: Override) -> dict[str, object]:
    return {
        "person": override.person_id,
        "replaces": override.replaces_id,
        "start": _stamp(override.start),
        "end": _stamp(override.end),
    }


def oncall_hand_over(
    *, actor: Actor, leaver: User, successor: User, now: dt.datetime | None = None
) -> list[HandoverLine]:
    """Move the leaver's on-call duties from `now` on to the successor, audited one by
    one; answers what moved. Safe to repeat: what moved is no longer the leaver's."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    now = now or timezone.now()
    lines: list[HandoverLine] = []
    entries: list[audit.Entry] = []
    dropped: list[int] = []
    with transaction.atomic():
        # Schedules first, in key order, as every change to a schedule's overrides does.
        schedule_ids = {p.layer.schedule_id for p in _places(leaver)}
        schedule_ids |= {o.schedule_id for o in _overrides(leaver, now)}
        schedule_ids |= set(_schedules(leaver).values_list("pk", flat=True))
        locked(Schedule.objects.filter(pk__in=schedule_ids))
        for place in _places(leaver):
            if _in_layer_already(place, successor):
                place_id = place.pk
                place.delete()
                place.pk = place_id
                lines.append(_place_line(place, "The leaver's place was removed", SHORTER))
            else:
                LayerMember.objects.filter(pk=place.pk).update(person=successor)
                lines.append(_place_line(place, f"{successor} took the leaver's place", ""))
            entries.append(
                audit.Entry(
                    action="oncall.layer.member_handed_over",
                    actor=actor,
                    target=place.layer,
                    before={"member": leaver.email, "position": place.position},
                    after={"member": successor.email, "removed": lines[-1].review == SHORTER},
                )
            )
        for override in _overrides(leaver, now):
            before = _override_state(override)
            self_cover = _self_cover(override, leaver, successor)
            if override.start < now:
                # The part that happened stays; the rest is a new override (below).
                rest = Override(
                    organization_id=override.organization_id,
                    schedule_id=override.schedule_id,
                    person_id=override.person_id,
                    replaces_id=override.replaces_id,
                    start=now,
                    end=override.end,
                    reason=override.reason,
                    created_by=actor if isinstance(actor, User) else None,
                    swap_group=override.swap_group,
                )
                Override.objects.filter(pk=override.pk).update(end=now)
                override.end = now
                entries.append(
                    audit.Entry(
                        action="oncall.override.cut",
                        actor=actor,
                        target=override,
                        before=before,
                        after=_override_state(override),
                    )
                )
                if self_cover:
                    lines.append(_override_line(override, "Ended now", SELF_COVER))
                    continue
                rest.save()
                override = rest
            elif self_cover:
                entries.append(
                    audit.Entry(
                        action="oncall.override.deleted",
                        actor=actor,
                        target=override,
                        before=before,
                    )
                )
                lines.append(_override_line(override, "Not kept", SELF_COVER))
                dropped.append(override.pk)
                continue
            if override.person_id == leaver.pk:
                override.person = successor
            if override.replaces_id == leaver.pk:
                override.replaces = successor
            override.save(update_fields=["person", "replaces"])
            entries.append(
                audit.Entry(
                    action="oncall.override.handed_over",
                    actor=actor,
                    target=override,
                    before=before,
                    after=_override_state(override),
                )
            )
            lines.append(_override_line(override, f"{successor} took the leaver's part"))
        for schedule in _schedules(leaver):
            Schedule.objects.filter(pk=schedule.pk).update(owner=successor)
            entries.append(
                audit.Entry(
                    action="oncall.schedule.owner_handed_over",
                    actor=actor,
                    target=schedule,
                    before={"owner": leaver.email},
                    after={"owner": successor.email},
                )
            )
            lines.append(
                HandoverLine(
                    kind="schedule",
                    target_type=Schedule._meta.label_lower,
                    target_id=schedule.pk,
                    label=f"Schedule {schedule}",
                    detail=f"Owner is now {successor}",
                    url=reverse("oncall:schedule", args=[schedule.pk]),
                )
            )
        for step in _steps(leaver):
            EscalationStep.objects.filter(pk=step.pk).update(person=successor)
            entries.append(
                audit.Entry(
                    action="oncall.escalation_step.person_handed_over",
                    actor=actor,
                    target=step,
                    before={"person": leaver.email},
                    after={"person": successor.email},
                )
            )
            lines.append(
                HandoverLine(
                    kind="escalation_step",
                    target_type=EscalationStep._meta.label_lower,
                    target_id=step.pk,
                    label=f"Escalation policy {step.policy}, step {step.position + 1}",
                    detail=f"Pages {successor} now",
                )
            )
        # Recorded before the rows go, so each event still names its override.
        audit.record_many(organization=leaver.organization, entries=entries)
        Override.objects.filter(pk__in=dropped).delete()
    return lines
