"""Metric facts as read from the networks, their daily rollups, and what the
organisation chose to measure and report.

A post's figures are read many times (often in its first hours, then less and less).
Each reading is stored as a *fact*: how much each figure grew since the previous
reading, stamped with the time it was read. Facts add up: a post's totals are the sum
of its facts, and a channel's day (`ChannelDay`) is the sum of the facts read that day
(UTC), kept up to date as facts are written so that a dashboard over a year of hundreds
of channels reads a few thousand rollup rows, not millions of facts.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import TenantModel, User
from roost.publishing.models import Campaign, Variant

# The figures of a post, in this order everywhere (facts, totals, rollups, CSV columns).
POST_FIGURES = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)


class PostFigures(models.Model):
    impressions = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    comments = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    saves = models.BigIntegerField(default=0)
    link_clicks = models.BigIntegerField(default=0)
    video_views = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class PostMetricFact(TenantModel, PostFigures):
    """How much one published post's figures grew since its previous reading (the first
    reading: since it was published). Figures may fall (a like withdrawn): facts may
    be negative, and still add up to the network's totals."""

    # Indexed by the (variant, read_at) index below.
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    read_at = models.DateTimeField()
    day = models.DateField(help_text="The UTC day of read_at: the rollup it was added to.")

    class Meta:
        indexes = [
            models.Index(fields=["variant", "read_at"]),
            models.Index(fields=["channel", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} at {self.read_at:%Y-%m-%d %H:%M}"


class PostMetricTotal(TenantModel, PostFigures):
    """A published post's figures at its latest reading: the sum of its facts."""

    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    # Which figures the network gave at all (names from POST_FIGURES): a zero the network
    # never reported is not a zero the post earned.
    offered = models.JSONField(default=list, blank=True)
    first_read_at = models.DateTimeField()
    read_at = models.DateTimeField()
    readings = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "published_at"]),
            models.Index(fields=["channel", "published_at"]),
            models.Index(fields=["campaign", "published_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} as read at {self.read_at:%Y-%m-%d %H:%M}"


class ChannelMetricFact(TenantModel):
    """One reading of a channel's own figures: its followers then, and the profile views
    since the previous reading."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    read_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True, blank=True)
    profile_views = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["channel", "read_at"])]


class ChannelDay(TenantModel, PostFigures):
    """One channel's UTC day: the sum of the post facts read that day, the posts
    published that day, and its followers at the day's last reading."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    network = models.CharField(max_length=40)
    posts_published = models.PositiveIntegerField(default=0)
    followers = models.BigIntegerField(null=True, blank=True)
    follower_growth = models.BigIntegerField(default=0)
    profile_views = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="channel_day_unique")
        ]
        indexes = [models.Index(fields=["organization", "day"])]

    def __str__(self) -> str:
        return f"{self.channel_id} on {self.day}"


class EngagementBasis(models.TextChoices):
    IMPRESSIONS = "impressions", "Engagements per impression"
    REACH = "reach", "Engagements per person reached"
    FOLLOWERS = "followers", "Engagements per follower"


class AnalyticsSettings(TenantModel):
    """The definitions the organisation measures by (shown next to each chart)."""

    engagement_basis = models.CharField(
        max_length=20, choices=EngagementBasis.choices, default=EngagementBasis.IMPRESSIONS
    )
    # Business hours for first-response time and SLA attainment: weekday (0 is Monday)
    # to spans, as the inbox's SLA policies write them; empty is 24/7.
    time_zone = models.CharField(max_length=64, default="UTC")
    business_hours = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="analytics_settings_one")
        ]


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (Monday, for the week before)"
    MONTHLY = "monthly", "Monthly (the 1st, for the month before)"


class ScheduledReport(TenantModel):
    """A dashboard sent as a PDF to a list of addresses on a schedule."""

    name = models.CharField(max_length=120)
    dashboard = models.CharField(max_length=40, help_text="A dashboard kind, e.g. 'overview'.")
    # The dashboard's filters (channel, network, campaign ids) as its page takes them.
    filters = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(max_length=10, choices=ReportFrequency.choices)
    recipients = models.JSONField(default=list, help_text="E-mail addresses.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The period last sent, e.g. "2026-W48" or "2026-11": never sent twice.
    last_period = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.name


class Competitor(TenantModel):
    """A public account on another organisation's behalf, tracked daily."""

    network = models.CharField(max_length=40)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    # The organisation's channel whose connection reads the public figures.
    via_channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "handle"], name="competitor_unique_handle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.network})"


class CompetitorDay(TenantModel):
    """A competitor's public figures as read on one UTC day."""

    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    read_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True, blank=True)
    posts = models.BigIntegerField(null=True, blank=True)
    # Over the public posts of the last day that the network shows.
    posts_that_day = models.PositiveIntegerField(default=0)
    engagements_that_day = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["competitor", "day"], name="competitor_day_unique")
        ]


class CampaignReport(TenantModel):
    """The report on a campaign once its span is over: sent once, kept to be read again
    (its PDF is the campaign dashboard over `start`..`end`, built when it is asked for)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Report on {self.campaign_id} ({self.start} to {self.end})"
