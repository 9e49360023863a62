"""Reading approval workflows: the organisation's list as Settings shows it, one workflow
to edit, what a person may change, and whom to ask when no workflow covers a post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Role, Team, User
from roost.core.permissions import (
    POLICY,
    Action,
    can,
    channel_group_ids_allowed,
    grants_preload,
)
from roost.publishing.approval_models import ApprovalStep, ApprovalWorkflow
from roost.publishing.approvals.eligibility import post_groups
from roost.publishing.models import Post

ASK_AT_MOST = 3


@dataclass(frozen=True)
class WorkflowRow:
    workflow: ApprovalWorkflow
    steps: list[ApprovalStep]
    can_manage: bool
    falls_back: list[ChannelGroup]  # the default's: the groups without a workflow of their own


@dataclass(frozen=True)
class WorkflowOverview:
    rows: list[WorkflowRow]  # the workflows in force
    uncovered: list[ChannelGroup]  # no workflow of their own and no default: approved at once
    can_create: bool
    archived: list[WorkflowRow]  # applying to no new submission, newest archived first


def _steps() -> Prefetch[str]:
    return Prefetch(
        "steps",
        queryset=ApprovalStep.objects.select_related("approver_team")
        .prefetch_related("approver_users")
        .order_by("position", "pk"),
    )


def workflow_overview(*, viewer: User) -> WorkflowOverview:
    """The organisation's workflows in force, which groups each covers, and what the viewer
    may do; then the archived ones, apart. Any member may read them: they decide who
    approves what."""
    org_id = viewer.organization_id
    every = list(
        ApprovalWorkflow.objects.filter(organization_id=org_id)
        .select_related("channel_group")
        .prefetch_related(_steps())
        .order_by("channel_group__name", "name", "pk")
    )
    workflows = [w for w in every if w.archived_at is None]
    archived = sorted(
        (w for w in every if w.archived_at is not None),
        key=lambda w: (w.archived_at, w.pk),
        reverse=True,
    )
    groups = list(ChannelGroup.objects.filter(organization_id=org_id).order_by("name", "pk"))
    own = {w.channel_group_id for w in workflows if w.channel_group_id is not None}
    without_own = [group for group in groups if group.pk not in own]
    has_default = any(w.channel_group_id is None for w in workflows)
    rows = [
        WorkflowRow(
            workflow=w,
            steps=list(w.steps.all()),
            can_manage=can(viewer, Action.WORKFLOW_MANAGE, channel_group=w.channel_group),
            falls_back=without_own if w.channel_group_id is None else [],
        )
        for w in workflows
    ]
    # The default workflow (no group) comes first: it is the rule, groups are exceptions.
    rows.sort(key=lambda row: row.workflow.channel_group_id is not None)
    may_default, may_groups = workflow_groups_manageable(viewer=viewer)
    return WorkflowOverview(
        rows=rows,
        uncovered=[] if has_default else without_own,
        can_create=may_default or bool(may_groups),
        archived=[
            WorkflowRow(
                workflow=w,
                steps=list(w.steps.all()),
                can_manage=can(viewer, Action.WORKFLOW_MANAGE, channel_group=w.channel_group),
                falls_back=[],
            )
            for w in archived
        ],
    )


def workflow_groups_manageable(*, viewer: User) -> tuple[bool, list[ChannelGroup]]:
    """Whether the viewer may manage the organisation's default workflow, and the channel
    groups whose workflow they may manage."""
    allowed = channel_group_ids_allowed(viewer, Action.WORKFLOW_MANAGE)
    groups = ChannelGroup.objects.filter(organization_id=viewer.organization_id)
    if allowed is not None:
        groups = groups.filter(pk__in=allowed)
    return allowed is None, list(groups.order_by("name", "pk"))


def workflow_get(*, viewer: User, workflow_id: int) -> ApprovalWorkflow:
    """One workflow of the viewer's organisation, its steps read along (else NOT_FOUND)."""
    found = (
        ApprovalWorkflow.objects.filter(organization_id=viewer.organization_id, pk=workflow_id)
        .select_related("channel_group", "organization")
        .prefetch_related(_steps())
        .first()
    )
    if found is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Workflow not found.")
    return found


def workflow_step_get(*, workflow: ApprovalWorkflow, step_id: int) -> ApprovalStep:
    """One step of the workflow (else NOT_FOUND)."""
    for step in workflow.steps.all():
        if step.pk == step_id:
            step.workflow = workflow
            return step
    raise ApplicationError(ErrorCode.NOT_FOUND, "Step not found.")


def workflow_people(*, viewer: User) -> list[User]:
    """The active people of the organisation, who may be named approvers."""
    return list(
        User.objects.filter(organization_id=viewer.organization_id, is_active=True).order_by(
            "name", "pk"
        )
    )


def workflow_teams(*, viewer: User) -> list[Team]:
    return list(Team.objects.filter(organization_id=viewer.organization_id).order_by("name"))


@dataclass(frozen=True)
class NoWorkflowHelp:
    """What the post page says when no workflow covers a post's channels."""

    can_manage: bool
    ask: list[User]  # people who could add one, when the viewer cannot


def _managers(organization_id: int, groups: Sequence[ChannelGroup]) -> list[User]:
    """Active people who may manage workflows on every one of these groups."""
    roles = POLICY[Action.WORKFLOW_MANAGE].roles
    candidates = list(
        User.objects.filter(
            organization_id=organization_id,
            is_active=True,
            memberships__role__in=[Role(role).value for role in roles],
        )
        .filter(
            Q(memberships__channel_group__isnull=True)
            | Q(memberships__channel_group__in=[group.pk for group in groups])
        )
        .distinct()
        .order_by("name", "pk")
    )
    grants_preload(candidates)
    return [
        person
        for person in candidates
        if all(can(person, Action.WORKFLOW_MANAGE, channel_group=group) for group in groups)
    ]


def no_workflow_help(*, viewer: User, post: Post) -> NoWorkflowHelp:
    groups = post_groups(post)
    if groups and all(can(viewer, Action.WORKFLOW_MANAGE, channel_group=g) for g in groups):
        return NoWorkflowHelp(can_manage=True, ask=[])
    managers = [m for m in _managers(post.organization_id, groups) if m.pk != viewer.pk]
    return NoWorkflowHelp(can_manage=False, ask=managers[:ASK_AT_MOST])


__all__ = [
    "NoWorkflowHelp",
    "WorkflowOverview",
    "WorkflowRow",
    "no_workflow_help",
    "workflow_get",
    "workflow_groups_manageable",
    "workflow_overview",
    "workflow_people",
    "workflow_step_get",
    "workflow_teams",
]
