"""Saved filters: a person's named queue views, kept for them alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roost.core.actions import audited_create, audited_delete
from roost.core.models import User
from roost.core.permissions import Action, channel_group_ids_allowed
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.filters import filter_from_query
from roost.inbox.models import SavedFilter

MAX_NAME = 80
MAX_PER_PERSON = 50
AUDITED_FIELDS = ("name", "query")


def saved_filter_create(*, actor: User, name: str, query: Mapping[str, Any]) -> SavedFilter:
    """Save the queue, search and filters in `query` (as the queue page's query string
    names them: queue, q, status, priority) under `name`; anything unknown is dropped."""
    allowed = channel_group_ids_allowed(actor, Action.INBOX_VIEW)
    if allowed is not None and not allowed:
        raise InboxError(InboxProblem.SAVED_FILTER_NO_INBOX)
    name = name.strip()
    if not name:
        raise InboxError(InboxProblem.SAVED_FILTER_NAME_MISSING, field="name")
    if len(name) > MAX_NAME:
        raise InboxError(InboxProblem.SAVED_FILTER_NAME_TOO_LONG, field="name", limit=MAX_NAME)
    mine = SavedFilter.objects.filter(organization_id=actor.organization_id, owner=actor)
    if mine.filter(name__iexact=name).exists():
        raise InboxError(InboxProblem.SAVED_FILTER_NAME_TAKEN, field="name", name=name)
    if mine.count() >= MAX_PER_PERSON:
        raise InboxError(InboxProblem.SAVED_FILTERS_TOO_MANY, limit=MAX_PER_PERSON)
    clean = filter_from_query(query).as_query()
    return audited_create(
        SavedFilter,
        actor=actor,
        organization=actor.organization,
        values={"owner": actor, "name": name, "query": clean},
        action="inbox.saved_filter.created",
        fields=AUDITED_FIELDS,
    )


def saved_filter_delete(*, actor: User, saved_filter: SavedFilter) -> None:
    if saved_filter.owner_id != actor.pk or saved_filter.organization_id != actor.organization_id:
        raise InboxError(InboxProblem.SAVED_FILTER_NOT_FOUND)
    audited_delete(
        saved_filter,
        actor=actor,
        organization=actor.organization,
        action="inbox.saved_filter.deleted",
        fields=AUDITED_FIELDS,
    )
