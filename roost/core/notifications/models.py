"""What a person was told by Roost, kept so the app can show it (read or unread)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import TenantModel, User
from roost.core.notifications.providers import provider_get


class Urgency(models.TextChoices):
    NORMAL = "normal", "Normal"
    URGENT = "urgent", "Urgent"


class Notification(TenantModel):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=600, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    # What it is about ("crisis.incident", "42"), so a page can find its own notifications.
    source_type = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ContactMethod(TenantModel):
    """One way to reach a person outside the app, with the person's own rule for which
    urgencies it takes. The kind is `email`, `slack`, `webhook` or a declared provider's
    kind (see `providers`). A secret (a signed webhook's key, a Slack webhook's URL) is
    kept sealed by the vault in `secret_sealed` and never shown again."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=40)
    label = models.CharField(max_length=80, blank=True)
    # What the person sees and the sender uses: an address, a URL, a number. For a kind
    # whose whole address is secret (Slack), a shortened form to recognise it by.
    target = models.CharField(max_length=600)
    secret_sealed = models.TextField(blank=True)
    for_urgent = models.BooleanField(default=True)
    for_normal = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_tested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person_id", "position", "pk"]
        indexes = [models.Index(fields=["person", "position"])]

    def __str__(self) -> str:
        return self.label or f"{self.kind}: {self.target}"

    @property
    def kind_label(self) -> str:
        provider = provider_get(self.kind)
        return provider.label if provider else self.kind

    def takes(self, urgency: str) -> bool:
        return self.for_urgent if urgency == Urgency.URGENT else self.for_normal


class Delivery(TenantModel):
    """One message on its way to one person by one contact method (or, for a person with
    none, to their e-mail address). Attempts are made by a task, retried with backoff."""

    contact_method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=600, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    source_type = models.CharField(max_length=80, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    # A test the person sent from their settings: tried once, heard by no listener.
    is_test = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, when it counts as abandoned.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.person_id}: {self.subject}"


class DeliveryAttempt(TenantModel):
    """One try at sending a delivery, kept so a person can see what happened."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_unique_number"
            )
        ]
