"""The one interface of every classifier backend, and the helpers backends share.

A backend labels a batch of inbound messages. Every backend starts from the built-in
classifier's answer (language, the author's VIP status and the keywords that make a
message urgent come from it) and may replace its sentiment and intent; the priority is
then worked out again from the new labels. A backend that cannot label a message (a
model that does not load, an endpoint that times out or answers nonsense) keeps the
built-in answer for it and says why, so the organisation's settings page can show it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from roost.inbox.classify import (
    Classification,
    Intent,
    Priority,
    Sentiment,
    classify,
    prioritise_labels,
)


@dataclass(frozen=True, slots=True)
class ClassifierInput:
    """One message to label, with what the built-in classifier takes besides the text."""

    text: str
    language_hint: str = ""
    author_followers: int = 0
    author_verified: bool = False


@dataclass
class Labelled:
    """A batch's labels, in the order of the inputs, and why any fell back to the
    built-in model (one reason per message that did; empty when none did)."""

    results: list[Classification]
    fallback_reasons: list[str] = field(default_factory=list)


class ClassifierBackend(Protocol):
    name: str

    def classify_many(self, items: Sequence[ClassifierInput]) -> Labelled: ...


def builtin_classify(item: ClassifierInput) -> Classification:
    return classify(
        item.text,
        language_hint=item.language_hint,
        author_followers=item.author_followers,
        author_verified=item.author_verified,
    )


def _priority(
    *, sentiment: Sentiment, intent: Intent, item: ClassifierInput
) -> tuple[Priority, tuple[str, ...]]:
    """The priority of the new labels, by the built-in classifier's rules on the text."""
    return prioritise_labels(
        sentiment=sentiment,
        intent=intent,
        author_followers=item.author_followers,
        author_verified=item.author_verified,
        text=item.text,
        language_hint=item.language_hint,
    )


def relabelled(
    base: Classification,
    *,
    item: ClassifierInput,
    sentiment: Sentiment,
    intent: Intent,
    sentiment_scores: Mapping[str, float] | None = None,
    intent_scores: Mapping[str, float] | None = None,
) -> Classification:
    """The built-in answer with a backend's sentiment and intent (and their scores, when
    the classification carries scores), and the priority worked out again."""
    priority, reasons = _priority(sentiment=sentiment, intent=intent, item=item)
    changes: dict[str, object] = {
        "sentiment": sentiment,
        "intent": intent,
        "priority": priority,
        "reasons": reasons,
    }
    for task, label, scores, was in (
        ("sentiment", sentiment, sentiment_scores, base.sentiment),
        ("intent", intent, intent_scores, base.intent),
    ):
        if scores is not None:
            changes[f"{task}_scores"] = dict(scores)
        elif label != was:  # a label without scores: the backend is sure of it
            changes[f"{task}_scores"] = {label.value: 1.0}
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def intent_confidence(classification: Classification) -> float:
    """How sure the classifier is of the intent it chose: its probability."""
    scores = classification.intent_scores
    return float(scores.get(classification.intent.value, 0.0)) if scores else 1.0
