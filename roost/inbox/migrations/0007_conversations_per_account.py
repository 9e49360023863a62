"""Give every conversation and message its account (`InboxIdentity`), and merge what two
placement channels of one account stored twice: one conversation per thread, one message
per network id. The conversation stored first is kept; the later copy's replies, notes and
SLA events move to it, its duplicate messages and events are dropped. Every VIP
conversation is marked from its messages' authors."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Count, Min, Q

PRIORITY_ORDER = ["low", "normal", "high", "urgent"]
# As `roost.inbox.classify.priority.VIP_FOLLOWERS` said when this was written.
VIP_FOLLOWERS = 50_000


def _handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def _merge(keeper: Any, copy: Any, apps: Any) -> None:
    Message = apps.get_model("inbox", "Message")
    ConversationEvent = apps.get_model("inbox", "ConversationEvent")
    ConversationPresence = apps.get_model("inbox", "ConversationPresence")
    kept_ids = set(keeper.messages.values_list("external_id", flat=True))
    for message in Message.objects.filter(conversation_id=copy.pk).order_by("pk"):
        if message.external_id in kept_ids:
            message.delete()
        else:
            kept_ids.add(message.external_id)
            Message.objects.filter(pk=message.pk).update(conversation_id=keeper.pk)
    kept_events = set(
        ConversationEvent.objects.filter(conversation_id=keeper.pk).values_list("kind", "at")
    )
    for event in ConversationEvent.objects.filter(conversation_id=copy.pk):
        if (event.kind, event.at) in kept_events:
            event.delete()
        else:
            ConversationEvent.objects.filter(pk=event.pk).update(conversation_id=keeper.pk)
    ConversationPresence.objects.filter(conversation_id=copy.pk).delete()
    keeper.priority = max(keeper.priority, copy.priority, key=PRIORITY_ORDER.index)
    keeper.last_message_at = max(keeper.last_message_at, copy.last_message_at)
    responses = [at for at in (keeper.first_response_at, copy.first_response_at) if at]
    keeper.first_response_at = min(responses) if responses else None
    keeper.assignee_id = keeper.assignee_id or copy.assignee_id
    keeper.team_id = keeper.team_id or copy.team_id
    keeper.tags = list(dict.fromkeys([*keeper.tags, *copy.tags]))
    if keeper.status == "closed" and copy.status != "closed":
        keeper.status, keeper.closed_at = copy.status, None
    keeper.sla_state = keeper.sla_alerted = ""  # recomputed by the next SLA refresh
    keeper.save()
    copy.delete()


def forwards(apps: Any, schema_editor: Any) -> None:
    Channel = apps.get_model("channels", "Channel")
    InboxIdentity = apps.get_model("inbox", "InboxIdentity")
    Conversation = apps.get_model("inbox", "Conversation")
    Message = apps.get_model("inbox", "Message")
    for channel in Channel.objects.order_by("pk"):
        identity, _ = InboxIdentity.objects.get_or_create(
            organization_id=channel.organization_id,
            connector=channel.connector,
            network=channel.network,
            handle=_handle(channel.handle),
        )
        Conversation.objects.filter(channel_id=channel.pk).update(identity_id=identity.pk)
    for conversation_id, identity_id in Conversation.objects.values_list("pk", "identity_id"):
        Message.objects.filter(conversation_id=conversation_id).update(identity_id=identity_id)
    twice = (
        Conversation.objects.values("identity_id", "key")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )
    for row in twice:
        kept, *copies = Conversation.objects.filter(
            identity_id=row["identity_id"], key=row["key"]
        ).order_by("first_message_at", "pk")
        for copy in copies:
            _merge(kept, copy, apps)
    # A message stored twice in two different threads: the first stored stays.
    doubled = (
        Message.objects.values("identity_id", "external_id")
        .annotate(copies=Count("pk"), first=Min("pk"))
        .filter(copies__gt=1)
    )
    for row in doubled:
        Message.objects.filter(
            identity_id=row["identity_id"], external_id=row["external_id"]
        ).exclude(pk=row["first"]).delete()
    vip = Message.objects.filter(direction="inbound").filter(
        Q(author_verified=True) | Q(author_followers__gte=VIP_FOLLOWERS)
    )
    Conversation.objects.filter(pk__in=vip.values("conversation_id")).update(vip=True)


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0002_channel_settings"),
        ("inbox", "0006_inbox_identity"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
