"""The labels panel of a conversation: its language, sentiment and intent, each with the
buttons that correct it in one click (`inbox/_labels.html`)."""

from __future__ import annotations

from typing import Any

from django import template

from roost.inbox.classify import UNDETERMINED
from roost.inbox.corrections.adapter import LABELS
from roost.inbox.models import Conversation, CorrectionField

register = template.Library()

LANGUAGE_NAMES = {
    "en": "English",
    "pl": "Polish",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    UNDETERMINED: "Undetermined",
}


def _option_label(field: str, value: str) -> str:
    if field == CorrectionField.LANGUAGE:
        return LANGUAGE_NAMES.get(value, value)
    return value.capitalize()


def label_groups(conversation: Conversation) -> list[dict[str, Any]]:
    """For each correctable field: its name, current value and the options to choose."""
    groups = []
    for field in CorrectionField:
        current = getattr(conversation, field.value) or ""
        groups.append(
            {
                "field": field.value,
                "label": field.label,
                "current": current,
                "current_label": _option_label(field.value, current) if current else "not set",
                "known": current in LABELS[field.value],
                "options": [
                    {
                        "value": value,
                        "label": _option_label(field.value, value),
                        "current": value == current,
                    }
                    for value in LABELS[field.value]
                ],
            }
        )
    return groups


@register.inclusion_tag("inbox/_labels.html", takes_context=True)
def conversation_labels(context: template.Context, conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation": conversation,
        "groups": label_groups(conversation),
        "can_handle": context.get("can_handle", False),
        "split": context.get("split", False),
        "split_query": context.get("split_query", ""),
        "next_id": context.get("next_id"),
        "csrf_token": context.get("csrf_token"),
    }
