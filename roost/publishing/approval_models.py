"""Approval workflows, the requests that run through them, and the versions they approve.

A workflow belongs to a channel group, or (group empty) is the organisation's default
for groups without their own. A request is one pass of one post version through the
steps of every workflow that applies to the post; `step_ids` freezes that plan when the
post is submitted, and `current_position` is an index into it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import ChannelGroup, Role, Team, TenantModel, User

__all__ = [
    "ApprovalDecision",
    "ApprovalMode",
    "ApprovalRequest",
    "ApprovalStep",
    "ApprovalWorkflow",
    "PostVersion",
]


class ApprovalWorkflow(TenantModel):
    name = models.CharField(max_length=120)
    channel_group = models.ForeignKey(
        ChannelGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_workflows",
        help_text="Empty: the organisation's default, for groups without a workflow of their own.",
    )
    deadline_hours = models.PositiveIntegerField(
        default=24, help_text="Hours each step has before its approvers are reminded."
    )
    reapprove_on_reschedule = models.BooleanField(
        default=False, help_text="Moving an approved post to another time needs approval again."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Archived: applies to no new submission; requests already under way keep its steps.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # One workflow in force per group: archived ones step aside.
            models.UniqueConstraint(
                fields=["organization", "channel_group"],
                condition=models.Q(archived_at__isnull=True),
                name="approval_workflow_one_per_group",
            ),
            # NULLs never collide in a unique index, so the default needs a rule of its own.
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(channel_group__isnull=True, archived_at__isnull=True),
                name="approval_workflow_one_default",
            ),
        ]

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def __str__(self) -> str:
        return self.name


class ApprovalMode(models.TextChoices):
    ANY = "any", "Any one approver"
    ALL = "all", "Every approver"


class ApprovalStep(TenantModel):
    workflow = models.ForeignKey(ApprovalWorkflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    mode = models.CharField(max_length=10, choices=ApprovalMode.choices, default=ApprovalMode.ANY)
    approver_users = models.ManyToManyField(User, blank=True, related_name="+")
    approver_role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    approver_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["workflow", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "position"], name="approval_step_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow} · {self.position}. {self.name}"


class ApprovalRequest(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    post = models.ForeignKey(
        "publishing.Post", on_delete=models.CASCADE, related_name="approval_requests"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    step_ids = models.JSONField(
        default=list,
        help_text="The steps this request runs through, in order, fixed at submission.",
    )
    current_position = models.PositiveIntegerField(
        default=0, help_text="Index into step_ids of the step awaiting a decision."
    )
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.post} v{self.version}: {self.get_status_display()}"


class ApprovalDecision(TenantModel):
    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    # Decisions are the approval history: a step that has them cannot be deleted.
    step = models.ForeignKey(ApprovalStep, on_delete=models.PROTECT, related_name="decisions")
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step", "approver"], name="approval_decision_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.get_decision_display().lower()} {self.request}"


class PostVersion(TenantModel):
    """What a post said at one version: master text, link, time, and each channel's text."""

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["post", "version"], name="post_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post} v{self.version}"
