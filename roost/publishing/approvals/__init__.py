"""Approval: submitting a post, deciding on it step by step, and asking again after edits.

Which workflow applies: each of the post's channel groups uses its own workflow, or the
organisation's default when it has none. When the channels span groups with different
workflows, the steps of every one of them apply in sequence, groups taken in name order.
When no workflow applies, submitting approves the post at once.

Who may decide a step: its named people, the members of its team, and whoever holds its
role on the groups the step's workflow covers for this post (a grant on the whole
organisation or on each such group). They must also be allowed to approve posts there,
be active, and not be the post's author. In `all` mode every named person and team
member must approve (for a step with only a role: every current holder of it); one
rejection by anyone who may decide rejects the whole request.

Every change checks the policy, writes the audit log in the same transaction, and sends
its e-mail after the commit.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from roost.channels.models import Channel
from roost.core import audit
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Organization, Role, Team, User
from roost.core.permissions import Action, can, channel_group_ids_allowed, require, roles_of
from roost.publishing.approval_models import (
    ApprovalDecision,
    ApprovalMode,
    ApprovalRequest,
    ApprovalStep,
    ApprovalWorkflow,
    PostVersion,
)
from roost.publishing.checks import post_require_no_blocking_problem
from roost.publishing.models import Post, PostMedia, PostState, Variant, VariantState

REMIND_AHEAD = dt.timedelta(hours=2)
VERSIONS_SHOWN = 10
# Variants that approval holds back; a variant already sending or sent is never touched.
HELD_FOR_APPROVAL = [
    VariantState.DRAFT,
    VariantState.APPROVED,
    VariantState.SCHEDULED,
    VariantState.PAUSED,
]
REOPEN_STATES = {PostState.IN_APPROVAL, PostState.APPROVED, PostState.SCHEDULED}

AUTHOR_CANNOT_APPROVE = "You wrote this post: someone else has to approve it."
NOT_AN_APPROVER = "You are not one of the approvers of this step."
NOT_AWAITING = "This post is not awaiting approval."
ALREADY_DECIDED = "You have already decided on this step."
VERSION_CHANGED = "The post has changed since you opened it: review the new version."
COMMENT_REQUIRED = "Say what needs to change."

Reason = Literal["edited", "rescheduled"]


# Which steps apply, and who decides them ------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One workflow applied to a post, with the post's groups it covers."""

    workflow: ApprovalWorkflow
    groups: tuple[ChannelGroup, ...]
    steps: tuple[ApprovalStep, ...] = field(default=())


def _by_name(groups: Iterable[ChannelGroup]) -> list[ChannelGroup]:
    unique = {group.pk: group for group in groups}
    return sorted(unique.values(), key=lambda group: (group.name, group.pk))


def post_groups(post: Post) -> list[ChannelGroup]:
    """The channel groups of the post's channels, by name."""
    return _by_name(ChannelGroup.objects.filter(channels__variants__post=post))


def _workflows(organization_id: int) -> dict[int | None, ApprovalWorkflow]:
    """The organisation's workflows by channel group id (None: the default)."""
    return {
        workflow.channel_group_id: workflow
        for workflow in ApprovalWorkflow.objects.filter(organization_id=organization_id)
    }


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


def post_stages(post: Post) -> list[Stage]:
    """The workflows that apply to the post, in the order their steps run."""
    covered = _covering(post_groups(post), _workflows(post.organization_id))
    steps: dict[int, list[ApprovalStep]] = {}
    for step in ApprovalStep.objects.filter(workflow_id__in=covered).order_by("position", "pk"):
        steps.setdefault(step.workflow_id, []).append(step)
    return [
        Stage(workflow, tuple(groups), tuple(steps.get(workflow.pk, [])))
        for workflow, groups in covered.values()
    ]


def _step_groups(
    step: ApprovalStep,
    groups: Sequence[ChannelGroup],
    workflows: dict[int | None, ApprovalWorkflow],
) -> list[ChannelGroup]:
    """The post's groups (given) that the step's workflow covers."""
    entry = _covering(groups, workflows).get(step.workflow_id)
    # The workflow no longer applies (a channel moved group): hold it to every group.
    return entry[1] if entry else list(groups)


def _groups_for(post: Post, step: ApprovalStep) -> list[ChannelGroup]:
    return _step_groups(step, post_groups(post), _workflows(post.organization_id))


def _holds(roles: set[Role], role: str) -> bool:
    return Role(role) in roles


def _role_holders(step: ApprovalStep, groups: Sequence[ChannelGroup]) -> list[User]:
    if not step.approver_role:
        return []
    candidates = User.objects.filter(
        organization_id=step.organization_id,
        is_active=True,
        memberships__role=step.approver_role,
    ).distinct()
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
    seen: dict[int, User] = {}
    for user in users:
        if (
            user.pk not in seen
            and user.pk != post.author_id
            and user.organization_id == post.organization_id
            and all(can(user, Action.POST_APPROVE, channel_group=g) for g in groups)
        ):
            seen[user.pk] = user
    return sorted(seen.values(), key=lambda u: (u.name, u.pk))


def step_approvers(*, step: ApprovalStep, post: Post) -> list[User]:
    """Everyone who may decide the step for this post."""
    groups = _groups_for(post, step)
    return _eligible([*_named(step), *_role_holders(step, groups)], post, groups)


def step_required_approvers(*, step: ApprovalStep, post: Post) -> list[User]:
    """Who must approve an `all` step: its named people and team, else every role holder."""
    groups = _groups_for(post, step)
    named = _named(step)
    return _eligible(named or _role_holders(step, groups), post, groups)


class _Decider:
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


def _may_decide(user: User, step: ApprovalStep, post: Post) -> bool:
    return _Decider(user).may_decide(step, post, _groups_for(post, step))


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


def _step_complete(request: ApprovalRequest, step: ApprovalStep, post: Post) -> bool:
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


def _due_at(post: Post, step: ApprovalStep, now: dt.datetime) -> dt.datetime:
    """The step's deadline, brought forward to the post's time when that comes first."""
    due = now + dt.timedelta(hours=step.workflow.deadline_hours)
    if post.scheduled_at is not None and post.scheduled_at < due:
        return post.scheduled_at
    return due


# Versions ---------------------------------------------------------------------------------


def post_snapshot(post: Post) -> dict[str, Any]:
    """Everything of the post that goes out, as the approver approves it: the texts and
    links, the time, and each attached item with the alt text and focal point its
    renditions are made from."""
    variants = Variant.objects.filter(post=post).select_related("channel")
    attached = PostMedia.objects.filter(post=post).select_related("asset").order_by("position")
    return {
        "master_text": post.master_text,
        "link": post.link,
        "first_comment": post.first_comment,
        "paid_partnership": post.paid_partnership,
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "variants": sorted(
            (
                {
                    "network": v.channel.network,
                    "channel": v.channel.handle,
                    "text": v.text,
                    "link": v.link,
                    "first_comment": v.first_comment,
                }
                for v in variants
            ),
            key=lambda item: (item["network"], item["channel"]),
        ),
        "media": [
            {
                "asset": item.asset_id,
                "name": str(item.asset),
                "kind": item.asset.kind,
                "alt_text": item.asset.alt_text,
                "focal": [item.asset.focal_x, item.asset.focal_y],
            }
            for item in attached
        ],
    }


def _media_lines(snapshot: dict[str, Any]) -> str:
    """The attached items, one line each, as the diff shows them."""
    return "\n".join(
        f"{n}. {item['kind']} “{item['name']}” (#{item['asset']}), alt text: "
        f"{item['alt_text'] or '(none)'}, focal point {item['focal'][0]:.2f}, "
        f"{item['focal'][1]:.2f}"
        for n, item in enumerate(snapshot.get("media", []), start=1)
    )


def _version_record(post: Post, actor: User | None) -> PostVersion:
    """The stored version for the post as it is now. A change that did not bump the
    version (a new time) gets the next number. Call with the post row locked."""
    snapshot = post_snapshot(post)
    existing = PostVersion.objects.filter(post=post, version=post.version).first()
    if existing is not None:
        if existing.snapshot == snapshot:
            return existing
        latest = PostVersion.objects.filter(post=post).order_by("-version").first()
        post.version = max(post.version, latest.version if latest else 0) + 1
        post.save(update_fields=["version"])
    return PostVersion.objects.create(
        organization_id=post.organization_id,
        post=post,
        version=post.version,
        snapshot=snapshot,
        created_by=actor,
    )


def _diff_lines(old: str, new: str, label: str, a: int, b: int) -> list[str]:
    return list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"version {a}: {label}",
            tofile=f"version {b}: {label}",
            lineterm="",
        )
    )


def version_diff(a: PostVersion, b: PostVersion) -> list[str]:
    """Unified diff lines from version a to version b: master text, link, first comment,
    paid partnership, time, the attached media, then each channel's text, link and first
    comment (a channel only in one version diffs against nothing)."""
    old, new = a.snapshot, b.snapshot
    lines: list[str] = []
    for key, label in (
        ("master_text", "master text"),
        ("link", "link"),
        ("first_comment", "first comment"),
        ("paid_partnership", "paid partnership"),
        ("scheduled_at", "time"),
    ):
        lines += _diff_lines(
            str(old.get(key) or ""), str(new.get(key) or ""), label, a.version, b.version
        )
    lines += _diff_lines(_media_lines(old), _media_lines(new), "media", a.version, b.version)

    def per_channel(snapshot: dict[str, Any], key: str) -> dict[str, str]:
        return {
            f"{item['network']} {item['channel']}": str(item.get(key) or "")
            for item in snapshot.get("variants", [])
        }

    for key, label in (("text", ""), ("link", " link"), ("first_comment", " first comment")):
        old_values, new_values = per_channel(old, key), per_channel(new, key)
        for channel in sorted(old_values.keys() | new_values.keys()):
            lines += _diff_lines(
                old_values.get(channel, ""),
                new_values.get(channel, ""),
                f"{channel}{label}",
                a.version,
                b.version,
            )
    return lines


# Locks and state -------------------------------------------------------------------------


def _lock_post(post: Post) -> Post:
    return Post.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=post.pk)


def _lock_request(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.select_for_update().get(pk=request.pk)


def _set_states(post: Post, state: PostState, *, variants_from: Sequence[str], to: str) -> None:
    post.state = state
    post.updated_at = timezone.now()
    post.save(update_fields=["state", "updated_at"])
    Variant.objects.filter(post=post, state__in=variants_from).update(state=to)


def _check_org(user: User, post: Post) -> None:
    if user.organization_id != post.organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Post not found.")


def _require_on_groups(user: User, action: Action, post: Post) -> None:
    for group in post_groups(post):
        require(user, action, channel_group=group)


# E-mail (after commit, by id) -----------------------------------------------------------


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


def _email_step_approvers(*, request_id: int, reminder: bool = False) -> None:
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


def _email_author_rejected(*, request_id: int) -> None:
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


# Services ----------------------------------------------------------------------------------


def _approve_now(post: Post, actor: User | None, version: PostVersion) -> None:
    from roost.publishing.services import post_after_approval

    _set_states(post, PostState.APPROVED, variants_from=HELD_FOR_APPROVAL, to=VariantState.APPROVED)
    audit.record(
        organization=post.organization,
        actor=actor,
        action="publishing.approval.not_required",
        target=post,
        after={"version": version.version, "state": post.state},
    )
    post_after_approval(post=post)


def _submit(post: Post, actor: User, reason: str = "") -> ApprovalRequest | None:
    """Snapshot the post and start a request for its version.

    Call in a transaction holding the post's row lock, after checking the actor may edit
    it and with no request of the post still open.
    """
    version = _version_record(post, actor)
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
        submitted_by=actor,
        due_at=_due_at(post, steps[0], now),
        created_at=now,
    )
    _set_states(
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
    transaction.on_commit(partial(_email_step_approvers, request_id=request.pk))
    return request


def post_submit(*, post: Post, actor: User) -> Post:
    """Send a draft for approval (or approve it at once when no workflow applies)."""
    _check_org(actor, post)
    with transaction.atomic():
        post = _lock_post(post)
        _require_on_groups(actor, Action.POST_EDIT, post)
        if post.state != PostState.DRAFT or open_request(post) is not None:
            raise ApplicationError(
                ErrorCode.CONFLICT, "Only a draft can be submitted for approval."
            )
        post_require_no_blocking_problem(post)
        _submit(post, actor)
    return post


def _decision_target(
    post: Post, approver: User, version: int | None
) -> tuple[Post, ApprovalRequest, ApprovalStep]:
    """Lock the post and its open request, and check the approver may decide its step."""
    post = _lock_post(post)
    found = open_request(post)
    if found is None:
        raise ApplicationError(ErrorCode.CONFLICT, NOT_AWAITING)
    request = _lock_request(found)
    step = current_step(request)
    if step is None:
        raise ApplicationError(
            ErrorCode.CONFLICT, "This step no longer exists: submit the post again."
        )
    for group in _groups_for(post, step):
        require(approver, Action.POST_APPROVE, channel_group=group)
    if approver.pk == post.author_id:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, AUTHOR_CANNOT_APPROVE)
    if not _may_decide(approver, step, post):
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
    from roost.publishing.services import post_after_approval

    _check_org(approver, post)
    with transaction.atomic():
        post, request, step = _decision_target(post, approver, version)
        _decide(request, step, approver, ApprovalDecision.Decision.APPROVE, comment.strip())
        complete = _step_complete(request, step, post)
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
            request.due_at = _due_at(post, upcoming, now) if upcoming else None
            request.reminded_at = None
            request.save(update_fields=["current_position", "due_at", "reminded_at"])
            transaction.on_commit(partial(_email_step_approvers, request_id=request.pk))
            return post
        request.status = ApprovalRequest.Status.APPROVED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        _set_states(
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
    _check_org(approver, post)
    comment = comment.strip()
    with transaction.atomic():
        post, request, step = _decision_target(post, approver, version)
        if not comment:
            raise ApplicationError(ErrorCode.INVALID, COMMENT_REQUIRED, field="comment")
        _decide(request, step, approver, ApprovalDecision.Decision.REJECT, comment)
        request.status = ApprovalRequest.Status.REJECTED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        _set_states(
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
        transaction.on_commit(partial(_email_author_rejected, request_id=request.pk))
    return post


def approval_reopen_if_needed(*, post: Post, actor: User, reason: Reason) -> None:
    """After an edit or a new time: a post in approval or approved goes through approval
    again, for its new version. A new time only counts where a workflow says so.

    Call inside the transaction of the change, holding the post's row lock, after
    checking the actor may edit the post (and after bumping `post.version` on an edit).
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
            request = _lock_request(found)
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
        _submit(post, actor, reason)


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
            request = (
                ApprovalRequest.objects.select_for_update()
                .filter(
                    pk=candidate.pk,
                    status=ApprovalRequest.Status.PENDING,
                    reminded_at__isnull=True,
                )
                .first()
            )
            if request is None:
                continue
            request.reminded_at = moment
            request.save(update_fields=["reminded_at"])
            step = current_step(request)
            audit.record(
                organization=candidate.post.organization,
                actor=None,
                action="publishing.approval.reminded",
                target=candidate.post,
                after={
                    "request": request.pk,
                    "step": step.name if step else "",
                    "due_at": request.due_at,
                },
            )
            transaction.on_commit(
                partial(_email_step_approvers, request_id=request.pk, reminder=True)
            )
        sent += 1
    return sent


# Workflows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One step for `workflow_create`."""

    name: str
    mode: str = ApprovalMode.ANY
    approver_users: Sequence[User] = ()
    approver_role: str = ""
    approver_team: Team | None = None


def _require_manage(actor: User, organization_id: int, group: ChannelGroup | None) -> None:
    if actor.organization_id != organization_id:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Organisation not found.")
    require(actor, Action.WORKFLOW_MANAGE, channel_group=group)


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
    _require_manage(actor, organization.pk, channel_group)
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A workflow needs a name.", field="name")
    if deadline_hours < 1:
        raise ApplicationError(
            ErrorCode.INVALID, "The deadline is at least one hour.", field="deadline_hours"
        )
    where = channel_group.name if channel_group else "The organisation's default"
    taken = ApplicationError(
        ErrorCode.CONFLICT, f"{where} already has a workflow.", field="channel_group"
    )
    if ApprovalWorkflow.objects.filter(
        organization=organization, channel_group=channel_group
    ).exists():
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
    _require_manage(actor, workflow.organization_id, workflow.channel_group)
    name = name.strip()
    if not name:
        raise ApplicationError(ErrorCode.INVALID, "A step needs a name.", field="name")
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
    with transaction.atomic():
        ApprovalWorkflow.objects.select_for_update().filter(pk=workflow.pk).first()
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


# Selectors --------------------------------------------------------------------------------


def approval_post_get(*, viewer: User, post_id: int) -> Post:
    """A post of the viewer's organisation that the viewer may see on all its groups."""
    post = (
        Post.objects.filter(organization_id=viewer.organization_id, pk=post_id)
        .select_related("author", "campaign")
        .first()
    )
    if post is None:
        raise ApplicationError(ErrorCode.NOT_FOUND, "Post not found.")
    _require_on_groups(viewer, Action.POST_VIEW, post)
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
    workflows = _workflows(viewer.organization_id)
    decided = set(
        ApprovalDecision.objects.filter(
            approver=viewer, request__in=requests, step_id__in=current_ids
        ).values_list("request_id", "step_id")
    )
    decider = _Decider(viewer)
    queue: list[tuple[ApprovalRequest, ApprovalStep]] = []
    for request in requests:
        if request.current_position >= len(request.step_ids):
            continue
        step = steps.get(request.step_ids[request.current_position])
        if step is None or (request.pk, step.pk) in decided:
            continue
        groups = _by_name(v.channel.channel_group for v in request.post.variants.all())
        if decider.may_decide(step, request.post, _step_groups(step, groups, workflows)):
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
    _check_org(viewer, post)
    _require_on_groups(viewer, Action.POST_VIEW, post)
    return PostVersion.objects.filter(post=post).select_related("created_by").order_by("-version")


def approval_requests(*, viewer: User, post: Post) -> QuerySet[ApprovalRequest]:
    """The post's approval requests, newest first."""
    _check_org(viewer, post)
    _require_on_groups(viewer, Action.POST_VIEW, post)
    return ApprovalRequest.objects.filter(post=post).order_by("-created_at", "-pk")


def may_decide(*, viewer: User, post: Post) -> bool:
    """Whether the viewer may approve or reject the post's current step now."""
    request = open_request(post)
    if request is None or viewer.organization_id != post.organization_id:
        return False
    step = current_step(request)
    if step is None or not _may_decide(viewer, step, post):
        return False
    return not ApprovalDecision.objects.filter(request=request, step=step, approver=viewer).exists()


def may_submit(*, viewer: User, post: Post) -> bool:
    return (
        viewer.organization_id == post.organization_id
        and post.state == PostState.DRAFT
        and all(can(viewer, Action.POST_EDIT, channel_group=g) for g in post_groups(post))
    )


# The approval panel -----------------------------------------------------------------------


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
    if latest is not None:
        decisions = list(latest.decisions.select_related("approver"))
        for index, step in enumerate(request_steps(latest)):
            state = _step_state(latest, index)
            steps.append(
                {
                    "position": index + 1,
                    "step": step,
                    "state": state,
                    "decisions": [d for d in decisions if step and d.step_id == step.pk],
                    "approvers": step_approvers(step=step, post=post)
                    if step and state in ("current", "waiting")
                    else [],
                }
            )
    else:
        position = 0
        for stage in post_stages(post):
            for step in stage.steps:
                position += 1
                steps.append(
                    {
                        "position": position,
                        "step": step,
                        "state": "waiting",
                        "decisions": [],
                        "approvers": step_approvers(step=step, post=post),
                    }
                )
    versions = list(post_versions(viewer=viewer, post=post)[:VERSIONS_SHOWN])
    return {
        "request": latest,
        "steps": steps,
        "can_decide": may_decide(viewer=viewer, post=post),
        "can_submit": may_submit(viewer=viewer, post=post),
        "versions": versions,
        "diff": version_diff(versions[1], versions[0]) if len(versions) > 1 else [],
        "error": "",
    }
