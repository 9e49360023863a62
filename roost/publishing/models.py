"""Posts, their per-channel variants, campaigns, attempts and pauses."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import Brand, ChannelGroup, TenantModel, User
from roost.media.models import MediaAsset


class Campaign(TenantModel):
    """Posts that go out together, at one instant, on all their channels."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        HELD = "held", "Held"
        RELEASED = "released", "Released"

    name = models.CharField(max_length=200)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    release_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    utm_campaign = models.CharField(max_length=100, blank=True)
    preflight_minutes = models.PositiveIntegerField(default=30)
    preflight_checked_at = models.DateTimeField(null=True, blank=True)
    preflight_problems = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-release_at", "name"]

    def __str__(self) -> str:
        return self.name


class PostState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_APPROVAL = "in_approval", "In approval"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    PARTLY_FAILED = "partly_failed", "Needs attention"


class Post(TenantModel):
    """What the author writes once; each target channel gets its own variant."""

    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(
        max_length=200, blank=True, help_text="Internal name, never published."
    )
    master_text = models.TextField(blank=True)
    link = models.URLField(max_length=2000, blank=True)
    first_comment = models.TextField(blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    paid_partnership = models.BooleanField(default=False)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=PostState.choices, default=PostState.DRAFT)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_at", "-pk"]
        indexes = [models.Index(fields=["organization", "scheduled_at"])]

    def __str__(self) -> str:
        return self.title or self.master_text[:60] or f"Post {self.pk}"


class PostMedia(TenantModel):
    """A library item attached to a post, in order. Each channel gets its own rendition."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media_items")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="post_media_once")]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.asset_id} #{self.position}"


class VariantState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_APPROVAL = "in_approval", "In approval"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"


class Variant(TenantModel):
    """One post tailored for one channel: the unit that is scheduled and sent, exactly once."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="variants")
    text = models.TextField(blank=True)
    link = models.URLField(max_length=2000, blank=True)
    first_comment = models.TextField(blank=True)
    text_edited = models.BooleanField(
        default=False, help_text="Edited by hand: a change to the master text leaves it alone."
    )
    state = models.CharField(
        max_length=20, choices=VariantState.choices, default=VariantState.DRAFT
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The `WorkerLease` of the process holding the claim: once it lapses, the claim
    # is a dead worker's and goes back to the schedule (see roost.publishing.dispatch).
    claim_lease = models.PositiveBigIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=600, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="variant_one_per_channel")
        ]
        indexes = [models.Index(fields=["state", "scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.post} → {self.channel}"


class Attempt(TenantModel):
    """One call to the network for a variant, opened right before the call.

    An attempt without an outcome is in flight, or its answer never came (the worker
    died mid-call, the call timed out or lost its connection): the network may have
    the post, so it is looked up before anything is sent again.
    """

    class Outcome(models.TextChoices):
        PUBLISHED = "published", "Published"
        RECONCILED = "reconciled", "Found already published"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused"
        UNCONFIRMED = "unconfirmed", "Outcome unknown"

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="attempt_log")
    worker = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.variant_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}: {self.outcome or 'open'}"


class WorkerLease(models.Model):
    """A running publishing worker, alive while it renews `renewed_at` every second or so.

    Claims carry the lease's id; a claim whose lease has lapsed belonged to a dead (or
    frozen) worker and is recovered within seconds, through reconciliation.
    """

    name = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    renewed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.name} (renewed {self.renewed_at:%H:%M:%S})"


class Pause(TenantModel):
    """Publishing held back for the whole organisation, a brand, or chosen channels."""

    class Scope(models.TextChoices):
        ORGANIZATION = "organization", "Whole organisation"
        BRAND = "brand", "Brand"
        CHANNELS = "channels", "Chosen channels"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT)
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    reason = models.CharField(max_length=500)
    started_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.reason}"


class ComplianceRule(TenantModel):
    class Kind(models.TextChoices):
        BANNED_TERM = "banned_term", "Banned term"
        DISCLOSURE = "disclosure", "Required disclosure on paid or partnership posts"
        LINK_DOMAIN = "link_domain", "Allowed link domains"

    class Severity(models.TextChoices):
        BLOCK = "block", "Block"
        WARN = "warn", "Warn"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(
        max_length=500, help_text="The term, the disclosure (e.g. #ad), or comma-separated domains."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.BLOCK)
    channel_group = models.ForeignKey(ChannelGroup, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


from roost.publishing.approval_models import *  # noqa: E402,F403
