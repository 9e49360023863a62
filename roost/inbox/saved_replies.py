"""Saved replies: canned answers the inbox team shares across the organisation.

Who may do what:
- anyone who may handle the inbox on some channel group may use saved replies and add
  new ones;
- the person who added a saved reply may change or delete it, and so may a manager or
  admin of the whole organisation (they curate the shared set).
"""

from __future__ import annotations

import re

from django.db import transaction

from roost.core import audit
from roost.core.models import User
from roost.core.permissions import LEADS, roles_of
from roost.core.tenancy import require_same_organization
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.models import SavedReply
from roost.inbox.selectors import handles_inbox
from roost.inbox.services import MAX_REPLY

MAX_TITLE = 120
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def may_use_saved_replies(user: User) -> bool:
    return handles_inbox(user)


def may_change_saved_reply(user: User, saved_reply: SavedReply) -> bool:
    if user.organization_id != saved_reply.organization_id or not may_use_saved_replies(user):
        return False
    return saved_reply.created_by_id == user.pk or bool(roles_of(user) & LEADS)


def _require_use(actor: User) -> None:
    if not may_use_saved_replies(actor):
        raise InboxError(InboxProblem.SAVED_REPLIES_NOT_ALLOWED)


def _require_change(actor: User, saved_reply: SavedReply) -> None:
    require_same_organization(actor, saved_reply, noun="Saved reply")
    _require_use(actor)
    if not may_change_saved_reply(actor, saved_reply):
        raise InboxError(InboxProblem.SAVED_REPLY_NOT_YOURS)


def _clean(
    *, actor: User, title: str, text: str, shortcut: str, saved_reply: SavedReply | None
) -> tuple[str, str, str]:
    title, text = title.strip(), text.strip()
    shortcut = shortcut.strip().removeprefix("/").lower()
    if not title:
        raise InboxError(InboxProblem.SAVED_REPLY_TITLE_MISSING, field="title")
    if len(title) > MAX_TITLE:
        raise InboxError(InboxProblem.SAVED_REPLY_TITLE_TOO_LONG, field="title", limit=MAX_TITLE)
    if not text:
        raise InboxError(InboxProblem.SAVED_REPLY_TEXT_MISSING, field="text")
    if len(text) > MAX_REPLY:
        raise InboxError(InboxProblem.SAVED_REPLY_TEXT_TOO_LONG, field="text", limit=MAX_REPLY)
    if shortcut:
        if not SHORTCUT.match(shortcut):
            raise InboxError(InboxProblem.SHORTCUT_INVALID, field="shortcut")
        taken = SavedReply.objects.filter(organization_id=actor.organization_id, shortcut=shortcut)
        if saved_reply is not None:
            taken = taken.exclude(pk=saved_reply.pk)
        if taken.exists():
            raise InboxError(InboxProblem.SHORTCUT_TAKEN, field="shortcut", shortcut=shortcut)
    return title, text, shortcut


def _summary(saved_reply: SavedReply) -> dict[str, object]:
    return {
        "title": saved_reply.title,
        "shortcut": saved_reply.shortcut,
        "length": len(saved_reply.text),
    }


def saved_reply_create(*, actor: User, title: str, text: str, shortcut: str = "") -> SavedReply:
    _require_use(actor)
    title, text, shortcut = _clean(
        actor=actor, title=title, text=text, shortcut=shortcut, saved_reply=None
    )
    with transaction.atomic():
        saved_reply = SavedReply.objects.create(
            organization_id=actor.organization_id,
            title=title,
            text=text,
            shortcut=shortcut,
            created_by=actor,
        )
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.saved_reply.created",
            target=saved_reply,
            after=_summary(saved_reply),
        )
    return saved_reply


def saved_reply_update(
    *, actor: User, saved_reply: SavedReply, title: str, text: str, shortcut: str = ""
) -> SavedReply:
    _require_change(actor, saved_reply)
    title, text, shortcut = _clean(
        actor=actor, title=title, text=text, shortcut=shortcut, saved_reply=saved_reply
    )
    with transaction.atomic():
        before = _summary(saved_reply)
        saved_reply.title, saved_reply.text, saved_reply.shortcut = title, text, shortcut
        saved_reply.save(update_fields=["title", "text", "shortcut"])
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.saved_reply.updated",
            target=saved_reply,
            before=before,
            after=_summary(saved_reply),
        )
    return saved_reply


def saved_reply_delete(*, actor: User, saved_reply: SavedReply) -> None:
    _require_change(actor, saved_reply)
    with transaction.atomic():
        audit.record(
            organization=actor.organization,
            actor=actor,
            action="inbox.saved_reply.deleted",
            target=saved_reply,
            before=_summary(saved_reply),
        )
        saved_reply.delete()
