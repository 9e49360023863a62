"""The inbox over the API: the same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, Strict

from roost.core import selectors as core_selectors
from roost.core.api_access.auth import require_scope
from roost.core.api_access.fields import Flag, Id, Moment, QueryId, StrictText
from roost.core.api_access.tokens import Scope
from roost.core.permissions import Action, require
from roost.inbox import moderation, selectors, services, settings_selectors
from roost.inbox.classify import Intent
from roost.inbox.classify_backends.configuration import (
    LIMITS,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    ClassifierSpec,
    classifier_settings_of,
    classifier_settings_update,
)
from roost.inbox.corrections.services import conversation_label_correct
from roost.inbox.errors import InboxError, InboxProblem
from roost.inbox.filters import Queue
from roost.inbox.models import (
    ClassifierBackendKind,
    ClassifierSettings,
    Conversation,
    ConversationStatus,
    Message,
    MessageModeration,
    ModerationRule,
)
from roost.inbox.moderation import RULE_NAME_MAX

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


# Moderation: hiding a comment on its network, and the undo.


class ModerationOut(Schema):
    message_id: int
    hidden: bool
    network: str
    changed_at: dt.datetime
    rule_id: int | None


def _moderation_out(message: Message, row: MessageModeration) -> ModerationOut:
    return ModerationOut(
        message_id=message.pk,
        hidden=row.hidden,
        network=message.channel.network,
        changed_at=row.changed_at,
        rule_id=row.rule_id,
    )


@router.post("/messages/{message_id}/hide", response=ModerationOut, summary="Hide a comment")
def message_hide(request: HttpRequest, message_id: QueryId) -> ModerationOut:
    """Hide someone's comment, reply or mention on its network (where the network allows
    it; 409 where it does not). Undo with `unhide`."""
    viewer = require_scope(request, Scope.INBOX_WRITE)
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    return _moderation_out(message, moderation.message_hide(actor=viewer, message=message))


@router.post("/messages/{message_id}/unhide", response=ModerationOut, summary="Unhide a comment")
def message_unhide(request: HttpRequest, message_id: QueryId) -> ModerationOut:
    """Show a hidden comment on its network again (the undo of `hide`)."""
    viewer = require_scope(request, Scope.INBOX_WRITE)
    message = selectors.message_get(viewer=viewer, message_id=message_id)
    return _moderation_out(message, moderation.message_unhide(actor=viewer, message=message))


# The organisation's classifier settings.


class ClassifierOut(Schema):
    backend: str
    model_path: str
    endpoint_url: str
    endpoint_model: str
    timeout_ms: int
    api_key_set: bool = Field(..., description="Whether an API key is stored; it is never shown.")
    fallbacks: int
    last_fallback_at: dt.datetime | None
    last_fallback_reason: str


class ClassifierIn(Input):
    backend: ClassifierBackendKind
    model_path: Annotated[StrictText, Field(max_length=LIMITS["model_path"])] = ""
    endpoint_url: Annotated[StrictText, Field(max_length=LIMITS["endpoint_url"])] = ""
    endpoint_model: Annotated[StrictText, Field(max_length=LIMITS["endpoint_model"])] = ""
    timeout_ms: Annotated[int, Strict(), Field(ge=MIN_TIMEOUT_MS, le=MAX_TIMEOUT_MS)] = 3000
    api_key: Annotated[StrictText, Field(max_length=LIMITS["api_key"])] | None = Field(
        None,
        description='Write-only. Omitted or null keeps the stored key; "" removes it.',
    )


def _classifier_out(row: ClassifierSettings) -> ClassifierOut:
    return ClassifierOut(
        backend=row.backend,
        model_path=row.model_path,
        endpoint_url=row.endpoint_url,
        endpoint_model=row.endpoint_model,
        timeout_ms=row.timeout_ms,
        api_key_set=bool(row.endpoint_key_sealed),
        fallbacks=row.fallbacks,
        last_fallback_at=row.last_fallback_at,
        last_fallback_reason=row.last_fallback_reason,
    )


@router.get("/classifier", response=ClassifierOut, summary="The classifier settings")
def classifier_get(request: HttpRequest) -> ClassifierOut:
    """Which backend labels the organisation's inbound messages. Nothing leaves the
    machine unless the backend is an endpoint."""
    viewer = require_scope(request, Scope.INBOX_READ)
    require(viewer, Action.ORG_VIEW)
    return _classifier_out(classifier_settings_of(organization_id=viewer.organization_id))


@router.put("/classifier", response=ClassifierOut, summary="Change the classifier settings")
def classifier_put(request: HttpRequest, payload: ClassifierIn) -> ClassifierOut:
    """Choose the backend and its settings (admins only)."""
    viewer = require_scope(request, Scope.INBOX_CONFIGURE)
    spec = ClassifierSpec(**payload.dict())
    return _classifier_out(
        classifier_settings_update(actor=viewer, organization=viewer.organization, spec=spec)
    )


# Moderation rules.


class ModerationRuleOut(Schema):
    id: int
    name: str
    intent: str
    min_confidence: float
    channel_ids: list[int]
    enabled: bool


class ModerationRuleIn(Input):
    name: Annotated[StrictText, Field(min_length=1, max_length=RULE_NAME_MAX)]
    intent: Intent
    min_confidence: Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
    channel_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    enabled: Flag = True


def _rule_out(rule: ModerationRule) -> ModerationRuleOut:
    return ModerationRuleOut(
        id=rule.pk,
        name=rule.name,
        intent=rule.intent,
        min_confidence=rule.min_confidence,
        channel_ids=sorted(c.pk for c in rule.channels.all()),
        enabled=rule.enabled,
    )


def _rule_spec(payload: ModerationRuleIn) -> moderation.ModerationRuleSpec:
    return moderation.ModerationRuleSpec(
        name=payload.name,
        intent=payload.intent.value,
        min_confidence=payload.min_confidence,
        channel_ids=payload.channel_ids,
        enabled=payload.enabled,
    )


@router.get("/moderation-rules", response=list[ModerationRuleOut], summary="Moderation rules")
def moderation_rule_list(request: HttpRequest) -> list[ModerationRuleOut]:
    viewer = require_scope(request, Scope.INBOX_READ)
    return [_rule_out(r) for r in settings_selectors.moderation_rule_list(viewer=viewer)]


@router.get("/moderation-rules/{rule_id}", response=ModerationRuleOut)
def moderation_rule_get(request: HttpRequest, rule_id: QueryId) -> ModerationRuleOut:
    viewer = require_scope(request, Scope.INBOX_READ)
    return _rule_out(settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id))


@router.post(
    "/moderation-rules", response={201: ModerationRuleOut}, summary="Add a moderation rule"
)
def moderation_rule_create(request: HttpRequest, payload: ModerationRuleIn) -> Status:
    """Hide, on the network, new comments on these channels that the classifier gives
    this intent with at least this confidence."""
    viewer = require_scope(request, Scope.INBOX_CONFIGURE)
    rule = moderation.moderation_rule_create(actor=viewer, spec=_rule_spec(payload))
    return Status(201, _rule_out(rule))


@router.put("/moderation-rules/{rule_id}", response=ModerationRuleOut)
def moderation_rule_update(
    request: HttpRequest, rule_id: QueryId, payload: ModerationRuleIn
) -> ModerationRuleOut:
    """Change a rule as a whole; `enabled: false` turns it off."""
    viewer = require_scope(request, Scope.INBOX_CONFIGURE)
    rule = settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id)
    updated = moderation.moderation_rule_update(actor=viewer, rule=rule, spec=_rule_spec(payload))
    return _rule_out(settings_selectors.moderation_rule_get(viewer=viewer, rule_id=updated.pk))


@router.delete("/moderation-rules/{rule_id}", response={204: None})
def moderation_rule_delete(request: HttpRequest, rule_id: QueryId) -> Status:
    viewer = require_scope(request, Scope.INBOX_CONFIGURE)
    rule = settings_selectors.moderation_rule_get(viewer=viewer, rule_id=rule_id)
    moderation.moderation_rule_delete(actor=viewer, rule=rule)
    return Status(204, None)
