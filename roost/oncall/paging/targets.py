"""Who a step of a policy tells, at a given moment."""

from __future__ import annotations

import datetime as dt

from roost.core.models import User
from roost.oncall.models import EscalationStep, StepTarget
from roost.oncall.schedules.selectors import on_call_at


def step_people(step: EscalationStep, *, at: dt.datetime) -> list[User]:
    """The active people of the step's organisation that it tells at `at`, in a stable
    order; [] when nobody can be told (a gap in the schedule, an empty team)."""
    if step.target == StepTarget.SCHEDULE and step.schedule is not None:
        people = list(on_call_at(schedule=step.schedule, at=at))
    elif step.target == StepTarget.PERSON and step.person is not None:
        people = [step.person]
    elif step.target == StepTarget.TEAM and step.team is not None:
        people = list(step.team.members.all())
        if not people and step.team.lead is not None:
            people = [step.team.lead]
    else:
        people = []
    seen: dict[int, User] = {}
    for person in people:
        if person.is_active and person.organization_id == step.organization_id:
            seen.setdefault(person.pk, person)
    return [seen[pk] for pk in sorted(seen)]


def step_label(step: EscalationStep) -> str:
    if step.target == StepTarget.SCHEDULE and step.schedule is not None:
        return f"on call on {step.schedule.name}"
    if step.target == StepTarget.PERSON and step.person is not None:
        return step.person.name or step.person.email
    if step.target == StepTarget.TEAM and step.team is not None:
        return f"team {step.team.name}"
    return "nobody"
