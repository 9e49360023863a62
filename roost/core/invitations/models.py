"""Invitations by e-mail, and each organisation's rule for which addresses may be invited."""

from __future__ import annotations

import enum

from django.db import models
from django.utils import timezone

from roost.core.models import ChannelGroup, Role, TenantModel, User


class InvitationPolicy(TenantModel):
    """One per organisation. An empty list of domains lets any address be invited."""

    allowed_email_domains = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="invitation_policy_one_per_org")
        ]

    def __str__(self) -> str:
        return ", ".join(self.allowed_email_domains) or "any domain"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Invitation(TenantModel):
    """An e-mail address asked to join, with the roles the person will hold.

    Only the link's digest is stored: the link itself is in the e-mail alone.
    """

    email = models.EmailField()
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    valid_days = models.PositiveSmallIntegerField(default=7)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=200, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    def status_at(self, moment: object = None) -> InvitationStatus:
        now = moment if moment is not None else timezone.now()
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= now:  # type: ignore[operator]
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at()


class InvitationGrant(TenantModel):
    """A role the invited person receives on acceptance (group empty: the whole organisation)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    channel_group = models.ForeignKey(
        ChannelGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        return self.channel_group.name if self.channel_group else "Whole organisation"
