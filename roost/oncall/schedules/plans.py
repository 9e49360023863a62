"""A schedule's rows turned into the rotation library's terms (people by id), loaded
for many schedules at once: three queries however many schedules there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from roost.oncall.models import Layer, Override, Schedule, TimeOff
from roost.oncall.rotation import (
    Interval,
    OverrideSpec,
    Rotation,
    RotationError,
    TimeOffSpec,
    schedule_intervals,
)


@dataclass
class Plan:
    schedule: Schedule
    rotations: list[Rotation] = field(default_factory=list)
    # Layers that cannot put anyone on call (nobody active in them), by name.
    idle_layers: list[str] = field(default_factory=list)
    overrides: list[OverrideSpec] = field(default_factory=list)
    time_off: list[TimeOffSpec] = field(default_factory=list)

    def intervals(self, start: dt.datetime, end: dt.datetime) -> list[Interval]:
        return schedule_intervals(
            rotations=self.rotations,
            start=start,
            end=end,
            overrides=self.overrides,
            time_off=self.time_off,
        )


def rotation_of(layer: Layer, member_ids: tuple[int, ...]) -> Rotation:
    """The layer as a rotation; `RotationError` when it cannot be one."""
    return Rotation(
        name=layer.name,
        zone=layer.zone_name,
        rotation_start=layer.rotation_start,
        shift=layer.shift,
        shift_hours=layer.shift_hours,
        handoff_time=layer.handoff_time,
        members=member_ids,
        window_start=layer.window_start,
        window_end=layer.window_end,
        window_days=layer.window_days,
    )


def plans_for(
    schedules: list[Schedule], *, start: dt.datetime, end: dt.datetime
) -> dict[int, Plan]:
    """The plans of `schedules` (all of one organisation) with the overrides and time
    off that touch [start, end)."""
    plans = {schedule.pk: Plan(schedule=schedule) for schedule in schedules}
    if not plans:
        return plans
    organization_id = schedules[0].organization_id
    layers = (
        Layer.objects.filter(organization_id=organization_id, schedule_id__in=plans)
        .select_related("schedule")
        .prefetch_related("members__person")
        .order_by("schedule_id", "position", "pk")
    )
    member_ids: set[int] = set()
    for layer in layers:
        plan = plans[layer.schedule_id]
        people = tuple(m.person_id for m in layer.members.all() if m.person.is_active)
        try:
            plan.rotations.append(rotation_of(layer, people))
        except RotationError:
            plan.idle_layers.append(layer.name)
            continue
        member_ids.update(people)
    overrides = Override.objects.filter(
        organization_id=organization_id, schedule_id__in=plans, end__gt=start, start__lt=end
    ).order_by("start", "pk")
    for override in overrides:
        plans[override.schedule_id].overrides.append(
            OverrideSpec(
                override.person_id,
                override.start,
                override.end,
                replaces=override.replaces_id,
                label="Swap" if override.swap_group else "Override",
            )
        )
    if member_ids:
        away = [
            TimeOffSpec(off.person_id, off.start, off.end)
            for off in TimeOff.objects.filter(
                organization_id=organization_id,
                person_id__in=member_ids,
                end__gt=start,
                start__lt=end,
            )
        ]
        for plan in plans.values():
            rotating = {p for rotation in plan.rotations for p in rotation.members}
            plan.time_off = [off for off in away if off.person in rotating]
    return plans
