"""What approval tells people by e-mail (always after the commit, by id): the approvers
of a step when it is their turn or its deadline nears, and the author on a rejection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.publishing.approval_models import ApprovalDecision, ApprovalMode, ApprovalRequest
from roost.publishing.approvals.eligibility import current_step, step_approvers
from roost.publishing.locks import approval_requests_locked
from roost.publishing.models import Post

REMIND_AHEAD = dt.timedelta(hours=2)


def _mail(recipients: Iterable[str], subject: str, body: str) -> None:
    to = sorted({address for address in recipients if address})
    if to:
        send_mail(
            subject=f"[Roost] {subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=to,
        )


def _post_summary(post: Post) -> str:
    channels = ", ".join(
        f"{c.handle} ({c.network})"
        for c in (v.channel for v in post.variants.select_related("channel"))
    )
    when = f"{post.scheduled_at:%Y-%m-%d %H:%M} UTC" if post.scheduled_at else "not scheduled"
    return f"{post}\nChannels: {channels}\nGoes out: {when}\n\n{post.master_text}\n"


def email_step_approvers(*, request_id: int, reminder: bool = False) -> None:
    request = ApprovalRequest.objects.select_related("post").filter(pk=request_id).first()
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
    subject = ("Reminder: approval due" if reminder else "Approval needed") + f": {post}"
    body = (
        f"{post.author} asks for your approval ({step.name}, due {due}).\n\n"
        f"{_post_summary(post)}\n"
        "Approve or reject it in Roost under Publish → Approvals.\n"
    )
    _mail((user.email for user in approvers), subject, body)


def email_author_rejected(*, request_id: int) -> None:
    request = ApprovalRequest.objects.select_related("post__author").filter(pk=request_id).first()
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
    _mail([request.post.author.email], f"Changes requested: {request.post}", body)


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
