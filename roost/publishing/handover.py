"""Handing a leaver's unpublished posts, and their place among approvers, to a successor.

What is still to happen moves: drafts, posts in approval, approved and scheduled posts
get the successor as their author (the one told when a send fails, the one who edits),
and an approval step that names the leaver names the successor instead. What happened
stays as it was: published posts, decisions, versions and comments keep the leaver.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from roost.core import audit
from roost.core.actors import Actor
from roost.core.handover import HandoverLine, handover_check
from roost.core.models import User
from roost.core.permissions import Action, can
from roost.publishing.approval_models import ApprovalStep
from roost.publishing.locks import posts_locked
from roost.publishing.models import Post, PostState

# Posts whose work is still ahead of them.
OPEN_STATES = (PostState.DRAFT, PostState.IN_APPROVAL, PostState.APPROVED, PostState.SCHEDULED)


def _open_posts(leaver: User) -> QuerySet[Post]:
    return Post.objects.filter(
        organization_id=leaver.organization_id, author=leaver, state__in=OPEN_STATES
    ).order_by("pk")


def _steps(leaver: User) -> QuerySet[ApprovalStep]:
    return (
        ApprovalStep.objects.filter(organization_id=leaver.organization_id, approver_users=leaver)
        .select_related("workflow")
        .order_by("pk")
    )


def _post_line(post: Post, detail: str, review: str = "") -> HandoverLine:
    state = PostState(post.state).label.lower()
    when = f", scheduled {post.scheduled_at:%Y-%m-%d %H:%M} UTC" if post.scheduled_at else ""
    return HandoverLine(
        kind="post",
        target_type=Post._meta.label_lower,
        target_id=post.pk,
        label=f"{post} ({state}{when})",
        detail=detail,
        url=reverse("publishing:detail", args=[post.pk]),
        review=review,
    )


def _step_line(step: ApprovalStep, detail: str) -> HandoverLine:
    return HandoverLine(
        kind="approval_step",
        target_type=ApprovalStep._meta.label_lower,
        target_id=step.pk,
        label=f"Approval step “{step.name}” of {step.workflow}",
        detail=detail,
    )


def _edit_review(post: Post, successor: User) -> str:
    groups = {variant.channel.channel_group for variant in post.variants.all()}
    if all(can(successor, Action.POST_EDIT, channel_group=group) for group in groups):
        return ""
    return "The successor may not edit posts on all of its channels: grant them or reassign it."


def publishing_held(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """The leaver's posts and approval steps that a handover to `successor` would move."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    posts = _open_posts(leaver).prefetch_related("variants__channel__channel_group")
    lines = [
        _post_line(post, f"Author becomes {successor}", _edit_review(post, successor))
        for post in posts
    ]
    lines += [_step_line(step, f"Approver becomes {successor}") for step in _steps(leaver)]
    return lines


def publishing_hand_over(*, actor: Actor, leaver: User, successor: User) -> list[HandoverLine]:
    """Move the leaver's unpublished posts and approval steps to the successor, audited
    one by one; answers what moved. Safe to repeat: what moved is no longer the leaver's."""
    handover_check(actor=actor, leaver=leaver, successor=successor)
    lines: list[HandoverLine] = []
    entries: list[audit.Entry] = []
    with transaction.atomic():
        posts = posts_locked(_open_posts(leaver))
        Post.objects.filter(pk__in=[post.pk for post in posts]).update(author=successor)
        for post in posts:
            post.author = successor
            entries.append(
                audit.Entry(
                    action="publishing.post.handed_over",
                    actor=actor,
                    target=post,
                    before={"author": leaver.email},
                    after={"author": successor.email},
                )
            )
        for post in Post.objects.filter(pk__in=[p.pk for p in posts]).prefetch_related(
            "variants__channel__channel_group"
        ):
            lines.append(
                _post_line(post, f"Author is now {successor}", _edit_review(post, successor))
            )
        for step in _steps(leaver):
            step.approver_users.remove(leaver)
            step.approver_users.add(successor)
            entries.append(
                audit.Entry(
                    action="publishing.approval_step.approver_replaced",
                    actor=actor,
                    target=step,
                    before={"approver": leaver.email},
                    after={"approver": successor.email},
                )
            )
            lines.append(_step_line(step, f"Approver is now {successor}"))
        audit.record_many(organization=leaver.organization, entries=entries)
    return lines
