"""What approval tells people (always after the commit, by id), in Roost and on their
contact methods (e-mail by default): the approvers of a step when it is their turn or its
deadline nears, and the author on a rejection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.models import User
from roost.core.notifications import notify
from roost.publishing.approval_models import ApprovalDecision, ApprovalMode, ApprovalRequest
from roost.publishing.approvals.eligibility import current_step, step_approvers
from roost.publishing.locks import approval_requests_locked
from roost.publishing.models import Post

REMIND_AHEAD = dt.timedelta(hours=2)


def _tell(people: Sequence[User], post: Post, subject: str, body: str, url: str) -> None:
    # After the commit, so `notify` writes in a transaction of its own.
    notify(
        organization=post.organization,
        recipients=people,
        subject=subject,
        body=body,
        url=url,
        source=post,
    )


def _post_summary(post: Post) -> str:
    channels = ", ".join(
        f"{c.handle} ({c.network})"
        for c in (v.channel for v in post.variants.select_related("channel"))
    )
    when = f"{post.scheduled_at:%Y-%m-%d %H:%M} UTC" if post.scheduled_at else "not scheduled"
    return f"{post}\nChannels: {channels}\nGoes out: {when}\n\n{post.master_text}\n"


def email_step_approvers(*, request_id: int, reminder: bool = False) -> None:
    request = (
        ApprovalRequest.objects.select_related("post__organization").filter(pk=request_id).first()
    )
    if request is None:
        return
    step = current_step(request)
    if step is None:
        return
    post = request.post
    approvers = step_approvers(step=step, post=post)
    if reminder and step.mode == ApprovalMode.ALL:
        decided = set(
            ApprovalDecision.objects.filter(request=request, step=step).values_list(
                "approver_id", flat=True
            )
        )
        approvers = [user for user in approvers if user.pk not in decided]
    due = f"{request.due_at:%Y-%m-%d %H:%M} UTC" if request.due_at else "no deadline"
    subject = (
        "Reminder: approval due" if reminder else "Approval needed"
    ) + f" ({step.name}): {post}"
    body = (
        f"{post.author} asks for your approval ({step.name}, due {due}).\n\n"
        f"{_post_summary(post)}\n"
        "Approve or reject it in Roost under Publish → Approvals.\n"
    )
    _tell(approvers, post, subject, body, reverse("approvals:post", args=[post.pk]))


def email_author_rejected(*, request_id: int) -> None:
    request = (
        ApprovalRequest.objects.select_related("post__author", "post__organization")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return
    decision = (
        request.decisions.filter(decision=ApprovalDecision.Decision.REJECT)
        .select_related("approver", "step")
        .last()
    )
    if decision is None or not request.post.author.is_active:
        return
    body = (
        f"{decision.approver} rejected your post at the step {decision.step.name}:\n\n"
        f"{decision.comment}\n\n{_post_summary(request.post)}\n"
        "It is a draft again: change it and submit it once more.\n"
    )
    post = request.post
    _tell(
        [post.author],
        post,
        f"Changes requested: {post}",
        body,
        reverse("publishing:detail", args=[post.pk]),
    )


def approval_reminders_send(*, now: dt.datetime | None = None) -> int:
    """E-mail the approvers of every pending step due within two hours (or overdue), once
    per step. Safe to run twice: each request is locked and checked again. Meant for the
    periodic jobs, every few minutes."""
    moment = now or timezone.now()
    due = ApprovalRequest.objects.filter(
        status=ApprovalRequest.Status.PENDING,
        reminded_at__isnull=True,
        due_at__lte=moment + REMIND_AHEAD,
    ).order_by("pk")
    sent = 0
    for candidate in due.select_related("post__organization"):
        with transaction.atomic():
            still_due = approval_requests_locked(
                ApprovalRequest.objects.filter(
                    pk=candidate.pk,
                    status=ApprovalRequest.Status.PENDING,
                    reminded_at__isnull=True,
                )
            )
            if not still_due:
                continue
            request = still_due[0]
            request.reminded_at = moment
            request.save(update_fields=["reminded_at"])
            step = current_step(request)
            audit.record(
                organization=candidate.post.organization,
                actor=SYSTEM,
                action="publishing.approval.reminded",
                target=candidate.post,
                after={
                    "request": request.pk,
                    "step": step.name if step else "",
                    "due_at": request.due_at,
                },
            )
            transaction.on_commit(
                partial(email_step_approvers, request_id=request.pk, reminder=True)
            )
        sent += 1
    return sent
