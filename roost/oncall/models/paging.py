"""Paging: escalation policies and their steps, pages, who was told, and one-time links.

A page follows its policy step by step until someone acknowledges it. Each step tells
its people once: a `PageNotification` row per (page, cycle, step, person) is unique, so
a worker that dies mid-step and the one that takes over can never tell someone twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import Team, TenantModel, User

__all__ = [
    "EscalationPolicy",
    "EscalationStep",
    "Page",
    "PageLink",
    "PageNotification",
    "PageSourceCursor",
    "PageStatus",
    "PageUrgency",
    "StepTarget",
]


class EscalationPolicy(TenantModel):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    repeat_times = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times the steps are run if nobody acknowledges."
    )
    is_default = models.BooleanField(
        default=False, help_text="Pages raised by Roost itself (incidents, breaches) follow it."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="policy_unique_name"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_default=True),
                name="policy_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepTarget(models.TextChoices):
    SCHEDULE = "schedule", "Whoever is on call on a schedule"
    PERSON = "person", "A person"
    TEAM = "team", "A team"


class EscalationStep(TenantModel):
    """Tell the target, then wait `wait_minutes` for an acknowledgement before the next step."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=10, choices=StepTarget.choices)
    schedule = models.ForeignKey(
        "oncall.Schedule", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    wait_minutes = models.PositiveIntegerField(default=15)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="step_unique_position")
        ]

    def __str__(self) -> str:
        return f"step {self.position + 1} of {self.policy_id}"


class PageUrgency(models.TextChoices):
    URGENT = "urgent", "Urgent"
    NORMAL = "normal", "Normal"


class PageStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Page(TenantModel):
    """Someone must look at something now. `step_position` is the last step told in
    `cycle` (-1: none yet); `next_step_at` is when the next one is due (empty: nothing
    more to do, because someone acknowledged or the policy ran out)."""

    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    urgency = models.CharField(
        max_length=8, choices=PageUrgency.choices, default=PageUrgency.URGENT
    )
    status = models.CharField(
        max_length=14, choices=PageStatus.choices, default=PageStatus.TRIGGERED
    )
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="pages")
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    dedup_key = models.CharField(max_length=200, blank=True)
    incident = models.ForeignKey(
        "crisis.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(default=0)
    step_position = models.SmallIntegerField(default=-1)
    next_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="page_unique_number"),
            models.UniqueConstraint(
                fields=["organization", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="page_unique_dedup_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                condition=models.Q(status="triggered", next_step_at__isnull=False),
                name="page_due",
            ),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"


class PageNotification(TenantModel):
    """One person told about one page at one step of one cycle."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="notifications")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveSmallIntegerField()
    step_position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the step was due (lateness = created - due).")
    delivery_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "cycle", "step_position", "person"],
                name="page_notification_once",
            )
        ]

    def __str__(self) -> str:
        where = f"cycle {self.cycle}, step {self.step_position}"
        return f"page {self.page_id} → {self.person_id} ({where})"


class PageLink(TenantModel):
    """A one-time link in a notification: only the digest of its secret is kept."""

    class Purpose(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        RESOLVE = "resolve", "Resolve"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} link for page {self.page_id}"


class PageSourceCursor(models.Model):
    """How far a source of pages (SLA breaches, failed posts, revoked credentials) has
    been read, across all organisations."""

    source = models.CharField(max_length=40, unique=True)
    position = models.DateTimeField(null=True, blank=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.source
