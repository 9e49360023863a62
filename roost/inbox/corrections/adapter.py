"""An organisation's adaptation of the classifier, learned from its agents' corrections.

The adapter sits on top of whatever the base classifier says and knows nothing of how
the base decides. For each label field (language, sentiment, intent) it adds learned
word weights to the base's log-probabilities:

    score(label) = log(base probability of label) + sum of weight(feature, label)

over the features of the message (its words and word pairs). Trained on corrections
only, with the weights pulled towards zero, it leaves a message alone unless it shares
words with corrected ones, and then moves it towards the label the team chose.

Serving is plain Python over dictionaries (`Adapter.apply`); training (`fit`) is a few
passes of stochastic gradient descent, deterministic for a given set of corrections.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from roost.inbox.classify import (
    LANGUAGES,
    UNDETERMINED,
    Classification,
    Intent,
    Priority,
    Sentiment,
    prioritise_labels,
)

# The values each correctable field may take.
LABELS: dict[str, tuple[str, ...]] = {
    "language": (*LANGUAGES, UNDETERMINED),
    "sentiment": tuple(s.value for s in Sentiment),
    "intent": tuple(i.value for i in Intent),
}
FORMAT = 1  # of the stored parameters; a model of another format is ignored until retrained
# Base probabilities are mixed with a little of the uniform one, so that no label is
# impossible (log 0) and one correction can outweigh a confident base.
SMOOTHING = 0.1
L2 = 0.01
EPOCHS = 30
LEARNING_RATE = 0.5
# What a stored field keeps: weights closer to zero than this change nothing visible.
PRUNE_BELOW = 1e-3

_COMBINING = re.compile(r"[\u0300-\u036f]")  # the marks NFKD splits off Latin letters
_WORD = re.compile(r"[^\W_]+|[\u2600-\u27bf\U0001f300-\U0001faff]")


def features(text: str) -> list[str]:
    """The message's words (case and diacritics folded) and word pairs, each once."""
    folded = text.casefold()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = _COMBINING.sub("", folded)
    words = _WORD.findall(folded)
    found = dict.fromkeys(words)
    found.update(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(words)))
    return list(found)


def base_probabilities(found: Classification, field: str) -> dict[str, float]:
    """The base classifier's probability for every label of `field`: its scores (language
    has none, so all of it is on the language it chose)."""
    scores: Mapping[str, float] = {}
    if field == "sentiment":
        scores = found.sentiment_scores
    elif field == "intent":
        scores = found.intent_scores
    if scores:
        return {label: float(scores.get(label, 0.0)) for label in LABELS[field]}
    chosen = str(getattr(found, field))
    return {label: 1.0 if label == chosen else 0.0 for label in LABELS[field]}


def labels_priority(
    *, sentiment: str, intent: str, author_followers: int, author_verified: bool, text: str
) -> tuple[Priority, tuple[str, ...]]:
    """The priority the classifier gives these labels on this message, and its reasons."""
    return prioritise_labels(
        sentiment=Sentiment(sentiment),
        intent=Intent(intent),
        author_followers=author_followers,
        author_verified=author_verified,
        text=text,
    )


def _log_base(base: Mapping[str, float], labels: Sequence[str]) -> dict[str, float]:
    spread = SMOOTHING / len(labels)
    return {y: math.log((1 - SMOOTHING) * base.get(y, 0.0) + spread) for y in labels}


def _softmax(scores: Mapping[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exp = {y: math.exp(s - top) for y, s in scores.items()}
    total = sum(exp.values())
    return {y: e / total for y, e in exp.items()}


@dataclass
class FieldAdapter:
    """The learned weights of one field: feature -> label -> weight."""

    labels: tuple[str, ...]
    weights: dict[str, dict[str, float]]

    def probabilities(
        self, feats: Sequence[str], base: Mapping[str, float]
    ) -> dict[str, float] | None:
        """The adapted probabilities, or None when no feature is known (the base holds)."""
        known = [self.weights[f] for f in feats if f in self.weights]
        if not known:
            return None
        scores = _log_base(base, self.labels)
        scale = 1 / math.sqrt(len(feats))
        for weights in known:
            for label, weight in weights.items():
                scores[label] += weight * scale
        return _softmax(scores)


@dataclass(frozen=True)
class Example:
    """One thing to learn: a message's features, the base's probabilities, the right label."""

    features: Sequence[str]
    base: Mapping[str, float]
    label: str


def fit(examples: Sequence[Example], labels: tuple[str, ...]) -> FieldAdapter:
    """Learn the weights that move each example's base towards its label. Deterministic:
    the passes visit the examples in an order fixed by a seeded shuffle."""
    weights: dict[str, dict[str, float]] = {}
    order = list(range(len(examples)))
    shuffle = random.Random(0)  # noqa: S311 (an order to learn in, not a secret)
    logs = [_log_base(example.base, labels) for example in examples]
    for epoch in range(EPOCHS):
        shuffle.shuffle(order)
        rate = LEARNING_RATE / (1 + 0.1 * epoch)
        for index in order:
            example = examples[index]
            feats = example.features
            if not feats:
                continue
            scale = 1 / math.sqrt(len(feats))
            scores = dict(logs[index])
            for feat in feats:
                for label, weight in weights.get(feat, {}).items():
                    scores[label] += weight * scale
            probs = _softmax(scores)
            for feat in feats:
                row = weights.setdefault(feat, {})
                for label in labels:
                    target = 1.0 if label == example.label else 0.0
                    current = row.get(label, 0.0)
                    gradient = (probs[label] - target) * scale + L2 * current
                    row[label] = current - rate * gradient
    pruned = {
        feat: {label: round(w, 4) for label, w in row.items() if abs(w) >= PRUNE_BELOW}
        for feat, row in weights.items()
    }
    return FieldAdapter(labels=labels, weights={f: row for f, row in pruned.items() if row})


@dataclass
class Adapter:
    """An organisation's adapter: a `FieldAdapter` for each field it learned."""

    fields: dict[str, FieldAdapter]
    version: int = 0

    def to_parameters(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "fields": {
                name: {"labels": list(field.labels), "weights": field.weights}
                for name, field in self.fields.items()
            },
        }

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], *, version: int = 0) -> Adapter:
        if parameters.get("format") != FORMAT:
            return cls(fields={}, version=version)
        fields = {
            name: FieldAdapter(labels=tuple(stored["labels"]), weights=stored["weights"])
            for name, stored in parameters.get("fields", {}).items()
            if name in LABELS
        }
        return cls(fields=fields, version=version)

    def label(
        self, field: str, found: Classification, feats: Sequence[str]
    ) -> tuple[str, dict[str, float] | None]:
        """The adapted label of `field` for a message with these features, with the
        adapted probabilities (None: the base's label holds)."""
        adapter = self.fields.get(field)
        probs = adapter.probabilities(feats, base_probabilities(found, field)) if adapter else None
        if adapter is None or probs is None:
            return str(getattr(found, field)), None
        return max(adapter.labels, key=lambda y: (probs[y], -adapter.labels.index(y))), probs

    def apply(
        self,
        found: Classification,
        *,
        text: str,
        author_followers: int = 0,
        author_verified: bool = False,
    ) -> Classification:
        """`found` with each learned field adapted, and the priority recomputed when the
        sentiment or the intent changed."""
        if not self.fields:
            return found
        feats = features(text)
        changes: dict[str, str] = {}
        scores: dict[str, dict[str, float]] = {}
        for field in self.fields:
            label, probs = self.label(field, found, feats)
            if probs is not None and hasattr(found, f"{field}_scores"):
                scores[f"{field}_scores"] = probs
            if label != str(getattr(found, field)):
                changes[field] = label
        if not changes and not scores:
            return found
        return _relabelled(
            found,
            changes,
            scores,
            text=text,
            author_followers=author_followers,
            author_verified=author_verified,
        )


def _relabelled(
    found: Classification,
    changes: Mapping[str, str],
    scores: Mapping[str, Mapping[str, float]],
    *,
    text: str,
    author_followers: int,
    author_verified: bool,
) -> Classification:
    sentiment = Sentiment(changes.get("sentiment", found.sentiment))
    intent = Intent(changes.get("intent", found.intent))
    values: dict[str, Any] = {
        "language": changes.get("language", found.language),
        "sentiment": sentiment,
        "intent": intent,
    }
    if "sentiment" in changes or "intent" in changes:
        values["priority"], values["reasons"] = labels_priority(
            sentiment=sentiment,
            intent=intent,
            author_followers=author_followers,
            author_verified=author_verified,
            text=text,
        )
    # Where the classification has scores, they become the adapted probabilities.
    values.update(scores)
    return dataclasses.replace(found, **values)


def adapt(
    found: Classification,
    *,
    adapter: Adapter | None,
    text: str,
    author_followers: int = 0,
    author_verified: bool = False,
) -> Classification:
    """The organisation's classification of a message: the base's, adapted when the
    organisation has an adapter. Load the adapter once per batch (`adapter_for`)."""
    if adapter is None:
        return found
    return adapter.apply(
        found, text=text, author_followers=author_followers, author_verified=author_verified
    )
