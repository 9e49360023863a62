"""Schedules: layers of rotations, their members, overrides, swaps and time off.

Every instant is stored in UTC; a layer's handoff time and daily window are wall-clock
times in the layer's own zone (the schedule's when the layer names none), so handoffs
stay at the same local hour across daylight-saving changes.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import TIME_ZONE_CHOICES, TenantModel, User

__all__ = [
    "CoverageGapNotice",
    "Layer",
    "LayerMember",
    "Override",
    "Schedule",
    "ShiftKind",
    "TimeOff",
]


class Schedule(TenantModel):
    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The schedule's calendar feed: only the SHA-256 digest of its secret token is kept.
    feed_digest = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="schedule_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ShiftKind(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    CUSTOM = "custom", "Custom length"


class Layer(TenantModel):
    """One rotation of a schedule. Layers add up: whoever any layer puts on call is on call."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    time_zone = models.CharField(
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        blank=True,
        help_text="Empty: the schedule's time zone.",
    )
    rotation_start = models.DateTimeField()
    shift = models.CharField(max_length=8, choices=ShiftKind.choices, default=ShiftKind.WEEKLY)
    shift_hours = models.PositiveIntegerField(
        default=24, help_text="Length of a shift in hours, for a custom rotation."
    )
    handoff_time = models.TimeField(help_text="Wall-clock time of the handoff, in its zone.")
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    window_days = models.CharField(
        max_length=7, default="0123456", help_text="Weekdays of the window: 0 is Monday."
    )

    class Meta:
        ordering = ["schedule", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone_name(self) -> str:
        return self.time_zone or self.schedule.time_zone


class LayerMember(TenantModel):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["layer", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.layer_id}"


class Override(TenantModel):
    """`person` is on call from `start` to `end` instead of `replaces` (instead of everyone
    when empty). The two halves of a swap share a `swap_group`."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    replaces = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    swap_group = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["schedule", "end"])]

    def __str__(self) -> str:
        return f"override {self.pk} of {self.schedule_id}"


class TimeOff(TenantModel):
    """The person is out of every rotation from `start` to `end`."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["person", "end"])]

    def __str__(self) -> str:
        return f"time off {self.pk} of {self.person_id}"


class CoverageGapNotice(TenantModel):
    """The schedule's owner was told about a gap (nobody on call) from `start` to `end`;
    a gap that overlaps one already told about is not told again."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "start"], name="gap_notice_once")
        ]

    def __str__(self) -> str:
        return f"gap notice {self.pk} of {self.schedule_id}"
