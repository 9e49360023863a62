"""What a post's change of content or state sets off, in one place.

Composing (`services`), media (`media_attach`), campaigns and approval's decisions
all change posts; what follows from a change is the same whoever makes it, and
lives here:

- an edit bumps the post's version, is audited, and sends a post in approval or
  approved through approval again, for its new version (`post_edited`);
- starting approval snapshots the version and opens a request, or approves the
  post at once when no workflow applies (`approval_start`);
- an approved post with a time is scheduled, unless its campaign is held
  (`post_after_approval`).

Every function here expects to run inside the transaction of the change, holding
the post's row lock (`roost.publishing.locks.post_locked`), after the actor's
permission was checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

from django.db import models, transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import Actor, person
from roost.core.errors import ApplicationError, ErrorCode
from roost.publishing.approval_models import ApprovalRequest, PostVersion
from roost.publishing.approvals.eligibility import (
    due_at_for,
    open_request,
    post_stages,
    step_approvers,
)
from roost.publishing.approvals.notifications import email_step_approvers
from roost.publishing.approvals.versions import version_record
from roost.publishing.locks import approval_request_locked
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState

# Variants that approval holds back; a variant already sending or sent is never touched.
HELD_FOR_APPROVAL = [
    VariantState.DRAFT,
    VariantState.APPROVED,
    VariantState.SCHEDULED,
    VariantState.PAUSED,
]
REOPEN_STATES = {PostState.IN_APPROVAL, PostState.APPROVED, PostState.SCHEDULED}

Reason = Literal["edited", "rescheduled"]


def post_states_set(post: Post, state: PostState, *, variants_from: Sequence[str], to: str) -> None:
    """Move the post to `state` and its variants in `variants_from` to `to`."""
    post.state = state
    post.updated_at = timezone.now()
    post.save(update_fields=["state", "updated_at"])
    Variant.objects.filter(post=post, state__in=variants_from).update(state=to)


def post_after_approval(*, post: Post) -> None:
    """Approved variants with a time become scheduled (unless their campaign is held)."""
    held = post.campaign is not None and post.campaign.status == Campaign.Status.HELD
    approved = Variant.objects.filter(post=post, state=VariantState.APPROVED)
    if post.scheduled_at is None or held:
        return
    approved.update(state=VariantState.SCHEDULED, scheduled_at=post.scheduled_at)
    if post.state == PostState.APPROVED:
        post.state = PostState.SCHEDULED
        post.save(update_fields=["state"])


def _approve_now(post: Post, actor: Actor, version: PostVersion) -> None:
    post_states_set(
        post, PostState.APPROVED, variants_from=HELD_FOR_APPROVAL, to=VariantState.APPROVED
    )
    audit.record(
        organization=post.organization,
        actor=actor,
        action="publishing.approval.not_required",
        target=post,
        after={"version": version.version, "state": post.state},
    )
    post_after_approval(post=post)


def approval_start(*, post: Post, actor: Actor, reason: str = "") -> ApprovalRequest | None:
    """Snapshot the post and start a request for its version (None: no workflow applies,
    and the post is approved at once).

    Call with no request of the post still open.
    """
    version = version_record(post, actor)
    steps = [step for stage in post_stages(post) for step in stage.steps]
    if not steps:
        _approve_now(post, actor, version)
        return None
    for step in steps:
        if not step_approvers(step=step, post=post):
            raise ApplicationError(
                ErrorCode.INVALID,
                f"No one can approve the step “{step.name}” of {step.workflow.name}: "
                "ask an admin to add approvers.",
            )
    now = timezone.now()
    request = ApprovalRequest.objects.create(
        organization_id=post.organization_id,
        post=post,
        version=post.version,
        step_ids=[step.pk for step in steps],
        current_position=0,
        submitted_by=person(actor),
        due_at=due_at_for(post, steps[0], now),
        created_at=now,
    )
    post_states_set(
        post, PostState.IN_APPROVAL, variants_from=HELD_FOR_APPROVAL, to=VariantState.IN_APPROVAL
    )
    audit.record(
        organization=post.organization,
        actor=actor,
        action="publishing.approval.submitted",
        target=post,
        after={
            "request": request.pk,
            "version": request.version,
            "steps": [step.name for step in steps],
            "due_at": request.due_at,
            **({"reason": reason} if reason else {}),
        },
    )
    transaction.on_commit(partial(email_step_approvers, request_id=request.pk))
    return request


def approval_reopen_if_needed(*, post: Post, actor: Actor, reason: Reason) -> None:
    """After an edit or a new time: a post in approval or approved goes through approval
    again, for its new version. A new time only counts where a workflow says so.

    Call after bumping `post.version` on an edit.
    """
    if post.state not in REOPEN_STATES:
        return
    stages = post_stages(post)
    if not stages:
        return
    if reason != "edited" and not any(stage.workflow.reapprove_on_reschedule for stage in stages):
        return
    with transaction.atomic():
        found = open_request(post)
        if found is not None:
            request = approval_request_locked(found.pk)
            request.status = ApprovalRequest.Status.CANCELLED
            request.closed_at = timezone.now()
            request.save(update_fields=["status", "closed_at"])
            audit.record(
                organization=post.organization,
                actor=actor,
                action="publishing.approval.cancelled",
                target=post,
                after={"request": request.pk, "version": request.version, "reason": reason},
            )
        approval_start(post=post, actor=actor, reason=reason)


def post_version_bump(post: Post, *, also: Sequence[str] = ()) -> None:
    """Give the post its next version, saving the fields in `also` with it."""
    post.version += 1
    post.updated_at = timezone.now()
    post.save(update_fields=[*also, "version", "updated_at"])


def post_edited(
    *,
    post: Post,
    actor: Actor,
    action: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    target: models.Model | None = None,
    also: Sequence[str] = (),
) -> None:
    """An edit of what the post sends out: a new version (saving the fields in `also`
    with it), the audit event `action` on `target` (the post unless given), and approval
    again when the post was in approval or approved.

    `after` may be a function, called once the version is bumped, when what it records
    depends on the new version."""
    post_version_bump(post, also=also)
    audit.record(
        organization=post.organization,
        actor=actor,
        action=action,
        target=target if target is not None else post,
        before=dict(before),
        after=dict(after() if callable(after) else after),
    )
    approval_reopen_if_needed(post=post, actor=actor, reason="edited")
