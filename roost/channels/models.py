"""Channels (one account on one network placement) and their encrypted credentials."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from roost.core.models import Brand, ChannelGroup, TenantModel, User


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Channel(TenantModel):
    network = models.CharField(max_length=40, help_text="Catalogue network key, e.g. 'bluesky'.")
    placement = models.CharField(max_length=40, help_text="Catalogue placement key, e.g. 'post'.")
    connector = models.CharField(
        max_length=40, help_text="Connector entry-point name, e.g. 'sandbox' or 'bluesky'."
    )
    external_id = models.CharField(max_length=200, blank=True)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.SET_NULL)
    channel_group = models.ForeignKey(
        ChannelGroup, on_delete=models.PROTECT, related_name="channels"
    )
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    primary_owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    backup_owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Connector options, e.g. {'service': 'https://bsky.social'} or "
        "{'instance': 'mastodon.social', 'visibility': 'public'}. Never secrets.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Health, updated by the health check and by every connector call.
    credential_expires_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "placement", "handle"],
                name="channel_unique_handle",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "network"]),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.network} {self.placement})"


class CredentialKind(models.TextChoices):
    ACCESS_TOKEN = "access_token", "Access token"
    APP_PASSWORD = "app_password", "App password"
    OAUTH = "oauth", "OAuth tokens"


class Credential(TenantModel):
    """A channel's secret, sealed by the vault: a data key encrypts the secret, and a
    master key (named by `key_id`) wraps the data key. Nothing here is readable alone."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="credential")
    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    key_id = models.CharField(max_length=40)
    wrapped_key = models.BinaryField()
    ciphertext = models.BinaryField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.channel_id} (key {self.key_id})"


class CredentialUse(TenantModel):
    """How often a channel's credential (or one of its named secrets) was opened in one
    clock hour, and for what.

    The audit log records the first use in an hour as it happens and, once the hour is
    over, one summary event with these counts (`roost.channels.credential_use`): every
    use stays accountable without an audit event per network call. These rows are the
    running tally, not the record; they are changed, and deleted once summarised and old.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    secret = models.CharField(
        max_length=40, blank=True, help_text="The named secret; empty for the credential."
    )
    hour = models.DateTimeField(help_text="The start of the hour (UTC).")
    uses = models.PositiveIntegerField(default=0)
    purposes = models.JSONField(default=dict, help_text="Purpose to number of uses.")
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    summarised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "secret", "hour"], name="credential_use_unique_hour"
            )
        ]
        indexes = [
            models.Index(
                fields=["hour"],
                condition=models.Q(summarised_at__isnull=True),
                name="credential_use_unsummarised",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.hour:%Y-%m-%d %H}:00 x{self.uses}"


def new_webhook_id() -> str:
    return f"nh_{secrets.token_urlsafe(24)}"


def new_verify_token() -> str:
    return secrets.token_urlsafe(24)


class NetworkApp(TenantModel):
    """The organisation's own developer app on a network, through which its people
    connect accounts (OAuth). The client secret is sealed by the vault."""

    network = models.CharField(max_length=40, help_text="Connector name, e.g. 'linkedin'.")
    client_id = models.CharField(max_length=300)
    client_secret_sealed = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the network pushes changes (Meta's webhooks): a public id in the address, and
    # the token Meta echoes when the subscription is checked. Neither opens anything.
    webhook_id = models.CharField(max_length=60, unique=True, default=new_webhook_id)
    webhook_verify_token = models.CharField(max_length=60, default=new_verify_token)
    # For networks that subscribe each account to the app's webhook: the id the network
    # gave it (LinkedIn's developer application id, X's webhook id), and, where the
    # network signs with another secret than the client secret (X's API key secret), that
    # secret sealed by the vault.
    push_id = models.CharField(max_length=40, blank=True)
    push_secret_sealed = models.TextField(blank=True)

    class Meta:
        ordering = ["network"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network"], name="network_app_one_per_network"
            )
        ]

    def __str__(self) -> str:
        return f"{self.network} app {self.client_id}"
