"""Incidents, their timelines, crisis mode and the playbooks it opens."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import Brand, TenantModel, User
from roost.inbox.models import Conversation
from roost.publishing.models import Pause, Variant


class Severity(models.TextChoices):
    # SEV1 is the worst, as in most incident tools.
    SEV1 = "sev1", "SEV1 · critical"
    SEV2 = "sev2", "SEV2 · high"
    SEV3 = "sev3", "SEV3 · medium"
    SEV4 = "sev4", "SEV4 · low"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Opened by hand"
    ALERT = "alert", "Opened from an alert"


class Incident(TenantModel):
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    source = models.CharField(
        max_length=10, choices=IncidentSource.choices, default=IncidentSource.MANUAL
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_resolved(self) -> bool:
        return self.status == IncidentStatus.RESOLVED


class TimelineKind(models.TextChoices):
    OPENED = "opened", "Opened"
    NOTE = "note", "Note"
    STATUS = "status", "Status"
    SEVERITY = "severity", "Severity"
    OWNER = "owner", "Owner"
    ALERT = "alert", "Alert"
    PAUSE = "pause", "Publishing paused"
    RESUME = "resume", "Publishing resumed"
    CRISIS = "crisis", "Crisis mode"
    POST = "post", "Post published"
    REPLY = "reply", "Reply sent"
    LINK = "link", "Linked"
    STATEMENT = "statement", "Holding statement"


class TimelineEntry(TenantModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=TimelineKind.choices)
    text = models.TextField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    url = models.CharField(max_length=600, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class IncidentConversation(TenantModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "conversation"], name="incident_conversation_unique"
            )
        ]


class Playbook(TenantModel):
    """What to do in one kind of crisis: the steps, who does what, and statements
    approved in advance, with a fast approval path for anything new."""

    scenario = models.SlugField(max_length=60, help_text="For example product-safety.")
    title = models.CharField(max_length=200)
    brand = models.ForeignKey(
        Brand,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Empty: for every brand.",
    )
    summary = models.TextField(blank=True)
    approval_minutes = models.PositiveIntegerField(
        default=30, help_text="Minutes a new statement's approvers have to decide."
    )
    approval_role = models.CharField(
        max_length=32,
        default="manager",
        help_text="Who approves a new statement on the fast path (a role).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scenario", "brand"], name="playbook_unique_scenario"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PlaybookStep(TenantModel):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    role = models.CharField(max_length=80, blank=True, help_text="Who does it.")
    minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Within minutes.")

    class Meta:
        ordering = ["playbook", "position"]


class StatementStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    PENDING = "pending", "Waiting for approval"
    REJECTED = "rejected", "Rejected"


class HoldingStatement(TenantModel):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="statements")
    network = models.CharField(max_length=40, blank=True, help_text="Empty: any network.")
    language = models.CharField(max_length=8, default="en")
    text = models.TextField()
    status = models.CharField(
        max_length=10, choices=StatementStatus.choices, default=StatementStatus.APPROVED
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="statements"
    )
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["language", "network", "pk"]


class CrisisMode(TenantModel):
    """Crisis mode for the organisation, a brand or chosen channels: publishing held
    back by `pause`, the banner, the playbook. At most one is on per organisation."""

    class Scope(models.TextChoices):
        ORGANIZATION = "organization", "Whole organisation"
        BRAND = "brand", "Brand"
        CHANNELS = "channels", "Chosen channels"

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="crisis_modes"
    )
    scope = models.CharField(max_length=20, choices=Scope.choices)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT)
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    pause = models.ForeignKey(Pause, null=True, on_delete=models.PROTECT, related_name="+")
    playbook = models.ForeignKey(Playbook, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=500)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    # Ending has two steps: the banner goes (ended), then every held post is decided
    # and publishing resumes (reviewed).
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(ended_at__isnull=True),
                name="crisis_mode_one_on",
            )
        ]

    def __str__(self) -> str:
        return f"Crisis mode: {self.reason}"

    @property
    def is_on(self) -> bool:
        return self.ended_at is None


class HeldPost(TenantModel):
    """A post copy crisis mode held back, and what a person decided for it."""

    class Decision(models.TextChoices):
        UNDECIDED = "", "Not decided"
        PUBLISH_NOW = "publish_now", "Publish now"
        RESCHEDULE = "reschedule", "Reschedule"
        DISCARD = "discard", "Discard"

    crisis = models.ForeignKey(CrisisMode, on_delete=models.CASCADE, related_name="held")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    scheduled_at = models.DateTimeField(null=True, blank=True, help_text="Its time when held.")
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    reschedule_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["crisis", "variant"], name="held_post_unique")
        ]
