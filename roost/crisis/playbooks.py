"""Playbooks: what to do in one kind of crisis, with holding statements approved in
advance and a fast approval path (a short deadline) for a statement written on the day.

The fast path is the playbook's own rather than publishing's approval workflow: those
belong to a channel group (one in force per group), count their deadline in hours and
approve a post; a holding statement is wording on a playbook, approved by a role within
minutes, before it is ever a post."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import Brand, Membership, Organization, Role, User
from roost.core.notifications import notify
from roost.core.permissions import Action, in_force_q, require, roles_of
from roost.core.tenancy import require_on
from roost.crisis.models import (
    HoldingStatement,
    Incident,
    Playbook,
    PlaybookStep,
    StatementStatus,
    TimelineKind,
)
from roost.crisis.timeline import timeline_add


@dataclass(frozen=True)
class StepIn:
    text: str
    role: str = ""
    minutes: int | None = None


@dataclass(frozen=True)
class StatementIn:
    language: str
    text: str
    network: str = ""


def playbook_create(
    *,
    actor: User,
    organization: Organization,
    scenario: str,
    title: str,
    steps: Sequence[StepIn],
    statements: Sequence[StatementIn] = (),
    brand: Brand | None = None,
    summary: str = "",
    approval_minutes: int = 30,
    approval_role: str = Role.MANAGER,
) -> Playbook:
    """A playbook with its steps and its pre-approved statements (approved by `actor`)."""
    require(actor, Action.PLAYBOOK_MANAGE)
    if organization.pk != actor.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    if not scenario.strip() or not title.strip():
        raise ApplicationError(ErrorCode.INVALID, "Name the scenario and the title.", field="title")
    if approval_role not in Role.values:
        raise ApplicationError(ErrorCode.INVALID, "Unknown role.", field="approval_role")
    if not 1 <= approval_minutes <= 24 * 60:
        raise ApplicationError(
            ErrorCode.INVALID,
            "The fast path's deadline is 1 to 1440 minutes.",
            field="approval_minutes",
        )
    now = timezone.now()
    with transaction.atomic():
        playbook = Playbook.objects.create(
            organization=organization,
            scenario=scenario.strip(),
            title=title.strip(),
            brand=brand,
            summary=summary.strip(),
            approval_minutes=approval_minutes,
            approval_role=approval_role,
        )
        PlaybookStep.objects.bulk_create(
            PlaybookStep(
                organization=organization,
                playbook=playbook,
                position=i,
                text=step.text,
                role=step.role,
                minutes=step.minutes,
            )
            for i, step in enumerate(steps, start=1)
        )
        HoldingStatement.objects.bulk_create(
            HoldingStatement(
                organization=organization,
                playbook=playbook,
                network=s.network,
                language=s.language,
                text=s.text,
                status=StatementStatus.APPROVED,
                submitted_by=actor,
                submitted_at=now,
                decided_by=actor,
                decided_at=now,
            )
            for s in statements
        )
        audit.record(
            organization=organization,
            actor=actor,
            action="crisis.playbook.created",
            target=playbook,
            after={
                "scenario": playbook.scenario,
                "steps": len(steps),
                "statements": len(statements),
            },
        )
    return playbook


def may_approve_statements(user: User, playbook: Playbook) -> bool:
    """The playbook's fast path: its approver role on the whole organisation, or an admin."""
    held = roles_of(user)
    return Role.ADMIN in held or playbook.approval_role in held


def statement_submit(
    *,
    actor: User,
    playbook: Playbook,
    text: str,
    language: str,
    network: str = "",
    incident: Incident | None = None,
) -> HoldingStatement:
    """A statement written on the day, sent down the fast path: its approvers are told at
    once and have the playbook's short deadline."""
    require_on(actor, playbook, Action.INCIDENT_MANAGE, noun="Playbook")
    if incident is not None:
        require_on(actor, incident, Action.INCIDENT_MANAGE, noun="Incident")
    text, language = text.strip(), language.strip().lower()
    if not text:
        raise ApplicationError(ErrorCode.INVALID, "Write the statement.", field="text")
    if not language or len(language) > 8:
        raise ApplicationError(
            ErrorCode.INVALID, "Give the statement's language.", field="language"
        )
    due = timezone.now() + dt.timedelta(minutes=playbook.approval_minutes)
    with transaction.atomic():
        statement = HoldingStatement.objects.create(
            organization_id=playbook.organization_id,
            playbook=playbook,
            network=network.strip()[:40],
            language=language,
            text=text,
            status=StatementStatus.PENDING,
            incident=incident,
            submitted_by=actor,
            due_at=due,
        )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="crisis.statement.submitted",
            target=statement,
            after={"language": language, "network": statement.network, "due_at": due},
        )
        approvers = [
            m.user
            for m in Membership.objects.filter(
                in_force_q(),
                organization_id=playbook.organization_id,
                channel_group__isnull=True,
                role__in={playbook.approval_role, Role.ADMIN},
            ).select_related("user")
        ]
        notify(
            organization=actor.organization,
            recipients=approvers,
            subject=f"Approve a holding statement within {playbook.approval_minutes} minutes",
            body=text,
            url=reverse("crisis:playbook", args=[playbook.pk]),
            urgency="urgent",
            source=statement,
        )
        if incident is not None:
            timeline_add(
                incident=incident,
                kind=TimelineKind.STATEMENT,
                text=(
                    f"Statement ({language}) sent for approval,"
                    f" due in {playbook.approval_minutes} min."
                ),
                actor=actor,
            )
    return statement


def statement_decide(
    *, actor: User, statement: HoldingStatement, approve: bool
) -> HoldingStatement:
    require_on(actor, statement, Action.INCIDENT_VIEW, noun="Statement")
    if not may_approve_statements(actor, statement.playbook):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Your roles do not allow this.")
    with transaction.atomic():
        statement = locked_one(HoldingStatement.objects.select_related("playbook"), statement.pk)
        if statement.status != StatementStatus.PENDING:
            raise ApplicationError(ErrorCode.CONFLICT, "This statement is already decided.")
        statement.status = StatementStatus.APPROVED if approve else StatementStatus.REJECTED
        statement.decided_by, statement.decided_at = actor, timezone.now()
        statement.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="crisis.statement.decided",
            target=statement,
            after={
                "status": statement.status,
                "late": statement.due_at is not None and statement.decided_at > statement.due_at,
            },
        )
        if statement.incident_id:
            timeline_add(
                incident=statement.incident,  # type: ignore[arg-type]
                kind=TimelineKind.STATEMENT,
                text=f"Statement ({statement.language}) {statement.get_status_display().lower()}.",
                actor=actor,
            )
    return statement
