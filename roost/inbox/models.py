"""Conversations and messages from every channel, with the cursors that fetch them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import Organization, Team, TenantModel, User
from roost.inbox.classify.labels import Priority


class InboxCursor(TenantModel):
    """How far a channel's inbound has been fetched. Advanced in the same transaction
    as the messages it covers, so a crash between fetch and commit loses nothing."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="inbox_cursor")
    cursor = models.CharField(max_length=500, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.cursor or 'start'}"


def identity_handle(handle: str) -> str:
    """A handle as the networks compare it: case does not matter, nor a leading @."""
    return handle.strip().lstrip("@").casefold()


def identity_fields(channel: Channel) -> dict[str, Any]:
    """What names the channel's account: its organisation, connector, network and handle."""
    return {
        "organization_id": channel.organization_id,
        "connector": channel.connector,
        "network": channel.network,
        "handle": identity_handle(channel.handle),
    }


class InboxIdentityManager(models.Manager["InboxIdentity"]):
    def for_channel(self, channel: Channel) -> InboxIdentity:
        """The channel's identity, made the first time any channel of its account asks.
        Safe from two workers at once: a lost race finds the winner's row."""
        fields = identity_fields(channel)
        found = self.filter(**fields).first()
        if found is None:
            self.bulk_create([InboxIdentity(**fields)], ignore_conflicts=True)
            found = self.get(**fields)
        return found


class InboxIdentity(TenantModel):
    """One account on one network, as the inbox sees it.

    A channel is an account on one placement (an Instagram account's portrait feed,
    its reels); the audience writes to the account, not to a placement. So every
    channel of one account shares one identity, and conversations and messages are
    keyed on it: one message arriving through two placement channels is one message
    in one conversation, answered once. Found or made by
    `InboxIdentity.objects.for_channel`.
    """

    connector = models.CharField(max_length=40)
    network = models.CharField(max_length=40)
    handle = models.CharField(max_length=200, help_text="Normalised by `identity_handle`.")

    objects = InboxIdentityManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "connector", "network", "handle"],
                name="inbox_identity_unique_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.network})"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on the customer"
    SNOOZED = "snoozed", "Snoozed"
    CLOSED = "closed", "Closed"


PRIORITY_CHOICES = [(priority.value, priority.label) for priority in Priority]


class Conversation(TenantModel):
    """A thread under one post with one author, a direct-message exchange, or a mention.

    Threads are unique per account (`identity`), not per channel: `channel` is the one
    the conversation first arrived through, and the one replies go out through.
    """

    # Indexed by the unique (identity, key) and (organization, ...) indexes below: a
    # column of its own would only slow every insert.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    identity = models.ForeignKey(
        InboxIdentity, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations")
    key = models.CharField(max_length=400, help_text="What threads messages together here.")
    kind = models.CharField(max_length=20)
    author_handle = models.CharField(max_length=200)
    author_name = models.CharField(max_length=200, blank=True)
    subject_external_id = models.CharField(
        max_length=300, blank=True, help_text="The post commented on, when there is one."
    )
    status = models.CharField(
        max_length=20, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    priority = models.CharField(max_length=10, choices=PRIORITY_CHOICES, default=Priority.NORMAL)
    vip = models.BooleanField(
        default=False,
        help_text="Someone who wrote in it is a VIP (many followers or a verified account).",
    )
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    tags = models.JSONField(default=list, blank=True)
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_message_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # The SLA as last computed (roost.inbox.sla.services), so queues can sort and filter.
    sla_state = models.CharField(max_length=10, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_alerted = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "key"], name="conversation_unique_key")
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-last_message_at"]),
            models.Index(fields=["organization", "assignee", "status"]),
            models.Index(fields=["organization", "team", "status"]),
            # Queue pages (roost.inbox.selectors): the conditions repeat the working
            # queues' filter exactly, or the database cannot use them.
            models.Index(
                fields=["organization", "-last_message_at", "-id"],
                condition=~models.Q(status="closed") & ~models.Q(status="snoozed"),
                name="conversation_open_queue",
            ),
            models.Index(
                fields=["organization", "team", "-last_message_at", "-id"],
                condition=~models.Q(status="closed") & ~models.Q(status="snoozed"),
                name="conversation_team_queue",
            ),
            models.Index(
                fields=["organization", "sla_due_at", "id"],
                condition=models.Q(sla_state__in=["warning", "breached"])
                & ~models.Q(status="closed")
                & ~models.Q(status="snoozed"),
                name="conversation_breaching_queue",
            ),
            models.Index(
                fields=["organization", "author_handle", "-last_message_at"],
                name="conversation_author_history",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_handle} on {self.channel}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.identity_id is None:
            # Ingestion sets it; a conversation made another way takes its channel's.
            self.identity = InboxIdentity.objects.for_channel(self.channel)
        super().save(*args, **kwargs)


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the audience"
    OUTBOUND = "outbound", "Reply from the team"
    NOTE = "note", "Internal note"


class SendState(models.TextChoices):
    """Where a reply from the team is on its way to the network ("" for other messages).

    A reply is stored as pending before the network is called, so no send goes unrecorded:
    a pending reply whose send outcome was never written may be on the network."""

    PENDING = "pending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"


class Message(TenantModel):
    """One message of a conversation. Unique per account (`identity`) and network id, so
    the same message fetched through two placement channels of one account is stored once;
    `channel` is the one it arrived or was sent through."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Indexed by the unique (identity, external_id) below.
    identity = models.ForeignKey(
        InboxIdentity, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    author_handle = models.CharField(max_length=200)
    author_name = models.CharField(max_length=200, blank=True)
    author_followers = models.PositiveIntegerField(default=0)
    author_verified = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    parent_external_id = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=600, blank=True)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    priority = models.CharField(max_length=10, choices=PRIORITY_CHOICES, default=Priority.NORMAL)
    send_state = models.CharField(max_length=10, choices=SendState.choices, blank=True)
    send_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "external_id"], name="message_unique_external"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_handle}: {self.text[:50]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.identity_id is None:
            self.identity_id = self.conversation.identity_id  # a message's is its thread's
        super().save(*args, **kwargs)


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", "Manual"
    ROUND_ROBIN = "round_robin", "Round robin"
    LOAD_BALANCED = "load_balanced", "Fewest open conversations"
    SHIFT_AWARE = "shift_aware", "Who is working now, fewest open first"


class RoutingRule(TenantModel):
    """If a new conversation matches every condition set here, route it as the actions say.

    Rules are tried in `position` order; the first that matches wins.
    """

    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    # Conditions (empty means "any").
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    brand = models.ForeignKey(
        "core.Brand", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=8, blank=True)
    keyword = models.CharField(max_length=120, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    # Actions.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=PRIORITY_CHOICES, blank=True)
    tags = models.JSONField(default=list, blank=True)
    auto_reply = models.TextField(blank=True)
    assignment = models.CharField(
        max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    fallback_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Out of hours, when nobody in the team is working.",
    )  # fmt: skip
    last_assigned = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(TenantModel):
    """Response targets for the conversations it matches (empty condition: any).

    The most specific matching policy wins: channel, then priority, then intent; but an
    urgent or VIP conversation gets the urgent target unless a policy names both its
    channel and its priority (`roost.inbox.sla.services.policy_among` has the whole rule).
    """

    name = models.CharField(max_length=120)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=PRIORITY_CHOICES, blank=True)
    intent = models.CharField(max_length=12, blank=True)
    first_response_minutes = models.PositiveIntegerField(default=24 * 60)
    resolution_minutes = models.PositiveIntegerField(default=72 * 60)
    time_zone = models.CharField(max_length=64, default="UTC")
    business_hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Weekday (0 is Monday) to spans, e.g. {"0": ["09:00-17:00"]}; empty is 24/7.',
    )
    holidays = models.JSONField(default=list, blank=True, help_text="ISO dates.")

    def __str__(self) -> str:
        return self.name


class ConversationEvent(TenantModel):
    """What the SLA clocks are computed from: customer messages, replies, waiting, closing."""

    # Indexed by (conversation, at) below.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=30)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["conversation", "at"])]

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class SavedReply(TenantModel):
    """A canned answer. `{author_name}`, `{author_handle}`, `{agent_name}`, `{channel}` and
    `{brand}` are filled in when it is inserted into the composer."""

    title = models.CharField(max_length=120)
    text = models.TextField()
    shortcut = models.CharField(max_length=40, blank=True, help_text="Typed after / to insert.")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class SavedFilter(TenantModel):
    """A person's named inbox search: a queue plus filters, shown beside the built-in queues."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    query = models.JSONField(
        default=dict, help_text="Queue, search text and field filters (status, priority, ...)."
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ConversationPresence(TenantModel):
    """Who has a conversation open right now, and whether they are typing a reply.

    A heartbeat refreshes `seen_at`; rows older than a short window are stale and ignored.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="presences"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    typing = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="presence_unique_viewer")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.conversation_id}"


class WebhookReceipt(TenantModel):
    """Every push a network sent us, kept as received before it is processed, so a
    malformed or unsigned delivery is on record and nothing accepted is lost."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Accepted but could not be processed"

    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    body = models.TextField(blank=True, help_text="Truncated to 64 KiB.")
    messages_stored = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.received_at:%Y-%m-%d %H:%M:%S}"


class CorrectionField(models.TextChoices):
    """The labels of a conversation an agent may correct."""

    LANGUAGE = "language", "Language"
    SENTIMENT = "sentiment", "Sentiment"
    INTENT = "intent", "Intent"


class ClassificationCorrection(TenantModel):
    """An agent's correction of one label of a conversation, kept to learn from: the
    message whose label it was, its text as classified, the label before and after.
    Written only by `roost.inbox.corrections.services.conversation_label_correct`."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="corrections"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(max_length=12, choices=CorrectionField.choices)
    old_value = models.CharField(max_length=12, blank=True)
    new_value = models.CharField(max_length=12)
    text = models.TextField(help_text="The message's text, as it was classified.")
    corrected_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["corrected_at", "pk"]
        indexes = [models.Index(fields=["organization", "corrected_at", "id"])]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class ClassifierAdapter(TenantModel):
    """An organisation's adaptation of the classifier, learned from its own corrections
    only (`roost.inbox.corrections.adapter`): one row per organisation, replaced by each
    retraining, with the evaluation on the organisation's held-out corrections."""

    version = models.PositiveIntegerField(default=1)
    trained_at = models.DateTimeField(default=timezone.now)
    parameters = models.JSONField(default=dict)
    corrections_used = models.PositiveIntegerField(default=0)
    # The newest correction learned from: the scheduled job retrains only after newer ones.
    last_correction_id = models.BigIntegerField(default=0)
    evaluation = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="classifier_adapter_one_per_org")
        ]

    def __str__(self) -> str:
        return f"adapter v{self.version} of organisation {self.organization_id}"


# Classifier backends and moderation (roost.inbox.classify_backends, roost.inbox.moderation).


class ClassifierBackendKind(models.TextChoices):
    BUILT_IN = "built_in", "Built-in model (offline, the default)"
    TRANSFORMER = "transformer", "Transformer model from a folder on this machine"
    ENDPOINT = "endpoint", "OpenAI-compatible endpoint (a model server)"


class ClassifierSettings(TenantModel):
    """Which classifier labels an organisation's inbound messages. Without a row, or with
    the built-in backend, nothing leaves the machine. Changed only by
    `roost.inbox.classify_backends.settings.classifier_settings_update`."""

    backend = models.CharField(
        max_length=20, choices=ClassifierBackendKind.choices, default=ClassifierBackendKind.BUILT_IN
    )
    model_path = models.CharField(max_length=500, blank=True)
    endpoint_url = models.CharField(max_length=500, blank=True)
    endpoint_model = models.CharField(max_length=200, blank=True)
    # The API key, sealed by `roost.channels.vault.organization_secret_seal`; never shown.
    endpoint_key_sealed = models.TextField(blank=True)
    timeout_ms = models.PositiveIntegerField(default=3000)
    # Messages the configured backend could not label, so the built-in model did.
    fallbacks = models.PositiveBigIntegerField(default=0)
    last_fallback_at = models.DateTimeField(null=True, blank=True)
    last_fallback_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="classifier_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.backend}"


class ModerationRule(TenantModel):
    """Hide, on the network, inbound messages of these channels that the classifier gives
    this intent with at least this confidence."""

    name = models.CharField(max_length=120)
    intent = models.CharField(max_length=12, default="spam")
    min_confidence = models.FloatField(default=0.9)
    channels = models.ManyToManyField(Channel, related_name="+")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class MessageModeration(TenantModel):
    """Whether a message is hidden on its network, and who or what last changed that."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="moderation")
    hidden = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        ModerationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.message_id}: {'hidden' if self.hidden else 'shown'}"
