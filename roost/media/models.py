"""Media assets (an uploaded image or video) and their renditions (one per placement size)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from roost.core.models import TenantModel, User


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


class RenditionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class MediaAsset(TenantModel):
    """An original as uploaded. Written by `roost.media.services` only."""

    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    original = models.FileField(max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    preview = models.FileField(
        max_length=255, blank=True, help_text="A small JPEG for the library grid."
    )
    mime_type = models.CharField(max_length=100)
    bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(help_text="As displayed, after any rotation.")
    height = models.PositiveIntegerField()
    duration_s = models.FloatField(null=True, blank=True, help_text="Videos only.")
    alt_text = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="Lower-case strings.")
    tag_index = models.TextField(
        blank=True, help_text="The tags as '|a|b|', so every database can filter by one."
    )
    focal_x = models.FloatField(default=0.5, help_text="0 is the left edge, 1 the right.")
    focal_y = models.FloatField(default=0.5, help_text="0 is the top edge, 1 the bottom.")
    rendition_version = models.PositiveIntegerField(
        default=1, help_text="Raised when the renditions must be made again (focal point)."
    )
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "kind"]),
            models.Index(fields=["organization", "sha256"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="media_asset_focal_in_frame",
            )
        ]

    def __str__(self) -> str:
        return self.original_name or f"{self.get_kind_display()} {self.pk}"


class Rendition(TenantModel):
    """One placement size of an asset, made by the background task."""

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="renditions")
    network = models.CharField(max_length=40)
    placement = models.CharField(max_length=40)
    label = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.FileField(max_length=255, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=RenditionStatus.choices, default=RenditionStatus.PENDING
    )
    error = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(
        default=0, help_text="The asset's rendition_version the file was made for."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "placement", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "network", "placement", "label"],
                name="rendition_unique_target",
            )
        ]

    def __str__(self) -> str:
        label = f" {self.label}" if self.label else ""
        return f"{self.network} {self.placement}{label} {self.width}×{self.height}"
