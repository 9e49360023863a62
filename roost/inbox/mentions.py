"""@mentions in internal notes: who is meant, and telling them.

The rule: `@name` mentions the active person in the organisation whose e-mail address
begins with `name@` (compared without regard to case), so `@ada` is
ada@northwind.example. A mention is left as plain text, and nobody is told, when it
matches nobody, when it matches more than one person, when it names the note's
author, or when the person may not see the conversation's channel group.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.db.models import Q
from django.urls import reverse

from roost.core.models import User
from roost.core.notifications import notify
from roost.core.permissions import Action, can
from roost.inbox.models import Conversation, Message

MENTION = re.compile(r"(?<![\w@.+-])@([A-Za-z0-9][A-Za-z0-9._+-]*)")
MAX_MENTIONS = 20
HELP_TEXT = (
    "In an internal note, @ and the part of a colleague's e-mail address before the @ "
    "mentions them (ada@example.com is @ada): they are notified, by e-mail too, with the note."
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


def mentions_notify(*, note: Message, people: list[User]) -> None:
    """Tell each mentioned person, in the note's transaction: a notification in Roost and,
    once the note commits, a message on their contact methods (e-mail by default)."""
    if not people:
        return
    conversation = note.conversation
    author = note.sent_by.name if note.sent_by else "Someone"
    where = f"{conversation.author_handle} on {conversation.channel.handle}"
    notify(
        organization=conversation.channel.channel_group.organization,
        recipients=people,
        subject=f"{author} mentioned you in a note on {where}",
        body=f"{author} wrote:\n\n{note.text}\n\nOpen it in Roost: Inbox → {where}.",
        url=reverse("inbox:conversation", args=[conversation.pk]),
        source=conversation,
    )
