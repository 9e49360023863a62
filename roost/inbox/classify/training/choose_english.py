"""Re-run the comparison that chose the English sentiment head's features and settings.

    python -m roost.inbox.classify.training.choose_english --data DIR

Each candidate is a softmax over English tweets, trained on every English training tweet
but SemEval-2016's test tweets, which are the validation set (held out by time); the test
split is not read. Candidates: the shared features alone (A), with VADER's ratings (B),
with the word clusters (C), with both (D), each at C = 0.5, 1 and 2, with and without
balanced class weights. The rule, fixed before any figure was seen: the best validation
macro-F1 wins, and a candidate within 0.002 of it with fewer feature groups wins over it
(then unweighted over balanced, then the smaller C). docs/classification.md
(Limitations) has the figures and what came after.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from roost.inbox.classify.model.english import cluster_features, valence_features
from roost.inbox.classify.model.features import Reading, bucket_set, read
from roost.inbox.classify.training.sources import (
    COMPLAINTS,
    POLEMO,
    SEMEVAL,
    SEMEVAL_2016_TEST,
    UMSAB,
    YOUTUBE_SPAM,
    read_sources,
    same_text,
    semeval_keys,
)

_NOT_ENGLISH_TWEETS = frozenset({UMSAB.key, POLEMO.key, COMPLAINTS.key, YOUTUBE_SPAM.key})
if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

C_VALUES = (0.5, 1.0, 2.0)
TIE = 0.002
Group = Callable[[Sequence[str], Sequence[str]], list[str]]
CANDIDATES: dict[str, tuple[Group, ...]] = {
    "A": (),
    "B": (valence_features,),
    "C": (cluster_features,),
    "D": (valence_features, cluster_features),
}


@dataclass(frozen=True, slots=True)
class Result:
    candidate: str
    c: float
    balanced: bool
    macro_f1: float

    def order(self) -> tuple[int, bool, float]:
        """Simpler first: fewer feature groups, unweighted, smaller C."""
        return (len(CANDIDATES[self.candidate]), self.balanced, self.c)


def _emoji(reading: Reading) -> list[str]:
    return [feature[2:] for feature in reading.features if feature.startswith("e:")]


def _rows(readings: Sequence[Reading], groups: tuple[Group, ...]) -> csr_matrix:
    from roost.inbox.classify.training.train import design_matrix

    rows = []
    for reading in readings:
        extra = [f for group in groups for f in group(reading.tokens.words, _emoji(reading))]
        rows.append(reading.buckets.union(bucket_set(extra)))
    return design_matrix(rows)


def choose(results: Sequence[Result]) -> Result:
    best = max(result.macro_f1 for result in results)
    close = [result for result in results if result.macro_f1 >= best - TIE]
    return min(close, key=Result.order)


def compare(data: Path) -> list[Result]:
    # The training libraries are imported here, so that `choose` needs none of them.
    from sklearn.metrics import f1_score

    from roost.inbox.classify.training.train import fit_logistic

    # SemEval's reader needs TweetEval's (whose validation and test tweets it leaves out).
    sources = read_sources(data, without=_NOT_ENGLISH_TWEETS)
    held_out = semeval_keys(data, SEMEVAL_2016_TEST)
    english = sources[SEMEVAL.key]
    train = [e for e in english if same_text(e.text) not in held_out]
    valid = [e for e in english if same_text(e.text) in held_out]
    print(f"{len(train)} training tweets, {len(valid)} validation tweets", flush=True)
    train_readings = [read(e.text) for e in train]
    valid_readings = [read(e.text) for e in valid]
    gold = [e.label for e in valid]
    results = []
    for name, groups in CANDIDATES.items():
        x_train = _rows(train_readings, groups)
        x_valid = _rows(valid_readings, groups)
        for balanced in (False, True):
            for c in C_VALUES:
                model = fit_logistic(x_train, [e.label for e in train], c, balanced)
                found = float(f1_score(gold, model.predict(x_valid), average="macro"))
                results.append(Result(name, c, balanced, found))
                print(f"  {name} C={c} balanced={balanced}: {found:.4f}", flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m roost.inbox.classify.training.choose_english",
        description="Compare the English sentiment head's candidates on validation.",
    )
    parser.add_argument("--data", required=True, type=Path, help="where the sources are cloned")
    args = parser.parse_args(argv)
    chosen = choose(compare(args.data))
    print(
        f"chosen: {chosen.candidate} C={chosen.c} balanced={chosen.balanced}"
        f" (validation macro-F1 {chosen.macro_f1:.4f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
