"""A review campaign and its items: one item per grant in scope, snapshotted when the
campaign starts, so the report still says what was reviewed after grants change."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import ChannelGroup, Membership, Role, TenantModel, User


class CampaignStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Campaign(TenantModel):
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    due_at = models.DateTimeField()
    # The scope as chosen: every channel group (then `channel_groups` lists those that
    # existed at the start), or the groups listed; organisation-wide grants on top.
    all_channel_groups = models.BooleanField(default=False)
    channel_groups = models.ManyToManyField(ChannelGroup, related_name="+", blank=True)
    include_organization_wide = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN


class Decision(models.TextChoices):
    PENDING = "pending", "Awaiting decision"
    KEEP = "keep", "Keep"
    REVOKE = "revoke", "Revoke"
    # The grant was removed by other means while the campaign ran.
    GONE = "gone", "Grant already removed"


class ReviewItem(TenantModel):
    """One grant under review. The person, role and scope are copied from the grant at
    the start; `membership` is emptied when the grant is removed, whoever removes it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32)
    channel_group = models.ForeignKey(
        ChannelGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope_label = models.CharField(max_length=120)
    granted_at = models.DateTimeField()
    # Who may attest it: the group's managers, else the organisation's managers, else its
    # admins, never the person themselves. Empty: nobody else could (see the campaign page).
    reviewers = models.ManyToManyField(User, related_name="+", blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    comment = models.CharField(max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scope_label", "person__name", "role", "pk"]
        indexes = [models.Index(fields=["campaign", "decision"], name="review_item_progress")]

    def __str__(self) -> str:
        return f"{self.person} · {self.role_label} · {self.scope_label}"

    @property
    def role_label(self) -> str:
        try:
            return str(Role(self.role).label)
        except ValueError:
            return self.role

    @property
    def is_pending(self) -> bool:
        return self.decision == Decision.PENDING


class ReviewerNotice(TenantModel):
    """A reviewer was told about their pending items on this day (their own calendar day):
    the unique row keeps it to one a day, however many workers run the reminders."""

    reviewer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    pending = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "day"], name="review_notice_once_a_day")
        ]
