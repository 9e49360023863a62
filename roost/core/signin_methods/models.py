"""How people sign in: security keys, an organisation's identity provider, its policy."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django_otp.models import Device

from roost.core.models import ChannelGroup, Organization, Role, TenantModel, User


class SecurityKey(Device):
    """A WebAuthn credential used as a second factor.

    A django-otp device, so that signing in with it marks the session verified exactly
    as an authenticator app does (`django_otp.login`). It never accepts a typed code."""

    # django-otp's base class is untyped, so the fields say their types themselves.
    user: models.ForeignKey[User, User] = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+"
    )
    organization: models.ForeignKey[Organization, Organization] = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+"
    )
    credential_id: models.CharField[str, str] = models.CharField(
        max_length=512, unique=True, help_text="base64url"
    )
    public_key: models.BinaryField[bytes, bytes] = models.BinaryField()
    sign_count: models.PositiveBigIntegerField[int, int] = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    added_at: models.DateTimeField[dt.datetime, dt.datetime] = models.DateTimeField(
        default=timezone.now
    )
    used_at: models.DateTimeField[dt.datetime | None, dt.datetime | None] = models.DateTimeField(
        null=True, blank=True
    )

    class Meta:
        ordering = ["added_at", "pk"]

    def verify_token(self, token: object) -> bool:
        return False


class SignInPolicy(TenantModel):
    """An organisation's session rules; two-factor enforcement stays on the organisation."""

    session_lifetime_minutes = models.PositiveIntegerField(default=12 * 60)
    idle_timeout_minutes = models.PositiveIntegerField(default=30)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="signin_policy_one_per_org")
        ]


class IdentityProvider(TenantModel):
    """An OpenID Connect provider people of the organisation may sign in through."""

    name = models.CharField(max_length=80)
    issuer = models.URLField(max_length=400)
    client_id = models.CharField(max_length=200)
    # Sealed by the vault (`roost.core.outbound.outbound().seal`).
    client_secret_sealed = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    allowed_email_domains = models.JSONField(default=list, blank=True)
    groups_claim = models.CharField(max_length=80, default="groups")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="identity_provider_one_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class GroupRoleMapping(TenantModel):
    """Members of the provider's group get the role (on the channel group, or org-wide)."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="mappings"
    )
    group = models.CharField(max_length=200)
    role = models.CharField(max_length=32, choices=Role.choices)
    channel_group = models.ForeignKey(
        ChannelGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["group", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "group", "role", "channel_group"], name="group_mapping_unique"
            ),
            models.UniqueConstraint(
                fields=["provider", "group", "role"],
                condition=models.Q(channel_group__isnull=True),
                name="group_mapping_unique_org",
            ),
        ]


class ExternalIdentity(TenantModel):
    """The provider's subject for a person: how a returning person is recognised."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="identities"
    )
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="external_identity_unique")
        ]


class ProvisionedGrant(TenantModel):
    """A role Roost granted because of a group mapping. Only these are taken away when
    the group goes: a role an admin granted by hand stays."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    channel_group = models.ForeignKey(
        ChannelGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
