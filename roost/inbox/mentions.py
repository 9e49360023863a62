"""@mentions in internal notes: who is meant, and telling them by e-mail.

The rule: `@name` mentions the active person in the organisation whose e-mail address
begins with `name@` (compared without regard to case), so `@ada` is
ada@northwind.example. A mention is left as plain text, and nobody is told, when it
matches nobody, when it matches more than one person, when it names the note's
author, or when the person may not see the conversation's channel group.
"""

from __future__ import annotations

import logging
import re
from functools import partial, reduce
from operator import or_

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from roost.core.models import User
from roost.core.notifications.links import absolute_url
from roost.core.permissions import Action, can
from roost.inbox.models import Conversation, Message

logger = logging.getLogger(__name__)

MENTION = re.compile(r"(?<![\w@.+-])@([A-Za-z0-9][A-Za-z0-9._+-]*)")
MAX_MENTIONS = 20
HELP_TEXT = (
    "In an internal note, @ and the part of a colleague's e-mail address before the @ "
    "mentions them (ada@example.com is @ada): they get an e-mail with the note."
)


def mention_names(text: str) -> list[str]:
    """The names mentioned in `text`, lower-cased, once each, in order of appearance.
    Punctuation that ends a sentence is not part of a name (`@ada.` is `ada`)."""
    names: list[str] = []
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip("._-").lower()
        if name and name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def people_mentioned(*, text: str, conversation: Conversation, author: User) -> list[User]:
    """The people `text` mentions who may see `conversation`, by the rule above."""
    names = mention_names(text)
    if not names:
        return []
    candidates = User.objects.filter(
        organization_id=conversation.organization_id, is_active=True
    ).filter(reduce(or_, (Q(email__istartswith=f"{name}@") for name in names)))
    by_name: dict[str, list[User]] = {}
    for person in candidates.order_by("pk"):
        by_name.setdefault(person.email.rsplit("@", 1)[0].lower(), []).append(person)
    group = conversation.channel.channel_group
    found = []
    for name in names:
        matches = by_name.get(name, [])
        if len(matches) != 1 or matches[0].pk == author.pk:
            continue
        if can(matches[0], Action.INBOX_VIEW, channel_group=group):
            found.append(matches[0])
    return found


def mentions_notify_after_commit(*, note: Message, people: list[User]) -> None:
    """E-mail each mentioned person once the note is committed (by ids, not objects)."""
    if people:
        transaction.on_commit(
            partial(_mentions_email, note_id=note.pk, user_ids=[p.pk for p in people])
        )


def _mentions_email(*, note_id: int, user_ids: list[int]) -> None:
    note = (
        Message.objects.select_related("conversation__channel", "sent_by")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        return
    conversation = note.conversation
    author = note.sent_by.name if note.sent_by else "Someone"
    where = f"{conversation.author_handle} on {conversation.channel.handle}"
    subject = f"[Roost] {author} mentioned you in a note on {where}"
    path = reverse("inbox:conversation", args=[conversation.pk])
    link = absolute_url(path)
    body = f"{author} wrote:\n\n{note.text}\n\nOpen it in Roost: Inbox → {where} ({link}).\n"
    for person in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
        except Exception:
            # The note is saved either way; a mail server that is down must not undo it.
            logger.exception("e-mailing a mention to user %s failed", person.pk)
