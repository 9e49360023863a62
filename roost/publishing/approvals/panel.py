"""The approval panel of the post page, as a view-model: the latest request and its
steps (or the steps that would apply), what the viewer may do, and the versions."""

from __future__ import annotations

from typing import Any

from roost.core.models import User
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.approvals.eligibility import (
    post_groups,
    post_stages,
    request_steps,
    steps_approvers,
)
from roost.publishing.approvals.selectors import (
    approval_requests,
    may_decide,
    may_submit,
    post_versions,
)
from roost.publishing.approvals.versions import version_diff
from roost.publishing.approvals.workflow_selectors import no_workflow_help
from roost.publishing.models import Post

VERSIONS_SHOWN = 10


def _step_state(request: ApprovalRequest, index: int) -> str:
    if request.status == ApprovalRequest.Status.APPROVED or index < request.current_position:
        return "approved"
    if index > request.current_position:
        return "waiting" if request.status == ApprovalRequest.Status.PENDING else "not_reached"
    return {
        ApprovalRequest.Status.PENDING: "current",
        ApprovalRequest.Status.REJECTED: "rejected",
    }.get(ApprovalRequest.Status(request.status), "not_reached")


def approval_context(*, viewer: User, post: Post) -> dict[str, Any]:
    """What the approval panel shows: the latest request and its steps (or, before the
    first submission, the steps that would apply), what the viewer may do, and the
    version history with the change between the last two versions."""
    latest = approval_requests(viewer=viewer, post=post).first()
    steps: list[dict[str, Any]] = []
    uncovered: list[str] = []  # before a first submission: the groups no workflow covers
    if latest is not None:
        decisions = list(latest.decisions.select_related("approver"))
        states = [
            (step, _step_state(latest, index)) for index, step in enumerate(request_steps(latest))
        ]
        # Approvers are listed for the steps still to decide, all read together.
        approvers = steps_approvers(
            steps=[step for step, state in states if step and state in ("current", "waiting")],
            post=post,
        )
        for index, (step, state) in enumerate(states):
            steps.append(
                {
                    "position": index + 1,
                    "step": step,
                    "state": state,
                    "decisions": [d for d in decisions if step and d.step_id == step.pk],
                    "approvers": approvers.get(step.pk, []) if step else [],
                }
            )
    else:
        stages = post_stages(post)
        if not stages:
            uncovered = [group.name for group in post_groups(post)]
        upcoming = [step for stage in stages for step in stage.steps]
        approvers = steps_approvers(steps=upcoming, post=post, submitted=False)
        for position, step in enumerate(upcoming, start=1):
            steps.append(
                {
                    "position": position,
                    "step": step,
                    "state": "waiting",
                    "decisions": [],
                    "approvers": approvers[step.pk],
                }
            )
    versions = list(post_versions(viewer=viewer, post=post)[:VERSIONS_SHOWN])
    return {
        "request": latest,
        "steps": steps,
        "uncovered": uncovered,
        "can_decide": may_decide(viewer=viewer, post=post),
        "can_submit": may_submit(viewer=viewer, post=post),
        "versions": versions,
        "diff": version_diff(versions[1], versions[0]) if len(versions) > 1 else [],
        "error": "",
        # Only when the panel says no workflow covers the post: who could add one.
        "no_workflow": (
            no_workflow_help(viewer=viewer, post=post) if latest is None and not steps else None
        ),
    }
