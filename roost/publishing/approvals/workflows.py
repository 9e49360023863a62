"""Approval workflows: one per channel group (or the organisation's default), each a
sequence of steps naming who decides them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization, Role, Team, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.publishing.approval_models import ApprovalMode, ApprovalStep, ApprovalWorkflow
from roost.publishing.locks import workflow_locked


@dataclass(frozen=True)
class StepSpec:
    """One step for `workflow_create`."""

    name: str
    mode: str = ApprovalMode.ANY
    approver_users: Sequence[User] = ()
    approver_role: str = ""
    approver_team: Team | None = None


def workflow_create(
    *,
    actor: User,
    organization: Organization,
    name: str,
    channel_group: ChannelGroup | None = None,
    deadline_hours: int = 24,
    reapprove_on_reschedule: bool = False,
    steps: Sequence[StepSpec] = (),
) -> ApprovalWorkflow:
    """A workflow for a channel group, or (no group) the organisation's default."""
    if channel_group is not None and channel_group.organization_id != organization.pk:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_group"
        )
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    require(actor, Action.WORKFLOW_MANAGE, channel_group=channel_group)
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A workflow needs a name.", field="name")
    if deadline_hours < 1:
        raise ApplicationError(
            ErrorCode.INVALID, "The deadline is at least one hour.", field="deadline_hours"
        )
    where = channel_group.name if channel_group else "The organisation's default"
    taken = ApplicationError(
        ErrorCode.CONFLICT, f"{where} already has a workflow.", field="channel_group"
    )
    if ApprovalWorkflow.objects.filter(
        organization=organization, channel_group=channel_group
    ).exists():
        raise taken
    with transaction.atomic():
        try:
            # A concurrent creation loses on the unique constraints, not on the check above.
            with transaction.atomic():
                workflow = ApprovalWorkflow.objects.create(
                    organization=organization,
                    name=name,
                    channel_group=channel_group,
                    deadline_hours=deadline_hours,
                    reapprove_on_reschedule=reapprove_on_reschedule,
                )
        except IntegrityError as error:
            raise taken from error
        audit.record(
            organization=organization,
            actor=actor,
            action="publishing.workflow.created",
            target=workflow,
            after={
                "name": name,
                "channel_group": channel_group.pk if channel_group else None,
                "deadline_hours": deadline_hours,
                "reapprove_on_reschedule": reapprove_on_reschedule,
            },
        )
        for spec in steps:
            workflow_step_add(
                actor=actor,
                workflow=workflow,
                name=spec.name,
                mode=spec.mode,
                approver_users=spec.approver_users,
                approver_role=spec.approver_role,
                approver_team=spec.approver_team,
            )
    return workflow


def workflow_step_add(
    *,
    actor: User,
    workflow: ApprovalWorkflow,
    name: str,
    mode: str = ApprovalMode.ANY,
    approver_users: Sequence[User] = (),
    approver_role: str = "",
    approver_team: Team | None = None,
) -> ApprovalStep:
    """Add a step at the end of the workflow. Requests already open keep their steps."""
    require_on(
        actor,
        workflow,
        Action.WORKFLOW_MANAGE,
        noun="Workflow",
        channel_group=workflow.channel_group,
    )
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A step needs a name.", field="name")
    if mode not in ApprovalMode.values:
        raise ApplicationError(ErrorCode.INVALID, f"Unknown mode {mode!r}.", field="mode")
    if approver_role and approver_role not in Role.values:
        raise ApplicationError(
            ErrorCode.INVALID, f"Unknown role {approver_role!r}.", field="approver_role"
        )
    if not (approver_users or approver_role or approver_team):
        raise ApplicationError(
            ErrorCode.INVALID, "Name approvers, a team or a role.", field="approver_users"
        )
    for user in approver_users:
        if user.organization_id != workflow.organization_id or not user.is_active:
            raise ApplicationError(
                ErrorCode.INVALID,
                "Approvers must be active people of the organisation.",
                field="approver_users",
            )
    if approver_team is not None and approver_team.organization_id != workflow.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Team not found.", field="approver_team")
    with transaction.atomic():
        workflow_locked(workflow.pk)
        last = workflow.steps.order_by("-position").values_list("position", flat=True).first()
        step = ApprovalStep.objects.create(
            organization_id=workflow.organization_id,
            workflow=workflow,
            position=(last or 0) + 1,
            name=name,
            mode=mode,
            approver_role=approver_role,
            approver_team=approver_team,
        )
        step.approver_users.set(approver_users)
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.step_added",
            target=workflow,
            after={
                "step": step.pk,
                "position": step.position,
                "name": name,
                "mode": mode,
                "approver_users": sorted(user.pk for user in approver_users),
                "approver_role": approver_role,
                "approver_team": approver_team.pk if approver_team else None,
            },
        )
    return step
