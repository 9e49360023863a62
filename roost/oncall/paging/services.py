"""Escalation policies and pages: every change to them, each in one function.

A page's protocol:
- raised `triggered`, with step 1 of its policy told at once, in the raising transaction;
- `page_escalate` tells the next step when `next_step_at` has come; the caller holds the
  page's row lock, and each person told is a unique `PageNotification`, so a step is
  never told twice, even by two workers that both believe it due;
- acknowledging or resolving empties `next_step_at`: nothing more is told;
- a delivery that finally fails makes the next step due at once (`page_delivery_failed`).
Every change is audited; a page about an incident is also written on its timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.urls import reverse

from roost.core import audit, locks
from roost.core.actors import SYSTEM, Actor, person
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Organization, Team, User
from roost.core.permissions import Action, can, require
from roost.core.tenancy import require_on
from roost.crisis.models import Incident, TimelineKind
from roost.crisis.timeline import timeline_add
from roost.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Page,
    PageNotification,
    PageStatus,
    PageUrgency,
    Schedule,
    StepTarget,
)
from roost.oncall.paging import clock
from roost.oncall.paging.delivery import PageMessage, pages_people_tell
from roost.oncall.paging.links import link_url, page_links_create
from roost.oncall.paging.plan import next_position
from roost.oncall.paging.targets import step_label, step_people

MAX_STEPS = 20
MAX_REPEAT = 10
MAX_WAIT_MINUTES = 24 * 60


# Policies -------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One step as asked for: `target` names which of the three others counts."""

    target: str
    wait_minutes: int
    schedule_id: int | None = None
    person_id: int | None = None
    team_id: int | None = None


def _invalid(message: str, field: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, field=field)


def _checked_policy_fields(
    organization: Organization, name: str, repeat_times: int, *, exclude: int | None = None
) -> str:
    name = name.strip()
    if not name:
        raise _invalid("Name the policy.", "name")
    if len(name) > 120:
        raise _invalid("Keep the name within 120 characters.", "name")
    if not 0 <= repeat_times <= MAX_REPEAT:
        raise _invalid(f"Repeat between 0 and {MAX_REPEAT} times.", "repeat_times")
    clash = EscalationPolicy.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ApplicationError(ErrorCode.CONFLICT, "A policy has this name already.", field="name")
    return name


def _checked_steps(organization: Organization, steps: list[StepSpec]) -> list[EscalationStep]:
    if not steps:
        raise _invalid("Add at least one step.", "steps")
    if len(steps) > MAX_STEPS:
        raise _invalid(f"A policy has at most {MAX_STEPS} steps.", "steps")
    built = []
    for index, spec in enumerate(steps):
        field = f"steps[{index}]"
        if spec.target not in StepTarget.values:
            raise _invalid(f"Step {index + 1}: choose schedule, person or team.", f"{field}.target")
        if not 0 <= spec.wait_minutes <= MAX_WAIT_MINUTES:
            raise _invalid(
                f"Step {index + 1}: wait between 0 and {MAX_WAIT_MINUTES} minutes.",
                f"{field}.wait_minutes",
            )
        step = EscalationStep(
            organization=organization, position=index, target=spec.target,
            wait_minutes=spec.wait_minutes,
        )  # fmt: skip
        if spec.target == StepTarget.SCHEDULE:
            step.schedule = Schedule.objects.filter(
                organization=organization, pk=spec.schedule_id or 0
            ).first()
            if step.schedule is None:
                raise _invalid(f"Step {index + 1}: choose a schedule.", f"{field}.schedule_id")
        elif spec.target == StepTarget.PERSON:
            step.person = User.objects.filter(
                organization=organization, pk=spec.person_id or 0, is_active=True
            ).first()
            if step.person is None:
                raise _invalid(f"Step {index + 1}: choose a person.", f"{field}.person_id")
        else:
            step.team = Team.objects.filter(organization=organization, pk=spec.team_id or 0).first()
            if step.team is None:
                raise _invalid(f"Step {index + 1}: choose a team.", f"{field}.team_id")
        built.append(step)
    return built


def _steps_described(steps: list[EscalationStep]) -> list[str]:
    return [f"{step_label(s)}, then wait {s.wait_minutes} min" for s in steps]


def _default_taken_over(organization: Organization, policy: EscalationPolicy) -> None:
    EscalationPolicy.objects.filter(organization=organization, is_default=True).exclude(
        pk=policy.pk
    ).update(is_default=False)


def escalation_policy_create(
    *,
    actor: User,
    name: str,
    steps: list[StepSpec],
    repeat_times: int = 0,
    is_default: bool = False,
    description: str = "",
) -> EscalationPolicy:
    require(actor, Action.ESCALATION_MANAGE)
    organization = actor.organization
    name = _checked_policy_fields(organization, name, repeat_times)
    built = _checked_steps(organization, steps)
    with transaction.atomic():
        locks.organization_chain_locked(organization.pk)
        if is_default:
            EscalationPolicy.objects.filter(organization=organization, is_default=True).update(
                is_default=False
            )
        policy = EscalationPolicy.objects.create(
            organization=organization, name=name, repeat_times=repeat_times,
            is_default=is_default, description=description.strip()[:5000],
        )  # fmt: skip
        for step in built:
            step.policy = policy
        EscalationStep.objects.bulk_create(built)
        audit.record(
            organization=organization,
            actor=actor,
            action="oncall.policy.created",
            target=policy,
            after={
                "name": name,
                "repeat_times": repeat_times,
                "is_default": is_default,
                "steps": _steps_described(built),
            },
        )
    return policy


def escalation_policy_update(
    *,
    actor: User,
    policy: EscalationPolicy,
    name: str,
    steps: list[StepSpec],
    repeat_times: int = 0,
    is_default: bool = False,
    description: str = "",
) -> EscalationPolicy:
    """Replace the policy's settings and steps. Pages under way keep their place: a page
    past the new last step has nothing more due at its next turn."""
    require_on(actor, policy, Action.ESCALATION_MANAGE, noun="Escalation policy")
    organization = actor.organization
    name = _checked_policy_fields(organization, name, repeat_times, exclude=policy.pk)
    built = _checked_steps(organization, steps)
    with transaction.atomic():
        locks.organization_chain_locked(organization.pk)
        locked = locks.locked_one(EscalationPolicy.objects.all(), policy.pk)
        before_steps = _steps_described(list(locked.steps.select_related(*_STEP_RELATED)))
        before = {
            "name": locked.name,
            "repeat_times": locked.repeat_times,
            "is_default": locked.is_default,
            "steps": before_steps,
        }
        if is_default:
            _default_taken_over(organization, locked)
        locked.name, locked.repeat_times, locked.is_default = name, repeat_times, is_default
        locked.description = description.strip()[:5000]
        locked.save(update_fields=["name", "repeat_times", "is_default", "description"])
        locked.steps.all().delete()
        for step in built:
            step.policy = locked
        EscalationStep.objects.bulk_create(built)
        audit.record(
            organization=organization,
            actor=actor,
            action="oncall.policy.updated",
            target=locked,
            before=before,
            after={
                "name": name,
                "repeat_times": repeat_times,
                "is_default": is_default,
                "steps": _steps_described(built),
            },
        )
    return locked


def escalation_policy_delete(*, actor: User, policy: EscalationPolicy) -> None:
    require_on(actor, policy, Action.ESCALATION_MANAGE, noun="Escalation policy")
    with transaction.atomic():
        if Page.objects.filter(policy=policy).exists():
            raise ApplicationError(
                ErrorCode.CONFLICT, "Pages have followed this policy; it is kept for them."
            )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="oncall.policy.deleted",
            target=policy,
            before={"name": policy.name},
        )
        policy.delete()


_STEP_RELATED = ("schedule", "person", "team__lead")


# Pages ----------------------------------------------------------------------------


def _who(actor: Actor) -> str:
    someone = person(actor)
    return (someone.name or someone.email) if someone else "Roost"


def _on_timeline(page: Page, text: str, actor: Actor) -> None:
    if page.incident_id is not None:
        incident = Incident.objects.get(pk=page.incident_id)
        timeline_add(
            incident=incident,
            kind=TimelineKind.ALERT,
            text=text,
            actor=person(actor),
            url=reverse("oncall:page", args=[page.pk]),
        )


def page_raise(
    *,
    actor: Actor,
    organization: Organization,
    title: str,
    details: str = "",
    urgency: str = PageUrgency.URGENT,
    policy: EscalationPolicy | None = None,
    source: models.Model | None = None,
    dedup_key: str = "",
    incident: Incident | None = None,
) -> Page:
    """Raise a page and tell its policy's first step at once. `policy` None: the
    organisation's default. A `dedup_key` already used in the organisation answers the
    page raised with it, and raises nothing new. Call inside or outside a transaction."""
    someone = person(actor)
    if someone is not None:
        require(someone, Action.PAGE_RAISE)
        if someone.organization_id != organization.pk:
            raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    title = " ".join(title.split())
    if not title:
        raise _invalid("Say what the page is about.", "title")
    if len(title) > 200:
        raise _invalid("Keep the title within 200 characters.", "title")
    if urgency not in PageUrgency.values:
        raise _invalid("Urgency is urgent or normal.", "urgency")
    if policy is None:
        policy = EscalationPolicy.objects.filter(organization=organization, is_default=True).first()
        if policy is None:
            raise _invalid("The organisation has no default escalation policy.", "policy")
    elif policy.organization_id != organization.pk:
        raise _invalid("Choose a policy of your organisation.", "policy")
    if incident is not None and incident.organization_id != organization.pk:
        raise _invalid("Choose an incident of your organisation.", "incident")
    dedup_key = dedup_key[:200]
    if dedup_key:
        existing = Page.objects.filter(organization=organization, dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    now = clock.now()
    try:
        with transaction.atomic():
            locks.organization_chain_locked(organization.pk)
            number = (
                Page.objects.filter(organization=organization).aggregate(n=Max("number"))["n"] or 0
            ) + 1
            page = Page.objects.create(
                organization=organization, number=number, title=title,
                details=details.strip()[:10000], urgency=urgency, policy=policy,
                source_type=source._meta.label_lower if source is not None else "",
                source_id=str(source.pk) if source is not None else "",
                dedup_key=dedup_key, incident=incident, raised_by=someone, raised_at=now,
                next_step_at=now,
            )  # fmt: skip
            audit.record(
                organization=organization,
                actor=actor,
                action="oncall.page.raised",
                target=page,
                after={
                    "number": number,
                    "title": title,
                    "urgency": urgency,
                    "policy": policy.name,
                    "source": f"{page.source_type}:{page.source_id}" if source else None,
                },
            )
            _on_timeline(page, f"Page #{number} raised on {policy.name}: {title}", actor)
            page_escalate(page=page, now=now)
    except IntegrityError:
        # Raised by someone else meanwhile under the same key: theirs is the page.
        if dedup_key:
            existing = Page.objects.filter(organization=organization, dedup_key=dedup_key).first()
            if existing is not None:
                return existing
        raise
    return page


def _note(page: Page, log: list[audit.Entry] | None, action: str, after: dict[str, Any]) -> None:
    """Audit a step of the escalation now, or add it to `log` for the caller to record
    with the rest of its batch (one short turn on the organisation's audit chain)."""
    if log is None:
        audit.record(
            organization=page.organization, actor=SYSTEM, action=action, target=page, after=after
        )
    else:
        log.append(audit.Entry(action=action, target=page, after=after))


@dataclass(frozen=True)
class _Told:
    """A step about to be told: the page, its step, who, and when it fell due."""

    page: Page
    step: EscalationStep
    people: list[User]
    due: dt.datetime


def _log_for(logs: dict[int, list[audit.Entry]] | None, page: Page) -> list[audit.Entry] | None:
    return None if logs is None else logs.setdefault(page.organization_id, [])


def _notification_body(told: _Told, acknowledge: str, resolve: str) -> str:
    page, step = told.page, told.step
    return "\n".join(
        (
            page.details or page.title,
            "",
            f"Step {step.position + 1} of {page.policy.name}"
            + (f", round {page.cycle + 1}" if page.cycle else "")
            + f". If nobody acknowledges within {step.wait_minutes} minutes, the next "
            "step is told.",
            "",
            f"Acknowledge: {acknowledge}",
            f"Resolve: {resolve}",
            "(Each link works once.)",
        )
    )


def _tell_all(told: list[_Told], logs: dict[int, list[audit.Entry]] | None) -> None:
    """Tell every step of `told` in a fixed number of queries, whatever their number:
    the links, the in-app notifications, the deliveries and the notification rows are
    each written in one go (a storm of pages is told in a few round trips)."""
    if not told:
        return
    now = clock.now()
    wanted = [
        (each.page, someone, purpose)
        for each in told
        for someone in each.people
        for purpose in ("acknowledge", "resolve")
    ]
    tokens = iter(page_links_create(wanted=wanted))
    messages = []
    for each in told:
        detail_url = reverse("oncall:page", args=[each.page.pk])
        for someone in each.people:
            acknowledge, resolve = link_url(next(tokens)), link_url(next(tokens))
            messages.append(
                PageMessage(
                    page=each.page,
                    person=someone,
                    subject=f"Page #{each.page.number}: {each.page.title}",
                    body=_notification_body(each, acknowledge, resolve),
                    url=detail_url,
                )
            )
    delivery_ids = iter(pages_people_tell(messages=messages))
    # A row that exists already raises here and undoes the whole step: told once.
    PageNotification.objects.bulk_create(
        PageNotification(
            organization_id=each.page.organization_id,
            page=each.page,
            person=someone,
            cycle=each.page.cycle,
            step_position=each.step.position,
            created_at=now,
            due_at=each.due,
            delivery_ids=next(delivery_ids),
        )
        for each in told
        for someone in each.people
    )
    for each in told:
        page, step = each.page, each.step
        _note(
            page,
            _log_for(logs, page),
            "oncall.page.notified",
            {
                "cycle": page.cycle,
                "step": step.position + 1,
                "people": [p.email for p in each.people],
                "due_at": each.due.isoformat(),
            },
        )
        names = ", ".join(p.name or p.email for p in each.people)
        _on_timeline(page, f"Page #{page.number}: step {step.position + 1} told {names}.", SYSTEM)


def page_escalate(
    *, page: Page, now: dt.datetime | None = None, log: list[audit.Entry] | None = None
) -> Page:
    """Tell the page's next step, if it is due. Precondition: inside a transaction that
    holds the page's row lock (or that created the page). With `log`, the audit events
    are added to it, and the caller records them in the same transaction."""
    logs = None if log is None else {page.organization_id: log}
    pages_escalate(pages=[page], now=now, logs=logs)
    return page


def pages_escalate(
    *,
    pages: list[Page],
    now: dt.datetime | None = None,
    logs: dict[int, list[audit.Entry]] | None = None,
) -> list[Page]:
    """`page_escalate` for many pages at once (their rows locked by the caller), in a
    fixed number of queries plus one per schedule step to read who is on call. With
    `logs`, each organisation's audit events are added to its list for the caller to
    record; without, they are recorded here."""
    now = now or clock.now()
    due_pages = [
        page
        for page in pages
        if page.status == PageStatus.TRIGGERED
        and page.next_step_at is not None
        and page.next_step_at <= now
    ]
    if not due_pages:
        return pages
    own_logs = logs if logs is not None else {}
    steps_of: dict[int, list[EscalationStep]] = {}
    for step in (
        EscalationStep.objects.filter(policy_id__in={page.policy_id for page in due_pages})
        .select_related(*_STEP_RELATED)
        .order_by("policy_id", "position")
    ):
        steps_of.setdefault(step.policy_id, []).append(step)
    people_of: dict[int, list[User]] = {}
    told: list[_Told] = []
    for page in due_pages:
        log = _log_for(own_logs, page)
        due = page.next_step_at or now
        steps = steps_of.get(page.policy_id, [])
        position = next_position(
            steps=len(steps), repeat_times=page.policy.repeat_times,
            cycle=page.cycle, step=page.step_position,
        )  # fmt: skip
        while position is not None:
            step = steps[position.step]
            page.cycle, page.step_position = position.cycle, position.step
            if step.pk not in people_of:
                people_of[step.pk] = step_people(step, at=now)
            people = people_of[step.pk]
            if people:
                told.append(_Told(page, step, people, due))
                page.next_step_at = now + dt.timedelta(minutes=step.wait_minutes)
                break
            _note(
                page,
                log,
                "oncall.page.step_skipped",
                {"cycle": page.cycle, "step": step.position + 1, "why": "nobody to tell"},
            )
            _on_timeline(
                page, f"Page #{page.number}: step {step.position + 1} had nobody to tell.", SYSTEM
            )
            position = next_position(
                steps=len(steps), repeat_times=page.policy.repeat_times,
                cycle=page.cycle, step=page.step_position,
            )  # fmt: skip
        if position is None:
            page.next_step_at = None
            _note(page, log, "oncall.page.exhausted", {"cycles": page.cycle + 1})
            _on_timeline(
                page, f"Page #{page.number}: every step was told and nobody acknowledged.", SYSTEM
            )
    _tell_all(told, own_logs)
    Page.objects.bulk_update(due_pages, ["cycle", "step_position", "next_step_at"])
    if logs is None:
        for page in due_pages:
            entries = own_logs.pop(page.organization_id, None)
            if entries:
                audit.record_many(organization=page.organization, entries=entries)
    return pages


def _may_respond(actor: User, page: Page) -> bool:
    """Whoever was told about the page answers it, whatever their roles."""
    return (
        can(actor, Action.PAGE_RESPOND)
        or PageNotification.objects.filter(page=page, person=actor).exists()
    )


def _respond_checked(actor: User, page: Page) -> None:
    if actor.organization_id != page.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Page not found.")
    if not actor.is_active or not _may_respond(actor, page):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "You may not answer this page.")


def page_acknowledge(*, actor: User, page: Page) -> Page:
    """Stop the escalation: someone has it. Acknowledging again changes nothing."""
    _respond_checked(actor, page)
    with transaction.atomic():
        locked = locks.locked_one(Page.objects.select_related("organization"), page.pk)
        if locked.status == PageStatus.ACKNOWLEDGED:
            return locked
        if locked.status == PageStatus.RESOLVED:
            raise ApplicationError(ErrorCode.CONFLICT, "This page is resolved already.")
        now = clock.now()
        locked.status = PageStatus.ACKNOWLEDGED
        locked.acknowledged_by, locked.acknowledged_at = actor, now
        locked.next_step_at = None
        locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "next_step_at"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="oncall.page.acknowledged",
            target=locked,
            before={"status": PageStatus.TRIGGERED.value},
            after={
                "status": locked.status,
                "cycle": locked.cycle,
                "step": locked.step_position + 1,
            },
        )
        _on_timeline(locked, f"Page #{locked.number} acknowledged by {_who(actor)}.", actor)
    return locked


def page_resolve(*, actor: User, page: Page) -> Page:
    """Close the page. Resolving again changes nothing."""
    _respond_checked(actor, page)
    with transaction.atomic():
        locked = locks.locked_one(Page.objects.select_related("organization"), page.pk)
        if locked.status == PageStatus.RESOLVED:
            return locked
        before = locked.status
        locked.status = PageStatus.RESOLVED
        locked.resolved_by, locked.resolved_at = actor, clock.now()
        locked.next_step_at = None
        locked.save(update_fields=["status", "resolved_by", "resolved_at", "next_step_at"])
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="oncall.page.resolved",
            target=locked,
            before={"status": before},
            after={"status": locked.status},
        )
        _on_timeline(locked, f"Page #{locked.number} resolved by {_who(actor)}.", actor)
    return locked


def page_delivery_failed(*, page_id: int, delivery_id: int) -> bool:
    """A delivery of the page's current step finally failed: the next step is due now.
    True when that moved the page on."""
    with transaction.atomic():
        page = Page.objects.select_for_update().filter(pk=page_id).first()
        if page is None or page.status != PageStatus.TRIGGERED or page.next_step_at is None:
            return False
        current = PageNotification.objects.filter(
            page=page, cycle=page.cycle, step_position=max(page.step_position, 0)
        )
        if not any(delivery_id in (n.delivery_ids or []) for n in current):
            return False  # an older step's delivery: the page has moved on already
        now = clock.now()
        if page.next_step_at <= now:
            return False
        page.next_step_at = now
        page.save(update_fields=["next_step_at"])
        audit.record(
            organization=page.organization,
            actor=SYSTEM,
            action="oncall.page.delivery_failed",
            target=page,
            after={"delivery": delivery_id, "step": page.step_position + 1},
        )
    return True
