"""Train the shipped model from the public sources (see SOURCES.md in this directory).

    pip install -c requirements/constraints.txt -e '.[train]'
    python -m roost.inbox.classify.training.train --data DIR

`DIR` holds a clone of each source repository (`DIR/<owner>/<name>`); the pinned commits
are read with git, so a newer checkout is fine as long as it has them. The result is
written to `roost/inbox/classify/model/model.bin` (`--out` to put it elsewhere).

Only the training and validation splits are read here: each head's regularisation (and
the sentiment head's class weighting) is chosen by its score on the validation split,
then the head is fitted on the training split. The test splits are left to `evaluate.py`.
Everything is deterministic: the splits are fixed functions of the data, the solver is
L-BFGS (no sampling), one thread. On one core the whole run takes about nine minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from roost.inbox.classify.classifier import score_labels
from roost.inbox.classify.model import (
    ARTIFACT,
    COMPLAINT_CUES_HEAD,
    COMPLAINT_HEAD,
    ENGLISH_SENTIMENT_HEADS,
    OTHER_LANGUAGE,
    SENTIMENT_HEADS,
    SPAM_HEAD,
    Model,
    read_model,
    sentiment_bands,
    write_model,
)
from roost.inbox.classify.model.features import Reading, english_buckets, read
from roost.inbox.classify.model.hashing import DIMENSIONS
from roost.inbox.classify.training.sources import (
    COMPLAINTS,
    NON_COMMERCIAL,
    POLEMO,
    SEMEVAL,
    SOURCES,
    TRAIN,
    TWEETEVAL,
    UMSAB,
    VALIDATION,
    YOUTUBE_SPAM,
    Example,
    addressed_to_company,
    read_sources,
)

SENTIMENT_LABELS = ("negative", "neutral", "positive")
SENTIMENT_SOURCES = (TWEETEVAL.key, SEMEVAL.key, UMSAB.key, POLEMO.key)
C_VALUES = (0.5, 1.0, 2.0, 4.0, 8.0)
# The sentiment head is the expensive one (tens of thousands of rows): fewer settings.
SENTIMENT_C_VALUES = (0.3, 0.6, 1.0, 2.0)
# The English sentiment head's regularisation and weighting, chosen on SemEval-2016's
# test tweets held out of training by time (docs/classification.md, Limitations): the
# validation file the other heads use comes from the same years as the training tweets.
ENGLISH_SENTIMENT_C = 1.0
# Messages that are not spam, taken from the sentiment sets so that the spam head sees
# ordinary messages in every language, not only comments under music videos: every n-th
# training row.
HAM_EVERY = 6
# classify() calls a message a complaint when the complaint share beats question, praise
# and other, not when the head's probability passes 0.5; each complaint head's bias is
# then moved by the offset (from these) that detects complaints best on validation
# through that same decision. Ties go to the smallest move.
COMPLAINT_OFFSETS = tuple(step / 4 for step in range(-8, 9))


def design_matrix(rows: Sequence[Iterable[int]]) -> csr_matrix:
    """Binary rows of buckets, each L2-normalised, as the model computes them at serve
    time."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for buckets in rows:
        unique = sorted(set(buckets))
        indices.extend(unique)
        if unique:
            data.extend([1 / math.sqrt(len(unique))] * len(unique))
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data), np.array(indices), np.array(indptr)),
        shape=(len(rows), DIMENSIONS),
    )


def fit_logistic(x: csr_matrix, y: Sequence[str], c: float, balanced: bool) -> LogisticRegression:
    # A tolerance tight enough for the fit to converge: with a looser one L-BFGS stops
    # early and the validation scores across C stop meaning anything.
    model = LogisticRegression(
        C=c,
        max_iter=1000,
        tol=1e-4,
        class_weight="balanced" if balanced else None,
        solver="lbfgs",
    )
    model.fit(x, list(y))
    return model


def _choose(
    name: str,
    train: tuple[csr_matrix, list[str]],
    validate: Callable[[LogisticRegression], float],
    *,
    weightings: Sequence[bool] = (False, True),
    c_values: Sequence[float] = C_VALUES,
) -> LogisticRegression:
    """Fit for each setting, keep the one that scores best on validation."""
    best: tuple[float, LogisticRegression] | None = None
    for balanced in weightings:
        for c in c_values:
            started = time.monotonic()
            model = fit_logistic(*train, c, balanced)
            score = validate(model)
            print(
                f"  {name}: C={c} balanced={balanced}: validation {score:.4f}"
                f" ({time.monotonic() - started:.0f}s)",
                flush=True,
            )
            if best is None or score > best[0]:
                best = (score, model)
    assert best is not None
    print(f"  {name}: kept C={best[1].C} class_weight={best[1].class_weight}", flush=True)
    return best[1]


def _macro_f1_by_language(
    model: LogisticRegression, x: csr_matrix, examples: Sequence[Example]
) -> float:
    """The mean over languages of the validation macro-F1 (each language counts alike)."""
    predicted = model.predict(x)
    scores = []
    shown = []
    for language in sorted({example.language for example in examples}):
        picked = [i for i, example in enumerate(examples) if example.language == language]
        scores.append(
            f1_score(
                [examples[i].label for i in picked],
                [predicted[i] for i in picked],
                average="macro",
            )
        )
        shown.append(f"{language} {scores[-1]:.3f}")
    print("    " + ", ".join(shown), flush=True)
    return float(np.mean(scores))


def _binary_head(model: LogisticRegression, positive: str) -> tuple[np.ndarray, float]:
    sign = 1.0 if model.classes_[1] == positive else -1.0
    return sign * model.coef_[0], float(sign * model.intercept_[0])


def _complaint_rows(
    readings: Sequence[Reading], sentiment: LogisticRegression, *, cues_only: bool
) -> list[list[int]]:
    probabilities = sentiment.predict_proba(design_matrix([r.buckets for r in readings]))
    order = list(sentiment.classes_)
    rows = []
    for reading, row in zip(readings, probabilities, strict=True):
        bands = sentiment_bands(row[order.index("negative")], row[order.index("positive")])
        base = reading.meta_buckets if cues_only else reading.buckets
        rows.append([*base, *bands])
    return rows


def _complaint_offset(
    model: Model, head: str, readings: Sequence[Reading], gold: Sequence[str]
) -> float:
    """The move of one complaint head's bias that gives the best validation macro-F1 of
    complaint detection as `classify()` decides it (intent complaint or not)."""
    if head == COMPLAINT_CUES_HEAD:
        readings = [dataclasses.replace(r, language=OTHER_LANGUAGE) for r in readings]
    best: tuple[tuple[float, float], float] | None = None
    for offset in COMPLAINT_OFFSETS:
        heads = dict(model.heads)
        heads[head] = dataclasses.replace(heads[head], bias=heads[head].bias + offset)
        moved = Model(heads, model.info)
        predicted = []
        for reading in readings:
            _, intent = score_labels(reading, model=moved)
            top = max(intent, key=intent.__getitem__)
            predicted.append("complaint" if top == "complaint" else "not")
        score = float(f1_score(gold, predicted, average="macro"))
        print(f"  {head}: bias {offset:+.2f}: validation {score:.4f}", flush=True)
        if best is None or (score, -abs(offset)) > best[0]:
            best = ((score, -abs(offset)), offset)
    assert best is not None
    print(f"  {head}: kept bias {best[1]:+.2f}", flush=True)
    return best[1]


def train(data: Path, out: Path, *, without: frozenset[str] = frozenset()) -> Model:
    started = time.monotonic()
    sources = read_sources(data, without=without)
    examples = [example for rows in sources.values() for example in rows]
    print(f"read {len(examples)} examples from {len(sources)} sources", flush=True)
    # Keyed by text: the features depend on the text alone (no language hint).
    readings: dict[str, Reading] = {}
    for example in examples:
        if example.split != "test" and example.text not in readings:
            readings[example.text] = read(example.text)
    print(f"read the features in {time.monotonic() - started:.0f}s", flush=True)

    def subset(keys: Sequence[str], split: str) -> list[Example]:
        return [e for e in examples if e.source in keys and e.split == split]

    def features(rows: Sequence[Example]) -> csr_matrix:
        return design_matrix([readings[example.text].buckets for example in rows])

    # Sentiment: one softmax over every language's sets.
    train_rows = subset(SENTIMENT_SOURCES, TRAIN)
    valid_rows = subset(SENTIMENT_SOURCES, VALIDATION)
    x_valid = features(valid_rows)
    sentiment = _choose(
        "sentiment",
        (features(train_rows), [e.label for e in train_rows]),
        lambda model: _macro_f1_by_language(model, x_valid, valid_rows),
        c_values=SENTIMENT_C_VALUES,
    )

    # English sentiment: the English tweets alone, over the shared and English features.
    english_rows = subset((SEMEVAL.key,), TRAIN)
    english = fit_logistic(
        design_matrix([english_buckets(readings[e.text]) for e in english_rows]),
        [e.label for e in english_rows],
        ENGLISH_SENTIMENT_C,
        balanced=False,
    )
    print(f"  english sentiment: fitted on {len(english_rows)} tweets", flush=True)

    # Spam: YouTube comments, with ordinary messages from the other sets as not-spam.
    def spam_rows(split: str) -> list[Example]:
        rows = subset((YOUTUBE_SPAM.key,), split)
        others = subset((*SENTIMENT_SOURCES, COMPLAINTS.key), split)
        for index, example in enumerate(others):
            if index % HAM_EVERY == 0:
                rows.append(Example(example.source, split, example.language, example.text, "not"))
        return rows

    spam_train = spam_rows(TRAIN)
    spam_valid = subset((YOUTUBE_SPAM.key,), VALIDATION)
    x_spam_valid = features(spam_valid)
    spam = _choose(
        "spam",
        (features(spam_train), [e.label for e in spam_train]),
        lambda model: f1_score(
            [e.label for e in spam_valid], model.predict(x_spam_valid), pos_label="spam"
        ),
        weightings=(False,),
    )

    # Complaints: every feature (English), and the cues alone (every other language).
    # Whether the random tweets and replies help as extra non-complaints is a setting too.
    heads: dict[str, tuple[np.ndarray, float]] = {}
    complaint_all = subset((COMPLAINTS.key,), TRAIN)
    complaint_valid = [e for e in subset((COMPLAINTS.key,), VALIDATION) if addressed_to_company(e)]
    complaint_sets = {
        "with random tweets": complaint_all,
        "addressed only": [e for e in complaint_all if addressed_to_company(e)],
    }
    for head, cues_only in ((COMPLAINT_HEAD, False), (COMPLAINT_CUES_HEAD, True)):
        x_valid_c = design_matrix(
            _complaint_rows(
                [readings[e.text] for e in complaint_valid], sentiment, cues_only=cues_only
            )
        )

        def validate(model: LogisticRegression, x: csr_matrix = x_valid_c) -> float:
            gold = [e.label for e in complaint_valid]
            return float(f1_score(gold, model.predict(x), average="macro"))

        best: tuple[float, LogisticRegression] | None = None
        for label, rows in complaint_sets.items():
            x_train = design_matrix(
                _complaint_rows([readings[e.text] for e in rows], sentiment, cues_only=cues_only)
            )
            chosen = _choose(f"{head} ({label})", (x_train, [e.label for e in rows]), validate)
            found = validate(chosen)
            if best is None or found > best[0]:
                best = (found, chosen)
        assert best is not None
        heads[head] = _binary_head(best[1], "complaint")

    # Each label's scores minus neutral's: the softmax is the same, one head fewer to sum.
    for softmax, names in ((sentiment, SENTIMENT_HEADS), (english, ENGLISH_SENTIMENT_HEADS)):
        order = list(softmax.classes_)
        neutral = order.index("neutral")
        for name, label in zip(names, ("negative", "positive"), strict=True):
            index = order.index(label)
            heads[name] = (
                softmax.coef_[index] - softmax.coef_[neutral],
                float(softmax.intercept_[index] - softmax.intercept_[neutral]),
            )
    heads[SPAM_HEAD] = _binary_head(spam, "spam")
    info: dict[str, object] = {
        "sources": {
            source.key: f"{source.repository}@{source.commit}"
            for source in SOURCES
            if source.key in sources
        },
        "examples": {key: len(rows) for key, rows in sources.items()},
    }
    write_model(
        out,
        heads={name: (weights.tolist(), bias) for name, (weights, bias) in heads.items()},
        info=info,
    )
    written = read_model(out)
    complaint_readings = [readings[e.text] for e in complaint_valid]
    complaint_gold = [e.label for e in complaint_valid]
    offsets = {}
    for head in (COMPLAINT_HEAD, COMPLAINT_CUES_HEAD):
        offsets[head] = _complaint_offset(written, head, complaint_readings, complaint_gold)
        weights, bias = heads[head]
        heads[head] = (weights, bias + offsets[head])
    info["complaint_bias_offsets"] = offsets
    write_model(
        out,
        heads={name: (weights.tolist(), bias) for name, (weights, bias) in heads.items()},
        info=info,
    )
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.0f}s",
        flush=True,
    )
    return read_model(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m roost.inbox.classify.training.train",
        description="Train the message classifier's model from the public sources.",
    )
    parser.add_argument("--data", required=True, type=Path, help="where the sources are cloned")
    parser.add_argument("--out", type=Path, default=ARTIFACT, help="the model file to write")
    parser.add_argument(
        "--without-non-commercial",
        action="store_true",
        help="leave out the sets under a non-commercial licence (Polish sentiment)",
    )
    args = parser.parse_args(argv)
    without = NON_COMMERCIAL if args.without_non_commercial else frozenset()
    train(args.data, args.out, without=without)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
