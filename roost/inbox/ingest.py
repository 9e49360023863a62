"""Fetching inbound messages from every channel into conversations, exactly once.

Fetching is at least once: a page may be fetched again after a crash, or by two
workers at the same time. Storing is exactly once: (channel, external id) is
unique, and the cursor advances in the same transaction as the messages it
covers (invariant 5 of the design).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from roost.channels.connectors.base import Capability, ConnectorError, Inbound, InboundKind
from roost.channels.health import connector_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.inbox.classify import UNDETERMINED, classify
from roost.inbox.models import Conversation, ConversationStatus, Direction, InboxCursor, Message
from roost.inbox.routing import conversation_route
from roost.inbox.sla import SlaEventKind
from roost.inbox.sla_service import event_record

logger = logging.getLogger(__name__)
MAX_PAGES = 5
FETCH_CAPABILITIES = {
    Capability.FETCH_COMMENTS,
    Capability.FETCH_MENTIONS,
    Capability.FETCH_MESSAGES,
}


def conversation_key(
    channel: Channel, item: Inbound, known_parent_key: str | None
) -> tuple[str, str]:
    """(key, subject): replies join their parent's conversation; direct messages form one
    conversation per author and channel; comments one per post and author."""
    if item.kind == InboundKind.DIRECT_MESSAGE:
        return f"dm:{item.author_handle}", ""
    if known_parent_key is not None:
        return known_parent_key, ""
    if item.parent_external_id:
        return f"post:{item.parent_external_id}:{item.author_handle}", item.parent_external_id
    return f"mention:{item.external_id}", ""


@dataclass(frozen=True)
class IngestResult:
    fetched: int
    stored: int


def _conversation_for(channel: Channel, item: Inbound) -> tuple[Conversation, bool]:
    parent_key = None
    if item.parent_external_id:
        parent = (
            Message.objects.filter(channel=channel, external_id=item.parent_external_id)
            .select_related("conversation")
            .first()
        )
        if parent is not None:
            parent_key = parent.conversation.key
    key, subject = conversation_key(channel, item, parent_key)
    try:
        with transaction.atomic():
            conversation, created = Conversation.objects.get_or_create(
                channel=channel,
                key=key,
                defaults={
                    "organization_id": channel.organization_id,
                    "kind": item.kind,
                    "author_handle": item.author_handle,
                    "subject_external_id": subject,
                    "first_message_at": item.created_at,
                    "last_message_at": item.created_at,
                },
            )
    except IntegrityError:
        conversation, created = Conversation.objects.get(channel=channel, key=key), False
    return conversation, created


PRIORITY_ORDER = ["low", "normal", "high", "urgent"]


def _take_classification(conversation: Conversation, message: Message) -> None:
    """The conversation carries its latest message's language, sentiment and intent,
    and the highest priority any of its messages had."""
    priority = max(conversation.priority, message.priority, key=PRIORITY_ORDER.index)
    Conversation.objects.filter(pk=conversation.pk).update(
        language=message.language,
        sentiment=message.sentiment,
        intent=message.intent,
        priority=priority,
    )
    conversation.language, conversation.sentiment = message.language, message.sentiment
    conversation.intent, conversation.priority = message.intent, priority


def messages_store(*, channel: Channel, items: list[Inbound]) -> int:
    """Store what is new among `items`; return how many were new. Safe to call twice."""
    if not items:
        return 0
    known = set(
        Message.objects.filter(
            channel=channel, external_id__in=[i.external_id for i in items]
        ).values_list("external_id", flat=True)
    )
    stored = 0
    for item in sorted(items, key=lambda i: i.created_at):
        if item.external_id in known:
            continue
        conversation, created = _conversation_for(channel, item)
        found = classify(item.text, language_hint=item.language)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    organization_id=channel.organization_id,
                    conversation=conversation,
                    channel=channel,
                    external_id=item.external_id,
                    kind=item.kind,
                    direction=Direction.INBOUND,
                    author_handle=item.author_handle,
                    text=item.text,
                    parent_external_id=item.parent_external_id,
                    url=item.url,
                    created_at=item.created_at,
                    language=found.language if found.language != UNDETERMINED else item.language,
                    sentiment=found.sentiment.value,
                    intent=found.intent.value,
                    priority=found.priority.value,
                )
        except IntegrityError:
            continue  # another worker stored it first
        known.add(item.external_id)
        stored += 1
        _take_classification(conversation, message)
        if created:
            event_record(conversation=conversation, kind=SlaEventKind.OPENED, at=item.created_at)
        elif conversation.status in (ConversationStatus.CLOSED, ConversationStatus.WAITING):
            kind = (
                SlaEventKind.REOPENED
                if conversation.status == ConversationStatus.CLOSED
                else SlaEventKind.WAITING_ENDED
            )
            event_record(conversation=conversation, kind=kind, at=item.created_at)
        event_record(
            conversation=conversation, kind=SlaEventKind.CUSTOMER_MESSAGE, at=item.created_at
        )
        if created:
            conversation_route(conversation=conversation, message=message)
        Conversation.objects.filter(pk=conversation.pk, last_message_at__lt=item.created_at).update(
            last_message_at=item.created_at
        )
        # A new message from the customer reopens a closed conversation and restarts
        # the clock of one waiting on them.
        Conversation.objects.filter(
            pk=conversation.pk,
            status__in=[ConversationStatus.CLOSED, ConversationStatus.WAITING],
        ).update(status=ConversationStatus.OPEN, closed_at=None)
    return stored


def channel_ingest(*, channel: Channel) -> IngestResult:
    """Fetch a channel's new inbound, page by page, and store it.

    Precondition: not inside a transaction (fetching calls the network).
    """
    cursor, _ = InboxCursor.objects.get_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id}
    )
    try:
        connector = connector_for(channel, purpose="inbox fetch")
    except VaultError as error:
        InboxCursor.objects.filter(pk=cursor.pk).update(last_error=str(error)[:500])
        return IngestResult(0, 0)
    if not connector.capabilities & FETCH_CAPABILITIES:
        return IngestResult(0, 0)
    fetched = stored = 0
    position = cursor.cursor or None
    for _ in range(MAX_PAGES):
        try:
            page = connector.fetch(cursor=position)
        except ConnectorError as error:
            InboxCursor.objects.filter(pk=cursor.pk).update(last_error=str(error)[:500])
            break
        with transaction.atomic():
            stored += messages_store(channel=channel, items=list(page.items))
            InboxCursor.objects.filter(pk=cursor.pk).update(
                cursor=page.cursor or "", fetched_at=timezone.now(), last_error=""
            )
        fetched += len(page.items)
        if not page.items or page.cursor == position:
            break
        position = page.cursor
    return IngestResult(fetched, stored)


def channels_ingest_all() -> int:
    """Poll every active channel; return how many messages were new."""
    stored = 0
    for channel in Channel.objects.filter(status=ChannelStatus.ACTIVE).order_by("pk"):
        try:
            stored += channel_ingest(channel=channel).stored
        except Exception:
            logger.exception("fetching the inbox of channel %s failed", channel.pk)
    return stored
