"""Training an adapter on an organisation's corrections, and measuring it on the newest
of them, held out.

The newest `HELD_OUT_SHARE` of the corrections (once there are at least
`MIN_FOR_HOLD_OUT`) are kept apart: an adapter trained on the older ones is scored on
them against the base classifier. The adapter then put to use learns from all of them,
so that the newest corrections count too; the figures describe the one trained without
them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from roost.inbox.classify import Classification, classify
from roost.inbox.corrections.adapter import (
    LABELS,
    Adapter,
    Example,
    base_probabilities,
    features,
    fit,
)
from roost.inbox.models import ClassificationCorrection

HELD_OUT_SHARE = 0.2
MIN_FOR_HOLD_OUT = 5
# At most this many corrections of a field are learned from: the newest.
MAX_EXAMPLES = 5000


def base_classification(text: str) -> Classification:
    """What the base classifier says of a correction's text, now."""
    return classify(text)


@dataclass(frozen=True)
class Learned:
    """A correction as learned from: the right label and the base's view of the text."""

    field: str
    label: str
    features: list[str]
    base: Classification


def learned_from(corrections: Iterable[ClassificationCorrection]) -> list[Learned]:
    """One item per message and field, oldest first: a later correction of the same
    label of the same message replaces an earlier one."""
    latest: dict[tuple[str, str], ClassificationCorrection] = {}
    for correction in corrections:
        about = f"m{correction.message_id}" if correction.message_id else f"t{correction.text}"
        key = (about, correction.field)
        latest.pop(key, None)  # re-inserted last: the order stays by the latest
        latest[key] = correction
    bases: dict[str, Classification] = {}
    items = []
    for correction in latest.values():
        if correction.new_value not in LABELS.get(correction.field, ()):
            continue
        if correction.text not in bases:
            bases[correction.text] = base_classification(correction.text)
        items.append(
            Learned(
                field=correction.field,
                label=correction.new_value,
                features=features(correction.text),
                base=bases[correction.text],
            )
        )
    return items


def adapter_trained(items: Sequence[Learned]) -> Adapter:
    fields = {}
    for name, labels in LABELS.items():
        examples = [
            Example(features=i.features, base=base_probabilities(i.base, name), label=i.label)
            for i in items
            if i.field == name
        ][-MAX_EXAMPLES:]
        if examples:
            fields[name] = fit(examples, labels)
    return Adapter(fields=fields)


@dataclass
class FieldScore:
    held_out: int = 0
    base_right: int = 0
    adapted_right: int = 0


@dataclass
class HeldOutReport:
    """Accuracy on the held-out corrections: the base classifier's and the adapted one's."""

    trained_on: int
    held_out: int
    base_right: int
    adapted_right: int
    fields: dict[str, FieldScore] = field(default_factory=dict)

    @property
    def base_accuracy(self) -> float:
        return self.base_right / self.held_out if self.held_out else 0.0

    @property
    def adapted_accuracy(self) -> float:
        return self.adapted_right / self.held_out if self.held_out else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "trained_on": self.trained_on,
            "held_out": self.held_out,
            "base_right": self.base_right,
            "adapted_right": self.adapted_right,
            "fields": {
                name: {
                    "held_out": s.held_out,
                    "base_right": s.base_right,
                    "adapted_right": s.adapted_right,
                }
                for name, s in self.fields.items()
            },
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> HeldOutReport | None:
        if not stored or "held_out" not in stored:
            return None
        return cls(
            trained_on=stored["trained_on"],
            held_out=stored["held_out"],
            base_right=stored["base_right"],
            adapted_right=stored["adapted_right"],
            fields={name: FieldScore(**s) for name, s in stored.get("fields", {}).items()},
        )


def held_out_report(train: Sequence[Learned], held: Sequence[Learned]) -> HeldOutReport:
    adapter = adapter_trained(train)
    report = HeldOutReport(trained_on=len(train), held_out=len(held), base_right=0, adapted_right=0)
    for item in held:
        base_label = str(getattr(item.base, item.field))
        adapted_label, _ = adapter.label(item.field, item.base, item.features)
        score = report.fields.setdefault(item.field, FieldScore())
        score.held_out += 1
        if base_label == item.label:
            score.base_right += 1
            report.base_right += 1
        if adapted_label == item.label:
            score.adapted_right += 1
            report.adapted_right += 1
    return report


@dataclass
class Trained:
    adapter: Adapter
    used: int
    report: HeldOutReport | None


def train_and_evaluate(corrections: Sequence[ClassificationCorrection]) -> Trained:
    """The adapter learned from all the corrections, and the held-out evaluation of one
    learned from all but the newest (None while there are too few to hold any out)."""
    items = learned_from(corrections)
    report = None
    if len(items) >= MIN_FOR_HOLD_OUT:
        held = math.ceil(len(items) * HELD_OUT_SHARE)
        report = held_out_report(items[:-held], items[-held:])
    return Trained(adapter=adapter_trained(items), used=len(items), report=report)
