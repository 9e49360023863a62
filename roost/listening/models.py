"""Monitors, what they matched, the alerts the detector raised, and where each source
stopped reading."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import Brand, TenantModel, User
from roost.crisis.models import Incident

MAX_QUERY = 2000


class Sensitivity(models.TextChoices):
    LOW = "low", "Low: only large rises"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High: early warning, more false alarms"


class Monitor(TenantModel):
    """A saved query of one brand, run over the organisation's inbox, its news feeds and
    (when `public_stream`) the public Bluesky stream."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    query = models.TextField(max_length=MAX_QUERY)
    sensitivity = models.CharField(
        max_length=10, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    public_stream = models.BooleanField(
        default=True, help_text="Also read the public Bluesky stream, not only your own channels."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brand__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "brand", "name"], name="monitor_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MatchSource(models.TextChoices):
    INBOX = "inbox", "Inbox"
    BLUESKY = "bluesky", "Bluesky (public)"
    FEED = "feed", "News feed"


class Match(TenantModel):
    """One post, message or article a monitor matched. Unique per monitor, source and the
    source's own id, so reading a source twice stores nothing twice."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="matches")
    source = models.CharField(max_length=10, choices=MatchSource.choices)
    external_id = models.CharField(max_length=400)
    url = models.CharField(max_length=800, blank=True)
    text = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField()
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["monitor", "source", "external_id"], name="match_unique_per_source"
            )
        ]
        indexes = [models.Index(fields=["monitor", "at"], name="match_monitor_at")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.source}:{self.external_id}"


class AlertSignal(models.TextChoices):
    VOLUME = "volume", "Volume"
    NEGATIVE = "negative_share", "Share of negative posts"


class Alert(TenantModel):
    """The detector's finding that a monitor's volume or negative share rose."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="alerts")
    signal = models.CharField(max_length=20, choices=AlertSignal.choices)
    raised_at = models.DateTimeField(default=timezone.now)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    observed = models.FloatField()
    expected = models.FloatField()
    factor = models.FloatField(help_text="Observed over expected (expected taken as at least 1).")
    negative_share = models.FloatField(default=0.0)
    baseline_negative_share = models.FloatField(default=0.0)
    summary = models.CharField(max_length=400)
    top_terms = models.JSONField(default=list)
    examples = models.ManyToManyField(Match, related_name="+", blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["monitor", "raised_at"], name="alert_monitor_raised")]

    def __str__(self) -> str:
        return self.summary


class Feed(TenantModel):
    """An RSS or Atom feed the organisation reads for news, polled with conditional
    requests (ETag, Last-Modified)."""

    url = models.URLField(max_length=600)
    title = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    etag = models.CharField(max_length=200, blank=True)
    modified = models.CharField(max_length=100, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "url"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "url"], name="feed_unique_url")
        ]

    def __str__(self) -> str:
        return self.title or self.url


class SourceCursor(models.Model):
    """Where a shared source stopped: the public stream's sequence number, or the last
    inbox message read. Advanced in the transaction that stores what it covers."""

    name = models.CharField(max_length=200, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"
