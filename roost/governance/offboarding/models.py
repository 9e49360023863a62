"""An offboarding: a leaver, their successor, the steps done, and one line per thing
handed over, revoked or listed (the report). Rows are added and closed, never deleted:
they are the record of what was done."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import TenantModel, User


class Offboarding(TenantModel):
    leaver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    successor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The names of the steps done, in the order they were done (a retry skips them).
    steps_done = models.JSONField(default=list)
    # The channels whose credentials the leaver could use, read from their grants when
    # the offboarding started (the grants are removed by a later step).
    credential_channel_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["leaver"],
                condition=models.Q(finished_at__isnull=True),
                name="offboarding_one_running_per_leaver",
            )
        ]

    def __str__(self) -> str:
        return f"Offboarding of {self.leaver} to {self.successor}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class OffboardingItem(TenantModel):
    """One line of the report: what a step did to one thing, and what to review."""

    offboarding = models.ForeignKey(Offboarding, on_delete=models.CASCADE, related_name="items")
    step = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=30)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=400)
    detail = models.CharField(max_length=400, blank=True)
    review = models.CharField(max_length=400, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["offboarding", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.step}: {self.label}"


class CredentialRotationTask(TenantModel):
    """Rotate a channel's credentials: a leaver could use them. For the channel's owner."""

    offboarding = models.ForeignKey(
        Offboarding, on_delete=models.CASCADE, related_name="rotation_tasks"
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["offboarding", "channel"], name="rotation_task_once_per_channel"
            )
        ]
        indexes = [models.Index(fields=["owner", "done_at"])]

    def __str__(self) -> str:
        return f"Rotate the credentials of {self.channel}"
