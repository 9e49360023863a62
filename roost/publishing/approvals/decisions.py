"""Deciding on a post: submitting it for approval, then approving or rejecting it step by
step. One rejection by anyone who may decide rejects the whole request.

Every change checks the policy, writes the audit log in the same transaction, and sends
its e-mail after the commit.
"""

from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, require
from roost.core.tenancy import require_same_organization
from roost.publishing.approval_models import ApprovalDecision, ApprovalRequest, ApprovalStep
from roost.publishing.approvals.eligibility import (
    current_step,
    due_at_for,
    groups_for,
    may_decide_step,
    open_request,
    require_on_groups,
    step_complete,
)
from roost.publishing.approvals.lifecycle import (
    approval_start,
    post_after_approval,
    post_states_set,
)
from roost.publishing.approvals.notifications import email_author_rejected, email_step_approvers
from roost.publishing.checks import post_require_no_blocking_problem
from roost.publishing.locks import approval_request_locked, post_locked
from roost.publishing.models import Post, PostState, VariantState

AUTHOR_CANNOT_APPROVE = "You wrote this post: someone else has to approve it."
NOT_AN_APPROVER = "You are not one of the approvers of this step."
NOT_AWAITING = "This post is not awaiting approval."
ALREADY_DECIDED = "You have already decided on this step."
VERSION_CHANGED = "The post has changed since you opened it: review the new version."
COMMENT_REQUIRED = "Say what needs to change."


def post_submit(*, post: Post, actor: User) -> Post:
    """Send a draft for approval (or approve it at once when no workflow applies)."""
    require_same_organization(actor, post, noun="Post")
    with transaction.atomic():
        post = post_locked(post.pk)
        require_on_groups(actor, Action.POST_EDIT, post)
        if post.state != PostState.DRAFT or open_request(post) is not None:
            raise ApplicationError(
                ErrorCode.CONFLICT, "Only a draft can be submitted for approval."
            )
        post_require_no_blocking_problem(post)
        approval_start(post=post, actor=actor)
    return post


def _decision_target(
    post: Post, approver: User, version: int | None
) -> tuple[Post, ApprovalRequest, ApprovalStep]:
    """Lock the post and its open request, and check the approver may decide its step."""
    post = post_locked(post.pk)
    found = open_request(post)
    if found is None:
        raise ApplicationError(ErrorCode.CONFLICT, NOT_AWAITING)
    request = approval_request_locked(found.pk)
    step = current_step(request)
    if step is None:
        raise ApplicationError(
            ErrorCode.CONFLICT, "This step no longer exists: submit the post again."
        )
    for group in groups_for(post, step):
        require(approver, Action.POST_APPROVE, channel_group=group)
    if approver.pk == post.author_id:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, AUTHOR_CANNOT_APPROVE)
    if not may_decide_step(approver, step, post):
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, NOT_AN_APPROVER)
    if version is not None and version != request.version:
        raise ApplicationError(ErrorCode.CONFLICT, VERSION_CHANGED)
    if ApprovalDecision.objects.filter(request=request, step=step, approver=approver).exists():
        raise ApplicationError(ErrorCode.CONFLICT, ALREADY_DECIDED)
    return post, request, step


def _decide(
    request: ApprovalRequest,
    step: ApprovalStep,
    approver: User,
    decision: ApprovalDecision.Decision,
    comment: str,
) -> ApprovalDecision:
    try:
        with transaction.atomic():
            return ApprovalDecision.objects.create(
                organization_id=request.organization_id,
                request=request,
                step=step,
                approver=approver,
                decision=decision,
                comment=comment,
            )
    except IntegrityError as error:
        raise ApplicationError(ErrorCode.CONFLICT, ALREADY_DECIDED) from error


def post_approve(
    *, post: Post, approver: User, comment: str = "", version: int | None = None
) -> Post:
    """Approve the step awaiting a decision. The last step's approval approves the post
    (and schedules it when it has a time); otherwise the next step's approvers are asked.

    `version`, when given, is the version the approver reviewed: a newer one refuses."""
    require_same_organization(approver, post, noun="Post")
    with transaction.atomic():
        post, request, step = _decision_target(post, approver, version)
        _decide(request, step, approver, ApprovalDecision.Decision.APPROVE, comment.strip())
        complete = step_complete(request, step, post)
        audit.record(
            organization=post.organization,
            actor=approver,
            action="publishing.approval.approved",
            target=post,
            after={
                "request": request.pk,
                "version": request.version,
                "step": step.name,
                "step_complete": complete,
                "comment": comment.strip(),
            },
        )
        if not complete:
            return post
        now = timezone.now()
        if request.current_position + 1 < len(request.step_ids):
            request.current_position += 1
            upcoming = current_step(request)
            request.due_at = due_at_for(post, upcoming, now) if upcoming else None
            request.reminded_at = None
            request.save(update_fields=["current_position", "due_at", "reminded_at"])
            transaction.on_commit(partial(email_step_approvers, request_id=request.pk))
            return post
        request.status = ApprovalRequest.Status.APPROVED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        post_states_set(
            post,
            PostState.APPROVED,
            variants_from=[VariantState.IN_APPROVAL],
            to=VariantState.APPROVED,
        )
        audit.record(
            organization=post.organization,
            actor=approver,
            action="publishing.approval.completed",
            target=post,
            before={"state": PostState.IN_APPROVAL},
            after={"request": request.pk, "version": request.version, "state": post.state},
        )
        post_after_approval(post=post)
    return post


def post_reject(*, post: Post, approver: User, comment: str, version: int | None = None) -> Post:
    """Reject the post with what needs to change; it goes back to draft and its author
    is told."""
    require_same_organization(approver, post, noun="Post")
    comment = comment.strip()
    with transaction.atomic():
        post, request, step = _decision_target(post, approver, version)
        if not comment:
            raise ApplicationError(ErrorCode.INVALID, COMMENT_REQUIRED, field="comment")
        _decide(request, step, approver, ApprovalDecision.Decision.REJECT, comment)
        request.status = ApprovalRequest.Status.REJECTED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        post_states_set(
            post, PostState.DRAFT, variants_from=[VariantState.IN_APPROVAL], to=VariantState.DRAFT
        )
        audit.record(
            organization=post.organization,
            actor=approver,
            action="publishing.approval.rejected",
            target=post,
            before={"state": PostState.IN_APPROVAL},
            after={
                "request": request.pk,
                "version": request.version,
                "step": step.name,
                "comment": comment,
                "state": post.state,
            },
        )
        transaction.on_commit(partial(email_author_rejected, request_id=request.pk))
    return post
