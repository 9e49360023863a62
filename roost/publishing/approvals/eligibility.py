"""Which approval steps apply to a post, who may decide each, and where a request stands.

Which workflow applies: each of the post's channel groups uses its own workflow, or the
organisation's default when it has none. When the channels span groups with different
workflows, the steps of every one of them apply in sequence, groups taken in name order.
When no workflow applies, submitting approves the post at once.

Who may decide a step: its named people, the members of its team, and whoever holds its
role on the groups the step's workflow covers for this post (a grant on the whole
organisation or on each such group). They must also be allowed to approve posts there,
be active, and not be the post's author. In `all` mode every named person and team
member must approve (for a step with only a role: every current holder of it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from roost.core.actors import Actor
from roost.core.models import ChannelGroup, Role, User
from roost.core.permissions import Action, can, grants_preload, require, roles_of
from roost.publishing.approval_models import (
    ApprovalDecision,
    ApprovalMode,
    ApprovalRequest,
    ApprovalStep,
    ApprovalWorkflow,
)
from roost.publishing.models import Post


@dataclass(frozen=True)
class Stage:
    """One workflow applied to a post, with the post's groups it covers."""

    workflow: ApprovalWorkflow
    groups: tuple[ChannelGroup, ...]
    steps: tuple[ApprovalStep, ...] = field(default=())


def groups_by_name(groups: Iterable[ChannelGroup]) -> list[ChannelGroup]:
    unique = {group.pk: group for group in groups}
    return sorted(unique.values(), key=lambda group: (group.name, group.pk))


def post_groups(post: Post) -> list[ChannelGroup]:
    """The channel groups of the post's channels, by name."""
    return groups_by_name(ChannelGroup.objects.filter(channels__variants__post=post))


def workflows_by_group(
    organization_id: int, *, for_requests: bool = False
) -> dict[int | None, ApprovalWorkflow]:
    """The organisation's workflows in force by channel group id (None: the default):
    archived ones apply to no new submission.

    `for_requests`: the groups that each step of a request already under way answers for.
    An archived workflow still counts there for its group while no other is in force, so
    that archiving one workflow of a post spanning groups moves no group onto another's
    steps (`step_groups` holds a replaced one to its own group)."""
    found: dict[int | None, ApprovalWorkflow] = {}
    rows = ApprovalWorkflow.objects.filter(organization_id=organization_id)
    if not for_requests:
        rows = rows.filter(archived_at__isnull=True)

    # In force first, then the archived, newest first: the first found for a group wins.
    def precedence(workflow: ApprovalWorkflow) -> tuple[bool, float]:
        archived = workflow.archived_at
        return archived is not None, -archived.timestamp() if archived else 0.0

    for workflow in sorted(rows, key=precedence):
        found.setdefault(workflow.channel_group_id, workflow)
    return found


def _covering(
    groups: Sequence[ChannelGroup], workflows: dict[int | None, ApprovalWorkflow]
) -> dict[int, tuple[ApprovalWorkflow, list[ChannelGroup]]]:
    """Each applicable workflow (in the order its steps run) with the groups it covers."""
    covered: dict[int, tuple[ApprovalWorkflow, list[ChannelGroup]]] = {}
    for group in groups:
        workflow = workflows.get(group.pk) or workflows.get(None)
        if workflow is not None:
            covered.setdefault(workflow.pk, (workflow, []))[1].append(group)
    return covered


def groups_stages(
    *,
    organization_id: int,
    groups: Sequence[ChannelGroup],
    steps: QuerySet[ApprovalStep] | None = None,
) -> list[Stage]:
    """The workflows that apply to a post on channels of these groups (given by name), in
    the order their steps run; `steps` may load more with each step."""
    covered = _covering(groups, workflows_by_group(organization_id))
    by_workflow: dict[int, list[ApprovalStep]] = {}
    rows = ApprovalStep.objects.all() if steps is None else steps
    for step in rows.filter(workflow_id__in=covered).order_by("position", "pk"):
        by_workflow.setdefault(step.workflow_id, []).append(step)
    return [
        Stage(workflow, tuple(groups), tuple(by_workflow.get(workflow.pk, [])))
        for workflow, groups in covered.values()
    ]


def post_stages(post: Post) -> list[Stage]:
    """The workflows that apply to the post, in the order their steps run."""
    return groups_stages(organization_id=post.organization_id, groups=post_groups(post))


def step_groups(
    step: ApprovalStep,
    groups: Sequence[ChannelGroup],
    workflows: dict[int | None, ApprovalWorkflow],
) -> list[ChannelGroup]:
    """The post's groups (given) that the step's workflow covers."""
    if step.workflow_id not in {workflow.pk for workflow in workflows.values()}:
        # Archived since the post was submitted: it still covers for this post what it
        # covered then, its own group, or as the default the groups without their own.
        workflow = step.workflow
        if workflow.archived_at is not None:
            workflows = {**workflows, workflow.channel_group_id: workflow}
    entry = _covering(groups, workflows).get(step.workflow_id)
    # The workflow no longer applies (a channel moved group): hold it to every group.
    return entry[1] if entry else list(groups)


def groups_for(post: Post, step: ApprovalStep) -> list[ChannelGroup]:
    return step_groups(
        step, post_groups(post), workflows_by_group(post.organization_id, for_requests=True)
    )


def _holds(roles: set[Role], role: str) -> bool:
    return Role(role) in roles


def _role_holders(step: ApprovalStep, groups: Sequence[ChannelGroup]) -> list[User]:
    if not step.approver_role:
        return []
    candidates = list(
        User.objects.filter(
            organization_id=step.organization_id,
            is_active=True,
            memberships__role=step.approver_role,
        ).distinct()
    )
    grants_preload(candidates)
    return [
        user
        for user in candidates
        if all(_holds(roles_of(user, channel_group=g), step.approver_role) for g in groups)
    ]


def _named(step: ApprovalStep) -> list[User]:
    people = {user.pk: user for user in step.approver_users.filter(is_active=True)}
    if step.approver_team_id is not None:
        for user in User.objects.filter(teams__id=step.approver_team_id, is_active=True):
            people.setdefault(user.pk, user)
    return list(people.values())


def _eligible(users: Iterable[User], post: Post, groups: Sequence[ChannelGroup]) -> list[User]:
    people = list(users)
    grants_preload(people)  # their grants in one query, not one each (within a request)
    seen: dict[int, User] = {}
    for user in people:
        if (
            user.pk not in seen
            and user.pk != post.author_id
            and user.organization_id == post.organization_id
            and all(can(user, Action.POST_APPROVE, channel_group=g) for g in groups)
        ):
            seen[user.pk] = user
    return sorted(seen.values(), key=lambda u: (u.name, u.pk))


def _approvers(step: ApprovalStep, post: Post, groups: Sequence[ChannelGroup]) -> list[User]:
    return _eligible([*_named(step), *_role_holders(step, groups)], post, groups)


def step_approvers(*, step: ApprovalStep, post: Post) -> list[User]:
    """Everyone who may decide the step for this post."""
    return _approvers(step, post, groups_for(post, step))


def steps_approvers(
    *, steps: Iterable[ApprovalStep], post: Post, submitted: bool = True
) -> dict[int, list[User]]:
    """`step_approvers` of several steps of one post, by step id; the post's groups and the
    workflows are read once for all of them. `submitted`: the steps of a request under way
    (else the steps submitting would start)."""
    groups = post_groups(post)
    workflows = workflows_by_group(post.organization_id, for_requests=submitted)
    return {step.pk: _approvers(step, post, step_groups(step, groups, workflows)) for step in steps}


def step_required_approvers(*, step: ApprovalStep, post: Post) -> list[User]:
    """Who must approve an `all` step: its named people and team, else every role holder."""
    groups = groups_for(post, step)
    named = _named(step)
    return _eligible(named or _role_holders(step, groups), post, groups)


class Decider:
    """Whether one person may decide approval steps; their grants are read once per group."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.named_steps = set(
            ApprovalStep.approver_users.through.objects.filter(user_id=user.pk).values_list(
                "approvalstep_id", flat=True
            )
        )
        self.team_ids = set(user.teams.values_list("pk", flat=True))
        self._may_approve: dict[int, bool] = {}
        self._roles: dict[int, set[Role]] = {}

    def _approves_in(self, group: ChannelGroup) -> bool:
        if group.pk not in self._may_approve:
            self._may_approve[group.pk] = can(self.user, Action.POST_APPROVE, channel_group=group)
        return self._may_approve[group.pk]

    def _roles_in(self, group: ChannelGroup) -> set[Role]:
        if group.pk not in self._roles:
            self._roles[group.pk] = roles_of(self.user, channel_group=group)
        return self._roles[group.pk]

    def may_decide(self, step: ApprovalStep, post: Post, groups: Sequence[ChannelGroup]) -> bool:
        if not self.user.is_active or self.user.pk == post.author_id:
            return False
        if not all(self._approves_in(group) for group in groups):
            return False
        return (
            step.pk in self.named_steps
            or (step.approver_team_id is not None and step.approver_team_id in self.team_ids)
            or (
                bool(step.approver_role)
                and all(_holds(self._roles_in(g), step.approver_role) for g in groups)
            )
        )


def may_decide_step(user: User, step: ApprovalStep, post: Post) -> bool:
    return Decider(user).may_decide(step, post, groups_for(post, step))


def request_steps(request: ApprovalRequest) -> list[ApprovalStep | None]:
    """The request's steps in order; None where a step has since been deleted."""
    found = ApprovalStep.objects.select_related("workflow").in_bulk(request.step_ids)
    return [found.get(pk) for pk in request.step_ids]


def current_step(request: ApprovalRequest) -> ApprovalStep | None:
    if request.status != ApprovalRequest.Status.PENDING:
        return None
    if request.current_position >= len(request.step_ids):
        return None
    return (
        ApprovalStep.objects.select_related("workflow")
        .filter(pk=request.step_ids[request.current_position])
        .first()
    )


def open_request(post: Post) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(post=post, status=ApprovalRequest.Status.PENDING)
        .order_by("-pk")
        .first()
    )


def step_complete(request: ApprovalRequest, step: ApprovalStep, post: Post) -> bool:
    approved = set(
        ApprovalDecision.objects.filter(
            request=request, step=step, decision=ApprovalDecision.Decision.APPROVE
        ).values_list("approver_id", flat=True)
    )
    if not approved:
        return False
    if step.mode == ApprovalMode.ANY:
        return True
    required = {user.pk for user in step_required_approvers(step=step, post=post)}
    return required <= approved


def due_at_for(post: Post, step: ApprovalStep, now: dt.datetime) -> dt.datetime:
    """The step's deadline, brought forward to the post's time when that comes first."""
    due = now + dt.timedelta(hours=step.workflow.deadline_hours)
    if post.scheduled_at is not None and post.scheduled_at < due:
        return post.scheduled_at
    return due


def require_on_groups(actor: Actor, action: Action, post: Post) -> None:
    """The policy's check of the action on each of the post's channel groups."""
    for group in post_groups(post):
        require(actor, action, channel_group=group)


def require_post_view(actor: Actor, post: Post) -> None:
    """A post is seen by whoever may see it on any one of its channel groups: the rule of
    the post list and the calendar (`roost.publishing.selectors`), so that a post they
    list opens with its approval history. Changing it takes every group."""
    groups = post_groups(post)
    if any(can(actor, Action.POST_VIEW, channel_group=group) for group in groups):
        return
    require(actor, Action.POST_VIEW, channel_group=groups[0] if groups else None)
