"""The inbox over the API: the same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from roost.core import selectors as core_selectors
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Moment, StrictText
from roost.core.api_access.tokens import Scope
from roost.inbox import selectors, services
from roost.inbox.corrections.services import conversation_label_correct
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.filters import Queue
from roost.inbox.models import Conversation, ConversationStatus, Message

router = Router(tags=["inbox"])


class MessageOut(Schema):
    id: int
    external_id: str
    kind: str
    direction: str
    author_handle: str
    text: str
    url: str
    created_at: dt.datetime
    language: str
    sentiment: str
    intent: str


class ConversationOut(Schema):
    id: int
    channel_id: int
    author_handle: str
    status: str
    priority: str
    vip: bool
    language: str
    sentiment: str
    intent: str
    tags: list[str]
    assignee_id: int | None
    last_message_at: dt.datetime
    sla_state: str
    sla_due_at: dt.datetime | None
    snoozed_until: dt.datetime | None


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class Input(Schema):
    """Request bodies refuse fields they do not know, so a misspelt one is not ignored."""

    model_config = ConfigDict(extra="forbid")


class ReplyIn(Input):
    text: StrictText
    # The newest message the client has shown; a reply someone else sent after it is
    # refused with 409 unless `confirm` is true (as on the conversation page).
    seen_message_id: Id | None = None
    confirm: Flag = False


class AssignIn(Input):
    assignee_id: Id | None = Field(..., description="A person's id, or null to unassign.")


class TagsIn(Input):
    tags: Annotated[list[Annotated[StrictText, Field(max_length=100)]], Field(max_length=50)]


class StatusIn(Input):
    status: ConversationStatus
    # Required with "snoozed", refused otherwise.
    snoozed_until: Moment | None = None


class LabelIn(Input):
    field: StrictText = Field(..., description="language, sentiment or intent")
    value: StrictText = Field(..., description="The right label, e.g. negative or complaint.")


def _out(conversation: Conversation) -> ConversationOut:
    return ConversationOut.from_orm(conversation)


def _detail(conversation: Conversation) -> ConversationDetailOut:
    messages = [MessageOut.from_orm(m) for m in selectors.conversation_thread(conversation)]
    return ConversationDetailOut(**_out(conversation).dict(), messages=messages)


@router.get(
    "/conversations", response=list[ConversationOut], summary="List or search conversations"
)
def conversation_list(
    request: HttpRequest,
    queue: Queue = Queue.ALL,
    q: Annotated[str, Field(max_length=500)] = "",
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> list[ConversationOut]:
    viewer = require_scope(request, Scope.INBOX_READ)
    rows = selectors.conversation_list(viewer=viewer, queue=queue, search=q)[:limit]
    return [_out(c) for c in rows]


@router.get("/conversations/{conversation_id}", response=ConversationDetailOut)
def conversation_get(request: HttpRequest, conversation_id: int) -> ConversationDetailOut:
    viewer = require_scope(request, Scope.INBOX_READ)
    return _detail(selectors.conversation_get(viewer=viewer, conversation_id=conversation_id))


@router.post("/conversations/{conversation_id}/replies", response={201: MessageOut})
def conversation_reply(request: HttpRequest, conversation_id: int, payload: ReplyIn) -> Status:
    viewer = require_scope(request, Scope.INBOX_WRITE)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    reply: Message = services.conversation_reply(
        actor=viewer,
        conversation=conversation,
        text=payload.text,
        seen_message_id=payload.seen_message_id,
        confirmed=payload.confirm,
    )
    return Status(201, MessageOut.from_orm(reply))


@router.post("/conversations/{conversation_id}/assignee", response=ConversationOut)
def conversation_assign(
    request: HttpRequest, conversation_id: int, payload: AssignIn
) -> ConversationOut:
    viewer = require_scope(request, Scope.INBOX_WRITE)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    assignee = (
        None
        if payload.assignee_id is None
        else core_selectors.user_get(viewer=viewer, user_id=payload.assignee_id)
    )
    return _out(
        services.conversation_assign(actor=viewer, conversation=conversation, assignee=assignee)
    )


@router.put("/conversations/{conversation_id}/tags", response=ConversationOut)
def conversation_tags(
    request: HttpRequest, conversation_id: int, payload: TagsIn
) -> ConversationOut:
    viewer = require_scope(request, Scope.INBOX_WRITE)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    return _out(
        services.conversation_tag(actor=viewer, conversation=conversation, tags=payload.tags)
    )


@router.post("/conversations/{conversation_id}/status", response=ConversationOut)
def conversation_status(
    request: HttpRequest, conversation_id: int, payload: StatusIn
) -> ConversationOut:
    """Close, reopen (`open`), mark as waiting on the customer, or snooze until a time."""
    viewer = require_scope(request, Scope.INBOX_WRITE)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    if payload.status == ConversationStatus.SNOOZED:
        if payload.snoozed_until is None:
            raise InboxError(InboxProblem.UNTIL_NOT_GIVEN, field="snoozed_until")
        return _out(
            services.conversation_snooze(
                actor=viewer, conversation=conversation, until=payload.snoozed_until
            )
        )
    if payload.snoozed_until is not None:
        raise InboxError(InboxProblem.UNTIL_WITHOUT_SNOOZE, field="snoozed_until")
    return _out(
        services.conversation_status_set(
            actor=viewer, conversation=conversation, status=payload.status
        )
    )


@router.post("/conversations/{conversation_id}/labels", response=ConversationOut)
def conversation_labels(
    request: HttpRequest, conversation_id: int, payload: LabelIn
) -> ConversationOut:
    """Correct the conversation's language, sentiment or intent (and so its latest
    customer message's); the priority follows, and the organisation's classifier learns
    from it at its next retraining."""
    viewer = require_scope(request, Scope.INBOX_WRITE)
    conversation = selectors.conversation_get(viewer=viewer, conversation_id=conversation_id)
    conversation_label_correct(
        actor=viewer, conversation=conversation, field=payload.field, value=payload.value
    )
    return _out(conversation)
