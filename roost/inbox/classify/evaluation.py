"""Measure the classifier against a labelled set, and measure its speed.

`evaluate(path)` reads a tab-separated file with the columns language, sentiment,
intent, text (a header line and "#" comment lines are skipped) and returns a `Report`:
accuracy per gold language for language detection, sentiment and intent, next to the
majority-class baseline (always answering the most common label of that language's
messages). `python -m roost.inbox.classify.evaluate` prints the table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from roost.inbox.classify.classifier import Classification, classify, clear_memos
from roost.inbox.classify.labels import LANGUAGES, UNDETERMINED, Intent, Sentiment
from roost.inbox.classify.wordlists import DATA

DEFAULT_PATH = DATA / "eval.tsv"
ALL = "all"


class EvaluationSetError(ValueError):
    """A line of the evaluation file is malformed; the message names the line."""


@dataclass(frozen=True, slots=True)
class Example:
    language: str
    sentiment: Sentiment
    intent: Intent
    text: str


def read_examples(path: Path) -> list[Example]:
    examples: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("language\t"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise EvaluationSetError(f"{path.name}:{number}: expected 4 tab-separated columns")
        language, sentiment, intent, text = parts
        if language not in (*LANGUAGES, UNDETERMINED):
            raise EvaluationSetError(f"{path.name}:{number}: unknown language {language!r}")
        try:
            examples.append(Example(language, Sentiment(sentiment), Intent(intent), text))
        except ValueError as error:
            raise EvaluationSetError(f"{path.name}:{number}: {error}") from error
    return examples


@dataclass(frozen=True, slots=True)
class Row:
    """Scores for the messages of one gold language (or "all"), as fractions of 1.

    `language_baseline` is the share of the set's most common language, given on the
    "all" row only: per language it would be 1 or 0.
    """

    language: str
    messages: int
    language_accuracy: float
    language_baseline: float | None
    sentiment_accuracy: float
    sentiment_baseline: float
    intent_accuracy: float
    intent_baseline: float


@dataclass(frozen=True, slots=True)
class Mistake:
    example: Example
    got: Classification
    # Which of "language", "sentiment", "intent" were wrong.
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Report:
    rows: tuple[Row, ...]
    mistakes: tuple[Mistake, ...]

    def row(self, language: str) -> Row:
        for row in self.rows:
            if row.language == language:
                return row
        raise KeyError(language)

    def table(self) -> str:
        """The rows as a Markdown table, percentages with one decimal."""
        lines = [
            "| language | messages | language detected | sentiment | baseline | intent"
            " | baseline |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in self.rows:
            detected = _percent(row.language_accuracy)
            if row.language_baseline is not None:
                detected += f" (baseline {_percent(row.language_baseline)})"
            lines.append(
                f"| {row.language} | {row.messages} | {detected}"
                f" | {_percent(row.sentiment_accuracy)} | {_percent(row.sentiment_baseline)}"
                f" | {_percent(row.intent_accuracy)} | {_percent(row.intent_baseline)} |"
            )
        return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _majority(labels: Sequence[str]) -> float:
    return Counter(labels).most_common(1)[0][1] / len(labels)


def _row(
    language: str, pairs: Sequence[tuple[Example, Classification]], language_baseline: float | None
) -> Row:
    total = len(pairs)
    return Row(
        language=language,
        messages=total,
        language_accuracy=sum(got.language == ex.language for ex, got in pairs) / total,
        language_baseline=language_baseline,
        sentiment_accuracy=sum(got.sentiment == ex.sentiment for ex, got in pairs) / total,
        sentiment_baseline=_majority([ex.sentiment for ex, _ in pairs]),
        intent_accuracy=sum(got.intent == ex.intent for ex, got in pairs) / total,
        intent_baseline=_majority([ex.intent for ex, _ in pairs]),
    )


def evaluate(path: Path | str = DEFAULT_PATH) -> Report:
    """Classify every message of a labelled file (no language hint) and score the answers."""
    examples = read_examples(Path(path))
    if not examples:
        raise EvaluationSetError(f"{Path(path).name}: no examples")
    pairs = [(example, classify(example.text)) for example in examples]
    rows: list[Row] = []
    order = [
        code for code in (*LANGUAGES, UNDETERMINED) if any(e.language == code for e in examples)
    ]
    for code in order:
        rows.append(_row(code, [pair for pair in pairs if pair[0].language == code], None))
    rows.append(_row(ALL, pairs, _majority([example.language for example in examples])))
    mistakes = []
    for example, got in pairs:
        fields = tuple(
            name
            for name, wrong in (
                ("language", got.language != example.language),
                ("sentiment", got.sentiment != example.sentiment),
                ("intent", got.intent != example.intent),
            )
            if wrong
        )
        if fields:
            mistakes.append(Mistake(example, got, fields))
    return Report(rows=tuple(rows), mistakes=tuple(mistakes))


@dataclass(frozen=True, slots=True)
class Speed:
    """Messages classified per second on one core."""

    # Every run starts with empty per-word memos: each message's words are new.
    cold: float
    # Memos filled, as in a worker that has been reading the same brand's inbox a while.
    warm: float
    messages: int


def measure_speed(
    texts: Sequence[str], *, runs: int = 5, clock: Callable[[], float] = time.perf_counter
) -> Speed:
    """Time `classify()` over the texts: the median of `runs` cold passes and of `runs`
    warm ones."""
    cold: list[float] = []
    for _ in range(runs):
        clear_memos()
        start = clock()
        for text in texts:
            classify(text)
        cold.append(len(texts) / (clock() - start))
    warm: list[float] = []
    for _ in range(runs):
        start = clock()
        for text in texts:
            classify(text)
        warm.append(len(texts) / (clock() - start))
    return Speed(cold=statistics.median(cold), warm=statistics.median(warm), messages=len(texts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m roost.inbox.classify.evaluate",
        description="Score the message classifier against a labelled evaluation set.",
    )
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help="a labelled TSV file")
    parser.add_argument("--mistakes", action="store_true", help="list every wrong answer")
    parser.add_argument("--speed", action="store_true", help="also measure messages per second")
    args = parser.parse_args(argv)
    report = evaluate(args.path)
    print(report.table())
    if args.mistakes:
        print()
        for mistake in report.mistakes:
            example, got = mistake.example, mistake.got
            expected = f"{example.language}/{example.sentiment}/{example.intent}"
            answered = f"{got.language}/{got.sentiment}/{got.intent}"
            print(f"{expected:28} got {answered:28} {example.text}")
    if args.speed:
        speed = measure_speed([example.text for example in read_examples(Path(args.path))])
        print()
        print(
            f"Speed over {speed.messages} messages, one core: {speed.cold:,.0f} messages/s"
            f" from a cold start, {speed.warm:,.0f} messages/s warm."
        )
    return 0
