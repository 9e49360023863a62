"""What approval shows: a post for review, the queue of what a person may decide, a
post's versions and requests, and whether a person may decide or submit now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import User
from roost.core.permissions import Action, can, channel_group_ids_allowed
from roost.core.tenancy import require_same_organization
from roost.publishing.approval_models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStep,
    PostVersion,
)
from roost.publishing.approvals.eligibility import (
    Decider,
    current_step,
    groups_by_name,
    may_decide_step,
    open_request,
    post_groups,
    require_post_view,
    step_groups,
    workflows_by_group,
)
from roost.publishing.models import Post, PostState


def approval_post_get(*, viewer: User, post_id: int) -> Post:
    """A post of the viewer's organisation that the viewer may see (`require_post_view`)."""
    post = (
        Post.objects.filter(organization_id=viewer.organization_id, pk=post_id)
        .select_related("author", "campaign")
        .first()
    )
    if post is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Post not found.")
    require_post_view(viewer, post)
    return post


def _queue(viewer: User) -> list[tuple[ApprovalRequest, ApprovalStep]]:
    """The viewer's grants, the workflows and the steps are read once, not per request."""
    allowed = channel_group_ids_allowed(viewer, Action.POST_APPROVE)
    if allowed is not None and not allowed:
        return []
    pending = ApprovalRequest.objects.filter(
        organization_id=viewer.organization_id, status=ApprovalRequest.Status.PENDING
    ).exclude(post__author=viewer)
    if allowed is not None:
        pending = pending.filter(post__variants__channel__channel_group_id__in=allowed)
    requests = list(
        pending.distinct()
        .select_related("post__author")
        .prefetch_related("post__variants__channel__channel_group")
        .order_by("due_at", "pk")
    )
    current_ids = {
        r.step_ids[r.current_position] for r in requests if r.current_position < len(r.step_ids)
    }
    steps = ApprovalStep.objects.select_related("workflow").in_bulk(current_ids)
    workflows = workflows_by_group(viewer.organization_id, for_requests=True)
    decided = set(
        ApprovalDecision.objects.filter(
            approver=viewer, request__in=requests, step_id__in=current_ids
        ).values_list("request_id", "step_id")
    )
    decider = Decider(viewer)
    queue: list[tuple[ApprovalRequest, ApprovalStep]] = []
    for request in requests:
        if request.current_position >= len(request.step_ids):
            continue
        step = steps.get(request.step_ids[request.current_position])
        if step is None or (request.pk, step.pk) in decided:
            continue
        groups = groups_by_name(v.channel.channel_group for v in request.post.variants.all())
        if decider.may_decide(step, request.post, step_groups(step, groups, workflows)):
            queue.append((request, step))
    return queue


def approval_queue(*, viewer: User) -> list[ApprovalRequest]:
    """Pending requests whose current step the viewer may decide and has not yet, the
    soonest due first. Posts come with their author, variants and channels."""
    return [request for request, _ in _queue(viewer)]


@dataclass(frozen=True)
class QueueRow:
    request: ApprovalRequest
    post: Post
    step: ApprovalStep
    channels: list[Channel]
    due_at: dt.datetime | None
    overdue: bool


def approval_queue_rows(*, viewer: User, now: dt.datetime | None = None) -> list[QueueRow]:
    """The approval queue as a table: post, author, channels, deadline, step."""
    moment = now or timezone.now()
    return [
        QueueRow(
            request=request,
            post=request.post,
            step=step,
            channels=[variant.channel for variant in request.post.variants.all()],
            due_at=request.due_at,
            overdue=request.due_at is not None and request.due_at < moment,
        )
        for request, step in _queue(viewer)
    ]


def post_versions(*, viewer: User, post: Post) -> QuerySet[PostVersion]:
    """The post's stored versions, newest first."""
    require_same_organization(viewer, post, noun="Post")
    require_post_view(viewer, post)
    return PostVersion.objects.filter(post=post).select_related("created_by").order_by("-version")


def approval_requests(*, viewer: User, post: Post) -> QuerySet[ApprovalRequest]:
    """The post's approval requests, newest first."""
    require_same_organization(viewer, post, noun="Post")
    require_post_view(viewer, post)
    return ApprovalRequest.objects.filter(post=post).order_by("-created_at", "-pk")


def may_decide(*, viewer: User, post: Post) -> bool:
    """Whether the viewer may approve or reject the post's current step now."""
    request = open_request(post)
    if request is None or viewer.organization_id != post.organization_id:
        return False
    step = current_step(request)
    if step is None or not may_decide_step(viewer, step, post):
        return False
    return not ApprovalDecision.objects.filter(request=request, step=step, approver=viewer).exists()


def may_submit(*, viewer: User, post: Post) -> bool:
    return (
        viewer.organization_id == post.organization_id
        and post.state == PostState.DRAFT
        and all(can(viewer, Action.POST_EDIT, channel_group=g) for g in post_groups(post))
    )
