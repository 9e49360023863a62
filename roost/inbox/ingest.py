"""Fetching inbound messages from every channel into conversations, exactly once.

Fetching is at least once: a page may be fetched again after a crash, or by two
workers at the same time, or through two placement channels of one account (an
Instagram account's feed and its reels read the same comments and messages).
Storing is exactly once: (account, external id) is unique, writers of one account
take turns, and the cursor advances in the same transaction as the messages it
covers (invariant 5 of the design). The account is the channel's `InboxIdentity`.

Messages are stored a batch at a time (a poll's pages, or a webhook delivery): the
batch is classified, threaded, deduplicated and routed in memory, then written with
a fixed number of queries, whatever its size.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

from roost.channels.connectors.base import Capability, ConnectorError, Inbound, InboundKind
from roost.channels.health import connector_for
from roost.channels.models import Channel, ChannelStatus
from roost.channels.vault import VaultError
from roost.core.text_input import text_problem, text_repaired
from roost.inbox.classify import PRIORITY_ORDER, UNDETERMINED, Classification, is_vip
from roost.inbox.classify_backends import ClassifierInput, classify_for_organization
from roost.inbox.corrections.adapter import adapt
from roost.inbox.corrections.selectors import adapter_for
from roost.inbox.locks import conversations_locked, identity_locked
from roost.inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Direction,
    InboxCursor,
    InboxIdentity,
    Message,
    identity_fields,
)
from roost.inbox.moderation import moderation_rules_apply
from roost.inbox.routing.route import RoutingBatch, conversation_route
from roost.inbox.sla.clocks import SlaEventKind
from roost.inbox.snooze import WakeReason, conversation_wake

logger = logging.getLogger(__name__)
_M = TypeVar("_M", bound=models.Model)
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
    conversation per author and account; comments one per post and author."""
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


@dataclass
class _Arrival:
    """An item new to Roost, with the conversation it threads into."""

    item: Inbound
    key: str
    subject: str
    message: Message
    classification: Classification
    opens: bool = False  # the first message of a conversation new to Roost


def _classified(channel: Channel, items: list[Inbound]) -> list[Classification]:
    """The items labelled by the organisation's classifier backend, in one call, then
    adapted to what the organisation's own corrections taught it (read once)."""
    if not items:
        return []
    found = classify_for_organization(
        organization_id=channel.organization_id,
        items=[
            ClassifierInput(
                text=item.text,
                language_hint=item.language,
                author_followers=item.author_followers,
                author_verified=item.author_verified,
            )
            for item in items
        ],
    )
    adapter = adapter_for(channel.organization_id)
    return [
        adapt(
            labels,
            adapter=adapter,
            text=item.text,
            author_followers=item.author_followers,
            author_verified=item.author_verified,
        )
        for labels, item in zip(found, items, strict=True)
    ]


def _built(model: type[_M], **values: Any) -> _M:
    """A new instance with these attribute values (`<name>_id` for a foreign key) and
    the other fields' defaults: built the way Django builds rows it reads, one value per
    field in order, which costs a fraction of naming each field (ingest builds a message
    and often a conversation for every item)."""
    built = model(
        *[
            values.pop(f.attname) if f.attname in values else f.get_default()
            for f in model._meta.concrete_fields
        ]
    )
    if values:
        raise TypeError(f"{model.__name__} has no fields {', '.join(values)}")
    return built


def _message_from(
    channel: Channel, identity: InboxIdentity, item: Inbound, found: Classification
) -> Message:
    """The message as it will be stored, classified; its conversation is set later."""
    return _built(
        Message,
        organization_id=channel.organization_id,
        identity_id=identity.pk,
        channel_id=channel.pk,
        external_id=item.external_id,
        kind=item.kind,
        direction=Direction.INBOUND,
        author_handle=item.author_handle,
        author_name=item.author_name,
        author_followers=item.author_followers,
        author_verified=item.author_verified,
        text=item.text,
        parent_external_id=item.parent_external_id,
        url=item.url,
        created_at=item.created_at,
        language=found.language if found.language != UNDETERMINED else item.language,
        sentiment=found.sentiment.value,
        intent=found.intent.value,
        priority=found.priority.value,
    )


def _labels_of_unseen(channel: Channel, items: list[Inbound]) -> dict[str, Classification]:
    """The labels of the items not stored yet, by external id, read before the batch takes
    its account's lock: a classifier backend may call a model server, and writers of the
    account must not wait on it. One query, plus the organisation's classifier call and
    the read of its adapter."""
    ids = {item.external_id for item in items}
    account = InboxIdentity.objects.filter(**identity_fields(channel))
    stored = set(
        Message.objects.filter(identity__in=account, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    unseen = list({i.external_id: i for i in items if i.external_id not in stored}.values())
    found = _classified(channel, unseen)
    return {item.external_id: labels for item, labels in zip(unseen, found, strict=True)}


def _arrivals(
    channel: Channel,
    identity: InboxIdentity,
    items: Iterable[Inbound],
    labels: dict[str, Classification],
) -> list[_Arrival]:
    """The items not stored yet, once each, oldest first, classified and keyed. A reply
    joins its parent's conversation whether the parent was stored before or comes earlier
    in the same batch. One query, whatever the batch's size (and the labelling of an
    item missing from `labels`)."""
    batch = sorted(items, key=lambda i: i.created_at)
    wanted = {i.external_id for i in batch} | {i.parent_external_id for i in batch}
    wanted.discard("")
    # The conversation of every message stored already: the batch's own (not new) and
    # the parents its replies answer.
    key_of: dict[str, str] = dict(
        Message.objects.filter(identity=identity, external_id__in=wanted).values_list(
            "external_id", "conversation__key"
        )
    )
    keyed = []
    for item in batch:
        if item.external_id in key_of:
            continue  # stored before, or earlier in this batch
        parent_key = key_of.get(item.parent_external_id) if item.parent_external_id else None
        key, subject = conversation_key(channel, item, parent_key)
        key_of[item.external_id] = key
        keyed.append((item, key, subject))
    # What is new now was new when `labels` was read; an item that is not in them (a row
    # removed meanwhile) is labelled here.
    missing = [item for item, _, _ in keyed if item.external_id not in labels]
    labels = labels | dict(
        zip((i.external_id for i in missing), _classified(channel, missing), strict=True)
    )
    arrivals = []
    for item, key, subject in keyed:
        found = labels[item.external_id]
        message = _message_from(channel, identity, item, found)
        arrivals.append(_Arrival(item, key, subject, message, found))
    return arrivals


def _conversations_for(
    channel: Channel, identity: InboxIdentity, arrivals: list[_Arrival]
) -> dict[str, Conversation]:
    """Every conversation the arrivals join, by key: the stored ones locked (in primary-key
    order) until the batch commits, the missing ones built but not saved yet, each marked
    on the arrival that opens it."""
    stored = conversations_locked(identity=identity, keys=[a.key for a in arrivals])
    by_key = {c.key: c for c in stored}
    for arrival in arrivals:
        if arrival.key in by_key:
            continue
        item = arrival.item
        arrival.opens = True
        by_key[arrival.key] = _built(
            Conversation,
            organization_id=channel.organization_id,
            identity_id=identity.pk,
            channel_id=channel.pk,
            key=arrival.key,
            kind=item.kind,
            author_handle=item.author_handle,
            author_name=item.author_name,
            subject_external_id=arrival.subject,
            first_message_at=item.created_at,
            last_message_at=item.created_at,
            language=arrival.message.language,
            sentiment=arrival.message.sentiment,
            intent=arrival.message.intent,
            priority=arrival.message.priority,
            vip=_from_vip(arrival.message),
        )
        # Routing reads the channel (and its group and organisation) of what it routes.
        by_key[arrival.key].identity, by_key[arrival.key].channel = identity, channel
    return by_key


def _from_vip(message: Message) -> bool:
    return is_vip(
        author_followers=message.author_followers, author_verified=message.author_verified
    )


# Column values that psycopg sends as they are: no preparing by the field is needed.
_PLAIN = {
    "BigIntegerField", "BooleanField", "CharField", "DateTimeField", "ForeignKey",
    "IntegerField", "PositiveIntegerField", "TextField",
}  # fmt: skip


def _pg_array(field: models.Field[Any, Any]) -> str:
    """The array type a column's values are sent as. Text, not `varchar(n)`: casting to
    `varchar(n)` would cut an over-long value short, where storing it must fail."""
    if field.get_internal_type() in ("CharField", "TextField"):
        return "text[]"
    return f"{field.db_type(connection)}[]"


def _copy_in(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write rows into a table with one COPY (PostgreSQL): psycopg formats each row in C,
    where an INSERT of the same rows as arrays has every value quoted into the statement
    in Python, which costs more than the database spends storing them. Logged like any
    other statement (counted where queries are counted)."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.cursor() as cursor:
        logged = getattr(cursor, "debug_sql", None)  # when queries are being logged
        with (
            logged(sql) if logged else contextlib.nullcontext(),
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)


def _keys_reserved(*wanted: tuple[type[models.Model], int]) -> list[list[int]]:
    """New primary keys from each model's sequence, as many as asked, in one query."""
    tables = []
    params: list[Any] = []
    for model, count in wanted:
        pk = model._meta.pk
        assert pk is not None
        tables.append(
            "ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))"
        )
        params += [model._meta.db_table, pk.column, count]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(tables)}", params)
        return [list(keys) for keys in cursor.fetchone()]


def _instances_insert(instances: list[Any], keys: list[int]) -> None:
    """Store new instances of one model with the primary keys given (reserved from its
    sequence), in one COPY, and mark them stored."""
    if not instances:
        return
    model = type(instances[0])
    pk = model._meta.pk
    assert pk is not None
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    columns: list[list[Any]] = [list(keys)]
    for field in fields:
        if field.get_internal_type() in _PLAIN:
            columns.append([getattr(i, field.attname) for i in instances])
        else:
            columns.append(
                [field.get_db_prep_save(field.pre_save(i, True), connection) for i in instances]
            )
    _copy_in(
        model._meta.db_table, [pk.column, *(f.column for f in fields)], zip(*columns, strict=True)
    )
    for instance, key in zip(instances, keys, strict=True):
        instance.pk = key
        instance._state.adding, instance._state.db = False, connection.alias


def _batch_insert(opened: list[Conversation], messages: list[tuple[Message, Conversation]]) -> None:
    """Store the conversations the batch opens, then its messages (each with the
    conversation it joins), each in one statement, and set their primary keys. On
    PostgreSQL the keys are reserved first, in one query, and the rows copied in;
    elsewhere `bulk_create`."""
    if connection.vendor != "postgresql":
        Conversation.objects.bulk_create(opened)
    else:
        conversation_keys, message_keys = _keys_reserved(
            (Conversation, len(opened)), (Message, len(messages))
        )
        _instances_insert(opened, conversation_keys)
    for message, conversation in messages:
        message.conversation = conversation
    if connection.vendor != "postgresql":
        Message.objects.bulk_create([message for message, _ in messages])
    else:
        _instances_insert([message for message, _ in messages], message_keys)


CONVERSATION_FIELDS_TOUCHED = [
    "vip",
    "language",
    "sentiment",
    "intent",
    "priority",
    "last_message_at",
    "status",
    "closed_at",
]


def _conversations_save(conversations: list[Conversation], fields: list[str]) -> None:
    """Save these fields of each conversation, in one round trip: on PostgreSQL one
    UPDATE from arrays of the new values, elsewhere one UPDATE statement run for every
    row. (`bulk_update` builds a CASE per row and field, which costs more than the rest
    of a batch.) Precondition: the rows are locked by this transaction."""
    if not conversations:
        return
    by_name = {f.name: f for f in Conversation._meta.concrete_fields}
    model_fields = [by_name[name] for name in fields]
    quote = connection.ops.quote_name
    table = quote(Conversation._meta.db_table)
    rows = [
        [f.get_db_prep_save(getattr(c, f.attname), connection) for f in model_fields] + [c.pk]
        for c in conversations
    ]
    if connection.vendor == "postgresql":
        # One statement for every row: the new values as one array per column.
        pk = Conversation._meta.pk
        assert pk is not None
        typed = [*model_fields, pk]
        arrays = ", ".join(f"%s::{_pg_array(f)}" for f in typed)
        names = ", ".join(quote(f.attname) for f in typed)
        columns = ", ".join(f"{quote(f.attname)} = v.{quote(f.attname)}" for f in model_fields)
        sql = (
            f"UPDATE {table} SET {columns} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
            f"WHERE {table}.{quote(pk.attname)} = v.{quote(pk.attname)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
        return
    columns = ", ".join(f"{quote(f.attname)} = %s" for f in model_fields)
    sql = f"UPDATE {table} SET {columns} WHERE {quote('id')} = %s"  # noqa: S608 (model names)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _take_message(conversation: Conversation, message: Message) -> list[SlaEventKind]:
    """Apply one new customer message to its conversation in memory; return the SLA
    events it causes before the message itself. The conversation carries its latest
    message's language, sentiment and intent, the highest priority any had, and is a VIP's
    once a VIP wrote in it; the
    customer writing again reopens a closed conversation and restarts the clock of one
    waiting on them."""
    conversation.language, conversation.sentiment = message.language, message.sentiment
    conversation.intent = message.intent
    conversation.priority = max(conversation.priority, message.priority, key=PRIORITY_ORDER.index)
    conversation.vip = conversation.vip or _from_vip(message)
    conversation.last_message_at = max(conversation.last_message_at, message.created_at)
    if conversation.status == ConversationStatus.CLOSED:
        conversation.status, conversation.closed_at = ConversationStatus.OPEN, None
        return [SlaEventKind.REOPENED]
    if conversation.status == ConversationStatus.WAITING:
        conversation.status = ConversationStatus.OPEN
        return [SlaEventKind.WAITING_ENDED]
    return []


def _sla_events_store(happened: list[tuple[Conversation, SlaEventKind, dt.datetime]]) -> None:
    """Store what `roost.inbox.sla.services.event_record` stores, for the whole batch, in
    one statement. On PostgreSQL the rows go as one array per column, with no model
    instance per row: a batch records an event or two per message, and building and
    preparing those instances cost more than the database spends storing them.
    Precondition: the conversations are stored."""
    if not happened:
        return
    if connection.vendor != "postgresql":
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                organization_id=c.organization_id, conversation_id=c.pk, kind=kind.value, at=at
            )
            for c, kind, at in happened
        )
        return
    _copy_in(
        ConversationEvent._meta.db_table,
        ["organization_id", "conversation_id", "kind", "at"],
        ((c.organization_id, c.pk, kind.value, at) for c, kind, at in happened),
    )


def _route_opened(
    channel: Channel, arrivals: list[_Arrival], by_key: dict[str, Conversation]
) -> RoutingBatch:
    """Route each conversation the batch opens, on its first message, before it is stored
    (so that its INSERT carries the routing); the returned batch audits it when closed."""
    opening = [a for a in arrivals if a.opens]
    if not opening:
        return RoutingBatch(rules=[])
    batch = RoutingBatch.for_organization(channel.organization_id)
    for arrival in opening:
        conversation_route(conversation=by_key[arrival.key], message=arrival.message, batch=batch)
    return batch


def _key_checks_by_index() -> None:
    """Have PostgreSQL check the batch's foreign keys by primary-key index, as it does
    when the transaction commits (the constraints are deferred).

    Each inserted row's reference (to its conversation, channel, account, organisation)
    is checked by a query that the server plans once per connection and then keeps. A plan
    made while a table is small reads the whole table, and is kept while the table grows
    (until the table is next analysed): on a new installation every message then costs
    a read of every conversation stored so far, and a poll's commit grows from
    milliseconds to most of a second. A lookup by primary key is never worse by much
    than reading a table of a few pages, so the rest of the transaction plans without
    sequential reads. Runs last: it changes the plans of this transaction's later
    statements only (and the commit's checks), and what is planned here is kept.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


_TEXT_FIELDS = ("external_id", "author_handle", "author_name", "text", "parent_external_id", "url")


def _storable(item: Inbound) -> Inbound:
    """The item with NUL and lone surrogates replaced, so what a network sent is kept
    rather than lost to a failing write (webhook deliveries are refused before this)."""
    changes: dict[str, Any] = {
        name: text_repaired(getattr(item, name))
        for name in _TEXT_FIELDS
        if text_problem(getattr(item, name)) is not None
    }
    return dataclasses.replace(item, **changes) if changes else item


def messages_store(*, channel: Channel, items: list[Inbound]) -> int:
    """Store what is new among `items`; return how many were new. Safe to call twice, and
    from two workers at once: writers of an account take turns, so each message is stored
    once, even when it is fetched through two channels of one account. Runs in a
    transaction of its own, or in the caller's (the polling job advances its cursor in the
    same one).

    A batch costs the same few queries whatever its size, plus the waking of each
    snoozed conversation it touches.
    """
    if not items:
        return 0
    items = [_storable(item) for item in items]
    labels = _labels_of_unseen(channel, items)
    # No savepoint inside the caller's transaction: a failure here fails the whole of it.
    with transaction.atomic(savepoint=False):
        identity = identity_locked(channel)
        arrivals = _arrivals(channel, identity, items, labels)
        if not arrivals:
            return 0
        by_key = _conversations_for(channel, identity, arrivals)
        happened: list[tuple[Conversation, SlaEventKind, dt.datetime]] = []
        snoozed: list[tuple[Conversation, dt.datetime]] = []
        for arrival in arrivals:
            conversation, at = by_key[arrival.key], arrival.item.created_at
            kinds = (
                [SlaEventKind.OPENED]
                if arrival.opens
                else _take_message(conversation, arrival.message)
            )
            if conversation.status == ConversationStatus.SNOOZED:
                snoozed.append((conversation, at))
            happened.extend((conversation, kind, at) for kind in kinds)
            happened.append((conversation, SlaEventKind.CUSTOMER_MESSAGE, at))
        routing = _route_opened(channel, arrivals, by_key)
        _batch_insert(
            [by_key[a.key] for a in arrivals if a.opens],
            [(a.message, by_key[a.key]) for a in arrivals],
        )
        moderation_rules_apply(
            channel=channel, classified=[(a.message, a.classification) for a in arrivals]
        )
        new_keys = {a.key for a in arrivals if a.opens}
        stored = [c for key, c in by_key.items() if key not in new_keys]
        _conversations_save(stored, CONVERSATION_FIELDS_TOUCHED)
        # Snooze: the customer writing again wakes a snoozed conversation (with its own SLA
        # event, before the batch's, and audit entry; a second message finds it awake).
        for conversation, at in snoozed:
            conversation_wake(conversation=conversation, reason=WakeReason.CUSTOMER_MESSAGE, at=at)
        _sla_events_store(happened)
        # Locks are taken account, conversations, rules, and the organisation (audit) last.
        routing.close()
        _key_checks_by_index()
    return len(arrivals)


def channel_ingest(*, channel: Channel) -> IngestResult:
    """Fetch a channel's new inbound, up to `MAX_PAGES` pages, and store it in one
    transaction with the cursor after the last page fetched.

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
    if not connector.capabilities_for(channel.network) & FETCH_CAPABILITIES:
        return IngestResult(0, 0)
    items: list[Inbound] = []
    pages = 0
    position = cursor.cursor or None
    last_error = ""
    for _ in range(MAX_PAGES):
        try:
            page = connector.fetch(cursor=position)
        except ConnectorError as error:
            last_error = str(error)[:500]
            break
        pages += 1
        items.extend(page.items)
        moved = page.cursor != position
        position = page.cursor
        if not page.items or not moved:
            break
    if not pages:
        InboxCursor.objects.filter(pk=cursor.pk).update(last_error=last_error)
        return IngestResult(0, 0)
    with transaction.atomic():
        stored = messages_store(channel=channel, items=items)
        InboxCursor.objects.filter(pk=cursor.pk).update(
            cursor=position or "", fetched_at=timezone.now(), last_error=last_error
        )
    return IngestResult(len(items), stored)


def channels_ingest_all() -> int:
    """Poll every active channel; return how many messages were new."""
    stored = 0
    # The organisation and channel group come along: routing, moderation and the audit
    # read them for every batch.
    active = Channel.objects.filter(status=ChannelStatus.ACTIVE).select_related(
        "organization", "channel_group"
    )
    for channel in active.order_by("pk"):
        try:
            stored += channel_ingest(channel=channel).stored
        except Exception:
            logger.exception("fetching the inbox of channel %s failed", channel.pk)
    return stored
