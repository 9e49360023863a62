"""Approval workflows: one in force per channel group (or the organisation's default),
each a sequence of steps naming who decides them.

A workflow no longer wanted is archived rather than deleted: it then applies to no new
submission, while a post already awaiting approval runs through the steps it was
submitted with, to the end. An archived workflow is not changed (restore it first), and
it is restored only while its group has no other workflow in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization, Role, Team, User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_on
from roost.publishing.approval_models import (
    ApprovalDecision,
    ApprovalMode,
    ApprovalRequest,
    ApprovalStep,
    ApprovalWorkflow,
)
from roost.publishing.locks import workflow_locked


@dataclass(frozen=True)
class StepSpec:
    """One step for `workflow_create`."""

    name: str
    mode: str = ApprovalMode.ANY
    approver_users: Sequence[User] = ()
    approver_role: str = ""
    approver_team: Team | None = None


MAX_NAME = 120


def _workflow_checked(*, name: str, deadline_hours: int) -> str:
    """The workflow's name, stripped; INVALID naming the field when a value is refused."""
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A workflow needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise ApplicationError(
            ErrorCode.INVALID, f"A name has at most {MAX_NAME} characters.", field="name"
        )
    if deadline_hours < 1:
        raise ApplicationError(
            ErrorCode.INVALID, "The deadline is at least one hour.", field="deadline_hours"
        )
    return name


def _group_taken(channel_group: ChannelGroup | None) -> ApplicationError:
    where = channel_group.name if channel_group else "The organisation's default"
    return ApplicationError(
        ErrorCode.CONFLICT, f"{where} already has a workflow.", field="channel_group"
    )


def _step_checked(
    workflow: ApprovalWorkflow,
    *,
    name: str,
    mode: str,
    approver_users: Sequence[User],
    approver_role: str,
    approver_team: Team | None,
) -> str:
    """The step's name, stripped; INVALID (or NOT_FOUND for another organisation's team)
    naming the field when a value is refused."""
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A step needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise ApplicationError(
            ErrorCode.INVALID, f"A name has at most {MAX_NAME} characters.", field="name"
        )
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
    return name


def _require_manage(actor: User, workflow: ApprovalWorkflow) -> None:
    require_on(
        actor,
        workflow,
        Action.WORKFLOW_MANAGE,
        noun="Workflow",
        channel_group=workflow.channel_group,
    )


def _require_in_force(workflow: ApprovalWorkflow) -> None:
    """CONFLICT for a change to an archived workflow: the posts still running through it
    keep the steps they were submitted with."""
    if workflow.archived_at is not None:
        raise ApplicationError(
            ErrorCode.CONFLICT, f"“{workflow.name}” is archived: restore it to change it."
        )


def _in_force(organization_id: int, channel_group: ChannelGroup | None) -> bool:
    """Whether the group (None: the default) has a workflow in force."""
    return ApprovalWorkflow.objects.filter(
        organization_id=organization_id, channel_group=channel_group, archived_at__isnull=True
    ).exists()


def _step_fields(step: ApprovalStep) -> dict[str, object]:
    """What the audit log keeps of a step."""
    return {
        "step": step.pk,
        "position": step.position,
        "name": step.name,
        "mode": step.mode,
        "approver_users": sorted(step.approver_users.values_list("pk", flat=True)),
        "approver_role": step.approver_role,
        "approver_team": step.approver_team_id,
    }


def _steps_in_use(workflow: ApprovalWorkflow, step_ids: Sequence[int]) -> str:
    """Why these steps cannot be removed ("" when they can): decisions were taken on one
    of them (the approval history keeps its steps), or a request awaiting approval still
    runs through one (its plan was fixed when the post was submitted)."""
    if not step_ids:
        return ""
    organization_id = workflow.organization_id
    if ApprovalDecision.objects.filter(
        organization_id=organization_id, step_id__in=step_ids
    ).exists():
        return "it has decisions in the approval history"
    wanted = set(step_ids)
    # The plan is a JSON list, which SQLite cannot search: the open requests are few.
    open_plans = ApprovalRequest.objects.filter(
        organization_id=organization_id, status=ApprovalRequest.Status.PENDING
    ).values_list("step_ids", flat=True)
    waiting = sum(1 for plan in open_plans if wanted & set(plan))
    if waiting:
        posts = "a post awaits" if waiting == 1 else f"{waiting} posts await"
        return f"{posts} approval through it"
    return ""


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
    name = _workflow_checked(name=name, deadline_hours=deadline_hours)
    taken = _group_taken(channel_group)
    if _in_force(organization.pk, channel_group):
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
    _require_manage(actor, workflow)
    _require_in_force(workflow)
    name = _step_checked(
        workflow,
        name=name,
        mode=mode,
        approver_users=approver_users,
        approver_role=approver_role,
        approver_team=approver_team,
    )
    with transaction.atomic():
        _require_in_force(workflow_locked(workflow.pk))
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


def workflow_update(
    *,
    actor: User,
    workflow: ApprovalWorkflow,
    name: str,
    channel_group: ChannelGroup | None,
    deadline_hours: int,
    reapprove_on_reschedule: bool,
) -> ApprovalWorkflow:
    """Rename the workflow, move it to another channel group (None: make it the
    organisation's default), or change its deadline and rescheduling rule. Moving it
    needs the right to manage workflows where it was and where it goes. Requests already
    open keep their steps and deadlines."""
    _require_manage(actor, workflow)
    if channel_group is not None and channel_group.organization_id != workflow.organization_id:
        raise ApplicationError(
            ErrorCode.NOT_FOUND, "Channel group not found.", field="channel_group"
        )
    require(actor, Action.WORKFLOW_MANAGE, channel_group=channel_group)
    name = _workflow_checked(name=name, deadline_hours=deadline_hours)
    with transaction.atomic():
        workflow = workflow_locked(workflow.pk)
        _require_in_force(workflow)
        before = {
            "name": workflow.name,
            "channel_group": workflow.channel_group_id,
            "deadline_hours": workflow.deadline_hours,
            "reapprove_on_reschedule": workflow.reapprove_on_reschedule,
        }
        after = {
            "name": name,
            "channel_group": channel_group.pk if channel_group else None,
            "deadline_hours": deadline_hours,
            "reapprove_on_reschedule": reapprove_on_reschedule,
        }
        if before == after:
            return workflow
        taken = _group_taken(channel_group)
        if (
            ApprovalWorkflow.objects.filter(
                organization_id=workflow.organization_id,
                channel_group=channel_group,
                archived_at__isnull=True,
            )
            .exclude(pk=workflow.pk)
            .exists()
        ):
            raise taken
        workflow.name = name
        workflow.channel_group = channel_group
        workflow.deadline_hours = deadline_hours
        workflow.reapprove_on_reschedule = reapprove_on_reschedule
        try:
            with transaction.atomic():
                workflow.save(
                    update_fields=[
                        "name",
                        "channel_group",
                        "deadline_hours",
                        "reapprove_on_reschedule",
                    ]
                )
        except IntegrityError as error:
            raise taken from error
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.updated",
            target=workflow,
            before=before,
            after=after,
        )
    return workflow


def workflow_archive(*, actor: User, workflow: ApprovalWorkflow) -> ApprovalWorkflow:
    """Archive the workflow: from now on it applies to no submission (its group falls to
    the organisation's default, or to no approval), and another may be created for its
    group. Posts already awaiting approval keep its steps to the end. Archiving an
    archived workflow changes nothing."""
    _require_manage(actor, workflow)
    with transaction.atomic():
        workflow = workflow_locked(workflow.pk)
        if workflow.archived_at is not None:
            return workflow
        workflow.archived_at = timezone.now()
        workflow.save(update_fields=["archived_at"])
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.archived",
            target=workflow,
            before={"archived_at": None},
            after={
                "archived_at": workflow.archived_at.isoformat(),
                "channel_group": workflow.channel_group_id,
            },
        )
    return workflow


def workflow_restore(*, actor: User, workflow: ApprovalWorkflow) -> ApprovalWorkflow:
    """Put an archived workflow back in force for its group. Refused (CONFLICT) while the
    group has another workflow in force: archive that one first. Restoring a workflow in
    force changes nothing."""
    _require_manage(actor, workflow)
    with transaction.atomic():
        workflow = workflow_locked(workflow.pk)
        if workflow.archived_at is None:
            return workflow
        group = workflow.channel_group
        where = group.name if group else "the organisation's default"
        taken = ApplicationError(
            ErrorCode.CONFLICT,
            f"“{workflow.name}” cannot be restored: {where} has another workflow in force. "
            "Archive that one first.",
        )
        if _in_force(workflow.organization_id, workflow.channel_group):
            raise taken
        archived_at = workflow.archived_at
        workflow.archived_at = None
        try:
            with transaction.atomic():
                workflow.save(update_fields=["archived_at"])
        except IntegrityError as error:  # restored or created meanwhile
            raise taken from error
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.restored",
            target=workflow,
            before={"archived_at": archived_at.isoformat()},
            after={"archived_at": None, "channel_group": workflow.channel_group_id},
        )
    return workflow


def workflow_delete(*, actor: User, workflow: ApprovalWorkflow) -> None:
    """Delete the workflow and its steps. Refused (CONFLICT) while the approval history
    or a post awaiting approval uses one of its steps: archive it instead."""
    _require_manage(actor, workflow)
    with transaction.atomic():
        workflow = workflow_locked(workflow.pk)
        step_ids = list(workflow.steps.values_list("pk", flat=True))
        reason = _steps_in_use(workflow, step_ids)
        if reason:
            raise ApplicationError(
                ErrorCode.CONFLICT,
                f"“{workflow.name}” cannot be deleted: {reason}. Archive it instead.",
            )
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.deleted",
            target=workflow,
            before={
                "name": workflow.name,
                "channel_group": workflow.channel_group_id,
                "steps": [_step_fields(step) for step in workflow.steps.order_by("position")],
            },
        )
        workflow.delete()


def workflow_step_update(
    *,
    actor: User,
    step: ApprovalStep,
    name: str,
    mode: str = ApprovalMode.ANY,
    approver_users: Sequence[User] = (),
    approver_role: str = "",
    approver_team: Team | None = None,
) -> ApprovalStep:
    """Change a step's name, mode and approvers, with `workflow_step_add`'s checks. A
    request awaiting this step asks the approvers the step names from now on."""
    workflow = step.workflow
    _require_manage(actor, workflow)
    name = _step_checked(
        workflow,
        name=name,
        mode=mode,
        approver_users=approver_users,
        approver_role=approver_role,
        approver_team=approver_team,
    )
    with transaction.atomic():
        _require_in_force(workflow_locked(workflow.pk))
        step = ApprovalStep.objects.get(pk=step.pk)
        before = _step_fields(step)
        step.name = name
        step.mode = mode
        step.approver_role = approver_role
        step.approver_team = approver_team
        step.save(update_fields=["name", "mode", "approver_role", "approver_team"])
        step.approver_users.set(approver_users)
        after = _step_fields(step)
        if before != after:
            audit.record(
                organization=workflow.organization,
                actor=actor,
                action="publishing.workflow.step_updated",
                target=workflow,
                before=before,
                after=after,
            )
    return step


def workflow_step_move(*, actor: User, step: ApprovalStep, offset: int) -> ApprovalStep:
    """Move the step `offset` places later (negative: earlier), as far as the ends allow.
    Requests already open keep the order they were submitted with."""
    workflow = step.workflow
    _require_manage(actor, workflow)
    with transaction.atomic():
        _require_in_force(workflow_locked(workflow.pk))
        ordered = list(workflow.steps.order_by("position", "pk"))
        index = next(i for i, s in enumerate(ordered) if s.pk == step.pk)
        target = max(0, min(len(ordered) - 1, index + offset))
        if target == index:
            return ordered[index]
        before = [s.pk for s in ordered]
        moved = ordered.pop(index)
        ordered.insert(target, moved)
        # Positions are unique per workflow: park the steps past the end, then number them.
        top = max(s.position for s in ordered)
        for n, s in enumerate(ordered, start=1):
            s.position = top + n
            s.save(update_fields=["position"])
        for n, s in enumerate(ordered, start=1):
            s.position = n
            s.save(update_fields=["position"])
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.steps_reordered",
            target=workflow,
            before={"steps": before},
            after={"steps": [s.pk for s in ordered]},
        )
    return moved


def workflow_step_remove(*, actor: User, step: ApprovalStep) -> None:
    """Remove a step; the later steps move up. Refused (CONFLICT) while the approval
    history or a post awaiting approval uses it."""
    workflow = step.workflow
    _require_manage(actor, workflow)
    with transaction.atomic():
        _require_in_force(workflow_locked(workflow.pk))
        step = ApprovalStep.objects.get(pk=step.pk)
        reason = _steps_in_use(workflow, [step.pk])
        if reason:
            raise ApplicationError(
                ErrorCode.CONFLICT, f"The step “{step.name}” cannot be removed: {reason}."
            )
        before = _step_fields(step)
        step.delete()
        for n, later in enumerate(workflow.steps.order_by("position", "pk"), start=1):
            if later.position != n:
                later.position = n
                later.save(update_fields=["position"])
        audit.record(
            organization=workflow.organization,
            actor=actor,
            action="publishing.workflow.step_removed",
            target=workflow,
            before=before,
        )
