"""The inbox's row locks, each taken one way (`roost.core.locks`: in primary-key order).
No other inbox module calls `select_for_update`.

A transaction that takes several kinds takes them in this order: the account
(`identity_locked`), its conversations, the routing rules, and the organisation (the
audit log's lock) last.
"""

from __future__ import annotations

from collections.abc import Iterable

from roost.channels.models import Channel
from roost.core.locks import locked, locked_one
from roost.inbox.models import (
    ClassifierAdapter,
    Conversation,
    InboxIdentity,
    RoutingRule,
    identity_fields,
)


def identity_locked(channel: Channel) -> InboxIdentity:
    """The channel's account, locked, made the first time it is asked for: writers of one
    account's messages (through any of its channels) take turns, a batch at a time, so
    that what a batch finds missing it can create without racing another worker. (FOR NO
    KEY UPDATE: rows that refer to the account can still be written meanwhile.)"""
    account = InboxIdentity.objects.filter(**identity_fields(channel))
    found = locked(account, no_key=True)
    if not found:
        InboxIdentity.objects.for_channel(channel)
        found = locked(account, no_key=True)
    return found[0]


def conversations_locked(*, identity: InboxIdentity, keys: Iterable[str]) -> list[Conversation]:
    """The account's stored conversations with these keys, locked."""
    return locked(Conversation.objects.filter(identity=identity, key__in=sorted(set(keys))))


def conversation_locked_with_channel(conversation_id: int) -> Conversation | None:
    """The conversation (None when it is gone), locked, with its channel, channel group
    and organisation read in but not locked."""
    conversations = Conversation.objects.select_related("channel__channel_group__organization")
    try:
        return locked_one(conversations, conversation_id, of=("self",))
    except Conversation.DoesNotExist:
        return None


def routing_rule_locked(rule_id: int) -> RoutingRule:
    return locked_one(RoutingRule.objects.all(), rule_id)


def routing_rules_locked(*, organization_id: int) -> list[RoutingRule]:
    """Every routing rule of the organisation, locked (as reordering needs)."""
    return locked(RoutingRule.objects.filter(organization_id=organization_id))


def classifier_adapter_locked(*, organization_id: int) -> ClassifierAdapter:
    """The organisation's classifier adapter, locked, made (empty) the first time: two
    retrainings take turns, so each stores its own version. A lost race to make it finds
    the winner's row."""
    adapter = ClassifierAdapter.objects.filter(organization_id=organization_id)
    found = locked(adapter)
    if not found:
        ClassifierAdapter.objects.bulk_create(
            [ClassifierAdapter(organization_id=organization_id, version=0)],
            ignore_conflicts=True,
        )
        found = locked(adapter)
    return found[0]
