"""Corrections and retraining: the one function for each change.

`conversation_label_correct` stores an agent's correction of a conversation's language,
sentiment or intent (on the conversation and on the customer message the label came
from), recomputes the priority the labels give, and writes the audit log.
`classifier_retrain` learns an organisation's adapter from that organisation's
corrections alone and measures it on the newest of them, held out.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM, Actor, SystemActor
from roost.core.models import Organization, User
from roost.core.permissions import Action, can
from roost.core.tenancy import require_on, require_organization
from roost.inbox.classify import PRIORITY_ORDER, Intent, Priority, Sentiment
from roost.inbox.corrections import evaluation
from roost.inbox.corrections.adapter import LABELS, labels_priority
from roost.inbox.corrections.errors import CorrectionError, CorrectionProblem
from roost.inbox.locks import classifier_adapter_locked, conversation_locked_with_channel
from roost.inbox.models import (
    ClassificationCorrection,
    ClassifierAdapter,
    Conversation,
    CorrectionField,
    Direction,
    Message,
)
from roost.inbox.sla.services import conversation_sla_refresh

logger = logging.getLogger(__name__)


def correction_value_check(*, field: str, value: str) -> tuple[CorrectionField, str]:
    """The field and value, checked: a known field and one of its labels."""
    if field not in CorrectionField.values:
        raise CorrectionError(CorrectionProblem.FIELD_UNKNOWN, field="field", value=field)
    allowed = LABELS[field]
    value = value.strip()
    if value not in allowed:
        raise CorrectionError(
            CorrectionProblem.LABEL_UNKNOWN,
            field="value",
            what=field,
            value=value,
            allowed=", ".join(allowed),
        )
    return CorrectionField(field), value


def _rank(priority: str) -> int:
    try:
        return PRIORITY_ORDER.index(Priority(priority))
    except ValueError:
        return 0


def _message_priority(message: Message, conversation: Conversation) -> str:
    """The priority the message's labels give it; its own when a label is not one the
    classifier knows (an old or foreign value)."""
    sentiment = message.sentiment or conversation.sentiment
    intent = message.intent or conversation.intent
    if sentiment not in Sentiment._value2member_map_ or intent not in Intent._value2member_map_:
        return message.priority
    priority, _ = labels_priority(
        sentiment=sentiment,
        intent=intent,
        author_followers=message.author_followers,
        author_verified=message.author_verified,
        text=message.text,
    )
    return priority.value


def conversation_label_correct(
    *, actor: User, conversation: Conversation, field: str, value: str
) -> ClassificationCorrection:
    """Correct one label of the conversation: whoever may work the conversation may.

    The label is the one its latest customer message gave it; that message is corrected
    too, and kept (with its text) to learn from. The priority follows the labels: each
    message's as the classifier computes it, the conversation's the highest of its
    messages', except that a higher priority set by a routing rule stays.
    """
    require_on(
        actor,
        conversation,
        Action.INBOX_HANDLE,
        noun="Conversation",
        channel_group=conversation.channel.channel_group,
    )
    checked, value = correction_value_check(field=field, value=value)
    with transaction.atomic():
        locked = conversation_locked_with_channel(conversation.pk)
        if locked is None:
            raise CorrectionError(CorrectionProblem.NOTHING_TO_CORRECT)
        inbound = list(
            Message.objects.filter(conversation=locked, direction=Direction.INBOUND).order_by(
                "created_at", "pk"
            )
        )
        if not inbound:
            raise CorrectionError(CorrectionProblem.NOTHING_TO_CORRECT)
        old = getattr(locked, checked.value) or ""
        if old == value:
            raise CorrectionError(
                CorrectionProblem.LABEL_UNCHANGED, field="value", what=checked.value, value=value
            )
        message = inbound[-1]
        messages_before = max(_rank(m.priority) for m in inbound)
        # A priority above every message's was set by a routing rule: it stays.
        floor = _rank(locked.priority) if _rank(locked.priority) > messages_before else 0
        setattr(message, checked.value, value)
        setattr(locked, checked.value, value)
        message_fields = [checked.value]
        if checked != CorrectionField.LANGUAGE:
            message.priority = _message_priority(message, locked)
            message_fields.append("priority")
        message.save(update_fields=message_fields)
        before_priority = locked.priority
        new_rank = max(floor, *(_rank(m.priority) for m in inbound))
        locked.priority = PRIORITY_ORDER[new_rank].value
        locked.save(update_fields=[checked.value, "priority"])
        correction = ClassificationCorrection.objects.create(
            organization_id=locked.organization_id,
            conversation=locked,
            message=message,
            field=checked.value,
            old_value=old,
            new_value=value,
            text=message.text,
            corrected_by=actor,
        )
        audit.record(
            organization=locked.channel.channel_group.organization,
            actor=actor,
            action="inbox.conversation.label_corrected",
            target=locked,
            before={checked.value: old, "priority": before_priority},
            after={
                checked.value: value,
                "priority": locked.priority,
                "message": message.pk,
                "correction": correction.pk,
            },
        )
        if locked.priority != before_priority:
            conversation_sla_refresh(conversation=locked)
    for name in (checked.value, "priority", "sla_state", "sla_due_at"):
        setattr(conversation, name, getattr(locked, name))
    return correction


@dataclass
class RetrainResult:
    """What one retraining did, for the command line and the report page."""

    organization: Organization
    adapter: ClassifierAdapter | None
    corrections: int
    report: evaluation.HeldOutReport | None = None
    skipped: str = ""
    notes: list[str] = field(default_factory=list)


def classifier_retrain(
    *, organization: Organization, actor: Actor = SYSTEM, only_if_new: bool = False
) -> RetrainResult:
    """Learn the organisation's adapter from its own corrections and store it (a new
    version), with its evaluation on the newest corrections, held out. A person must be
    a lead of the organisation; the scheduled job and the command line act as the system.
    `only_if_new`: do nothing when no correction arrived since the stored adapter."""
    if not isinstance(actor, SystemActor):
        require_organization(actor, organization)
        if not can(actor, Action.INBOX_CONFIGURE):
            raise CorrectionError(CorrectionProblem.RETRAIN_NOT_ALLOWED)
    corrections = list(
        ClassificationCorrection.objects.filter(organization=organization).order_by(
            "corrected_at", "pk"
        )
    )
    stored = ClassifierAdapter.objects.filter(organization=organization).first()
    newest = corrections[-1].pk if corrections else 0
    if not corrections:
        return RetrainResult(organization, stored, 0, skipped="no corrections yet")
    if only_if_new and stored is not None and stored.last_correction_id >= newest:
        return RetrainResult(organization, stored, len(corrections), skipped="nothing new")
    trained = evaluation.train_and_evaluate(corrections)
    now = timezone.now()
    with transaction.atomic():
        adapter = classifier_adapter_locked(organization_id=organization.pk)
        before = {"version": adapter.version} if adapter.version else None
        adapter.version += 1
        adapter.trained_at = now
        adapter.parameters = trained.adapter.to_parameters()
        adapter.corrections_used = trained.used
        adapter.last_correction_id = newest
        adapter.evaluation = trained.report.as_json() if trained.report else {}
        adapter.save(
            update_fields=[
                "version",
                "trained_at",
                "parameters",
                "corrections_used",
                "last_correction_id",
                "evaluation",
            ]
        )
        audit.record(
            organization=organization,
            actor=actor,
            action="inbox.classifier.retrained",
            target=adapter,
            before=before,
            after={
                "version": adapter.version,
                "corrections": trained.used,
                "evaluation": adapter.evaluation,
            },
        )
    return RetrainResult(organization, adapter, len(corrections), report=trained.report)


def classifiers_retrain_due(*, now: dt.datetime | None = None) -> int:
    """Retrain every organisation with corrections newer than its adapter (the scheduled
    job); return how many were retrained."""
    del now  # the slot is the clock's; retraining depends only on the corrections
    with_corrections = (
        ClassificationCorrection.objects.values_list("organization_id", flat=True)
        .order_by("organization_id")
        .distinct()
    )
    retrained = 0
    for organization in Organization.objects.filter(pk__in=list(with_corrections)).order_by("pk"):
        try:
            result = classifier_retrain(organization=organization, only_if_new=True)
        except Exception:  # one organisation's failure must not hold back the others'
            logger.exception("retraining the classifier of organisation %s failed", organization.pk)
            continue
        retrained += 0 if result.skipped else 1
    return retrained


def retrain_summary(result: RetrainResult) -> str:
    """One line on what a retraining did and how the model does on held-out corrections."""
    org = result.organization
    name = f"{org.name} ({org.slug})"
    if result.skipped or result.adapter is None:
        return f"{name}: {result.skipped or 'not trained'}; {result.corrections} corrections."
    adapter = result.adapter
    line = (
        f"{name}: model version {adapter.version} learned from "
        f"{adapter.corrections_used} corrections."
    )
    report = result.report
    if report is None:
        return f"{line} Too few corrections to hold any out for evaluation (5 needed)."
    fields = ", ".join(
        f"{field} {score.base_right}/{score.held_out} -> {score.adapted_right}/{score.held_out}"
        for field, score in sorted(report.fields.items())
    )
    return (
        f"{line} On the newest {report.held_out} corrections, held out: base classifier "
        f"{report.base_accuracy:.0%} right, adapted {report.adapted_accuracy:.0%} right "
        f"({fields})."
    )
