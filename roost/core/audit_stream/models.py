"""Where an organisation's audit events are streamed, and how far each destination got."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.core.models import TenantModel, User


class DestinationKind(models.TextChoices):
    SYSLOG_TCP = "syslog_tcp", "Syslog over TCP (RFC 5424, octet-counted)"
    SYSLOG_UDP = "syslog_udp", "Syslog over UDP (RFC 5424)"
    WEBHOOK = "webhook", "Signed JSON webhook"


class AuditStreamDestination(TenantModel):
    """A SIEM (or a relay in front of one) that receives every new audit event.

    `cursor` is the sequence number of the last event the destination accepted; it moves
    only after a delivery succeeded, in the same transaction that read the events.
    """

    kind = models.CharField(max_length=16, choices=DestinationKind.choices)
    name = models.CharField(max_length=80)
    host = models.CharField(max_length=253, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    url = models.CharField(max_length=600, blank=True)
    # The webhook's signing secret, sealed by the vault; never shown after it is made.
    secret_sealed = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    cursor = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="audit_stream_destination_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def where(self) -> str:
        if self.kind == DestinationKind.WEBHOOK:
            return self.url
        return f"{self.host}:{self.port}"
