"""The sandbox network's own state: its accounts, posts and inbound messages.

These tables stand for another company's servers. Nothing here points at
Roost's tables and Roost's apps never write them directly: Roost reaches them
only through `SandboxConnector`, as it would reach a real network over HTTP;
the demo and the audience simulator use `roost.sandbox.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from roost.channels.connectors.base import InboundKind


class FailMode(models.TextChoices):
    """How the next calls to an account fail (failure injection)."""

    NONE = "none", "None"
    RATE_LIMIT = "rate_limit", "Rate limited (429)"
    SERVER_ERROR = "server_error", "Server error (5xx)"
    TIMEOUT = "timeout", "Timeout"
    REVOKED = "revoked", "Credential revoked"
    EXPIRED = "expired", "Credential expired"
    INVALID = "invalid", "Request rejected (validation)"
    # The call does its work (a publish stores the post), then the answer never arrives.
    LOSE_ANSWER = "lose_answer", "Accepted, then the answer lost"


# `fail_remaining` at this value means: fail until the knob is cleared.
FAIL_UNTIL_CLEARED = -1

# `.invalid` is reserved (RFC 2606): these addresses can never reach a real host.
BASE_URL = "https://sandbox.roost.invalid"


class SandboxAccount(models.Model):
    """An account on the simulated network, with the knobs that make its calls misbehave.

    Each Roost organisation has a sandbox world of its own: an account belongs to one
    organisation, and the same handle in two organisations is two accounts. The
    sandbox's tables live in a database of their own, so the organisation is held by
    its id (no foreign key can cross databases); every lookup names it.
    """

    organization_id = models.PositiveBigIntegerField(
        help_text="The Roost organisation whose sandbox world holds the account."
    )
    network = models.CharField(max_length=40, help_text="Catalogue network key, e.g. 'x'.")
    handle = models.CharField(max_length=200)
    external_id = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    # The network's own record of the one token it accepts for this account.
    secret = models.CharField(max_length=200)
    latency_ms = models.PositiveIntegerField(default=0)
    fail_mode = models.CharField(max_length=20, choices=FailMode.choices, default=FailMode.NONE)
    fail_remaining = models.IntegerField(
        default=0, help_text="How many calls still fail; -1 fails them until the knob is cleared."
    )
    retry_after_s = models.PositiveIntegerField(
        default=60, help_text="What a rate-limited answer asks the caller to wait."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization_id", "network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "network", "handle"],
                name="sandbox_account_unique_org_handle",
            ),
            models.CheckConstraint(
                condition=models.Q(fail_remaining__gte=FAIL_UNTIL_CLEARED),
                name="sandbox_account_fail_remaining_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle} (sandbox {self.network})"

    def post_url(self, external_id: str) -> str:
        return f"{BASE_URL}/{self.network}/{self.handle}/posts/{external_id}"


class SandboxPost(models.Model):
    """A post (or a reply) as the network stores it."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(max_length=64, unique=True)
    text = models.TextField(blank=True)
    media_count = models.PositiveSmallIntegerField(default=0)
    link = models.CharField(max_length=2000, blank=True)
    reply_to = models.CharField(max_length=64, blank=True, help_text="External id replied to.")
    # NULL when the caller sent no key: the unique constraint only binds posts that have one.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    url = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="sandbox_post_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class SandboxInbound(models.Model):
    """A comment, reply, mention or direct message that reached an account.

    `sequence` counts up per account and is the fetch cursor. Rows are numbered while
    the account's row is locked, so they become visible in sequence order and a reader
    holding a cursor never skips one that commits later.
    """

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="inbound")
    external_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=InboundKind.choices)
    author_handle = models.CharField(max_length=200)
    text = models.TextField()
    language = models.CharField(max_length=16, blank=True)
    parent_external_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sequence = models.PositiveBigIntegerField()
    # Hidden by the account it was addressed to: the network no longer shows it.
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "sequence"], name="sandbox_inbound_unique_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"

    @property
    def url(self) -> str:
        """Where the message can be seen; direct messages have no public address."""
        if self.kind == InboundKind.DIRECT_MESSAGE:
            return ""
        return f"{BASE_URL}/{self.account.network}/{self.author_handle}/posts/{self.external_id}"


class AudienceTick(models.Model):
    """One simulated time slot for one account: the audience simulator ran it."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="+")
    slot = models.DateTimeField()
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "slot"], name="sandbox_audience_unique_slot")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.slot:%Y-%m-%d %H:%M}: {self.messages}"


class SandboxMail(models.Model):
    """One e-mail as the demo's mail server kept it: one row per recipient.

    The demo has no real mailbox; `roost.sandbox.mail.SandboxMailBackend` keeps what
    Roost sends here instead, and the Mail page shows each person what was sent to
    them. The recipient's organisation is looked up when the mail is kept (an e-mail
    address belongs to one person at most) and held by id, like the accounts'; a mail to
    an address that is nobody's in Roost is kept without one and shown to nobody.
    """

    organization_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The recipient's organisation, when they are a person."
    )
    recipient = models.CharField(max_length=254, db_index=True)
    sender = models.CharField(max_length=300, blank=True)
    to = models.TextField(blank=True, help_text="The To line, as written.")
    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organization_id", "recipient", "-sent_at"], name="sandbox_mail_box"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.recipient}"
