"""Organisations, people, roles and the audit trail: the tenant spine of Roost."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    PUBLISHER = "publisher", "Publisher"
    APPROVER = "approver", "Approver"
    COMMUNITY_MANAGER = "community_manager", "Community manager"
    ANALYST = "analyst", "Analyst"
    VIEWER = "viewer", "Viewer"


class Organization(models.Model):
    """A tenant. Every other row of business data belongs to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    is_demo = models.BooleanField(
        default=False, help_text="Demo organisations may switch two-factor sign-in off."
    )
    require_two_factor = models.BooleanField(default=True)
    require_alt_text = models.BooleanField(
        default=False, help_text="Media may not be uploaded or published without alt text."
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Brand(TenantModel):
    """A brand or a region: the unit a crisis pause or a report can be scoped to."""

    name = models.CharField(max_length=120)
    region = models.CharField(max_length=80, blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="brand_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ChannelGroup(TenantModel):
    """A set of channels that roles are granted on (least privilege)."""

    name = models.CharField(max_length=120)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="channel_group_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person. Each person belongs to one organisation."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    region = models.CharField(max_length=80, blank=True)
    language = models.CharField(max_length=10, default="en")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Working hours, in the person's own time zone (shift-aware assignment reads them).
    work_days = models.CharField(
        max_length=7, default="01234", help_text="Weekdays worked: 0 is Monday, 6 Sunday."
    )
    work_start = models.TimeField(default=dt.time(9, 0))
    work_end = models.TimeField(default=dt.time(17, 0))

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    objects = UserManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.email


class Team(TenantModel):
    name = models.CharField(max_length=120)
    region = models.CharField(max_length=80, blank=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    lead = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Receives the team's escalations, such as a breached response target.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A role granted to a person, on one channel group or (group empty) the whole organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    channel_group = models.ForeignKey(
        ChannelGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    # Who granted it (empty for Roost itself, and for grants older than this column).
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A time-limited grant (an agency, a temporary cover) stops counting at this moment;
    # the expiry job then revokes it and tells the person.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "channel_group"],
                name="membership_unique_grant",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(channel_group__isnull=True),
                name="membership_unique_org_grant",
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="membership_expiry")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        return self.channel_group.name if self.channel_group else "Whole organisation"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One change, hash-chained to the previous event of the same organisation.

    Rows are written by `roost.core.audit.record` only and never updated or
    deleted: the model refuses it, and so does a database trigger (see migration 0002).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=120, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sequence"], name="audit_unique_sequence"
            )
        ]
        indexes = [models.Index(fields=["organization", "occurred_at"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class FeedToken(TenantModel):
    """A person's secret calendar-feed link. Only a SHA-256 digest of the token is kept;
    the token itself is shown once, when issued. At most one is live per person."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="feed_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="feed_token_one_live_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"feed link of {self.user_id} from {self.created_at:%Y-%m-%d}"


class SignInFailure(models.Model):
    """A failed sign-in step, kept for throttling. Not tenant data: it precedes sign-in."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    # Set when the attempt came from a browser that signed in to this account before
    # (see roost/core/signin.py); such failures are counted apart.
    device = models.CharField(max_length=32, blank=True, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ClockSlot(models.Model):
    """A periodic job's time slot, claimed by the one worker that enqueues it."""

    job = models.CharField(max_length=120)
    slot = models.DateTimeField()
    task_result_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="clock_unique_slot")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"
