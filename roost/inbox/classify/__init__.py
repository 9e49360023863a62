"""Classify inbound messages offline: language, sentiment, intent and priority.

    from roost.inbox.classify import classify

    result = classify("Gdzie moja paczka?? Czekam 3 tygodnie 😡", author_followers=120_000)
    # language "pl", sentiment negative, intent complaint, priority urgent,
    # reasons ("VIP: 120,000 followers", "complaint with negative sentiment")

Standard library only at serve time: sentiment and intent come from a linear model
trained on public labelled data (`model/model.bin`, trained by `training/train.py`);
word lists and language profiles are plain text under `data/`. `prioritise_labels()`
recomputes the priority when the labels change. `evaluate()` scores the classifier
against the team's `data/eval.tsv`; `training/evaluate.py` measures it on the public
test sets; docs/classification.md has the method, the results and the limitations.
"""

from roost.inbox.classify.classifier import Classification, classify, prioritise_labels
from roost.inbox.classify.evaluation import Report, evaluate
from roost.inbox.classify.labels import (
    LANGUAGES,
    PRIORITY_ORDER,
    UNDETERMINED,
    Intent,
    Priority,
    Sentiment,
)
from roost.inbox.classify.language import detect_language
from roost.inbox.classify.priority import is_vip
from roost.inbox.classify.text import CleanText, clean

__all__ = [
    "LANGUAGES",
    "PRIORITY_ORDER",
    "UNDETERMINED",
    "Classification",
    "CleanText",
    "Intent",
    "Priority",
    "Report",
    "Sentiment",
    "classify",
    "clean",
    "detect_language",
    "evaluate",
    "is_vip",
    "prioritise_labels",
]
