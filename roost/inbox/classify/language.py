"""Language detection: character 1-3 gram profiles plus strong cues.

Each language's profile is built from the sample text in `data/profiles/<code>.txt`, and
from the same text with diacritics folded, because people often type "dziekuje" for
"dziękuję" and "que" for "qué". A word's score per language is the sum of the log
probabilities of its character n-grams (the word padded with spaces, so " w " and "ing "
are grams too), with add-half smoothing; a message's score is the sum over its words.
On top come cues that settle most short messages at once: letters only one of the five
languages uses (ą ę ł ś ź ż ć ń, ß, ñ ¿ ¡, ç è ê à...), shared ones that narrow it down
(é, ó), and frequent short words ("the", "nie", "und", "que").
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from roost.inbox.classify.labels import LANGUAGES, UNDETERMINED
from roost.inbox.classify.text import fold
from roost.inbox.classify.wordlists import DATA, read_sections

_SMOOTHING = 0.5
_STOPWORD_BONUS = 1.5
_HINT_BONUS = 2.0
_MEMO_LIMIT = 200_000
# Letters that point at a language, and how strongly (log-score bonus per distinct letter).
_CUES: dict[str, dict[str, float]] = {
    "pl": {c: 6.0 for c in "ąćęłńśźż"},
    "de": {c: 6.0 for c in "ßäöü"},
    "es": {**{c: 6.0 for c in "ñ¿¡"}, **{c: 3.0 for c in "áíú"}},
    "fr": {c: 6.0 for c in "àâçèêëîïôûùœ"},
}
_SHARED_CUES: dict[str, dict[str, float]] = {
    "é": {"fr": 3.0, "es": 2.0},
    "ó": {"pl": 2.0, "es": 2.0},
}


def _grams(word: str) -> list[str]:
    """The word's letters, and its 2- and 3-grams with a space at either end."""
    padded = f" {word} "
    size = len(padded)
    return [
        *word,
        *(padded[start : start + 2] for start in range(size - 1)),
        *(padded[start : start + 3] for start in range(size - 2)),
    ]


class LanguageModel:
    """Scores words and texts for each language in `LANGUAGES` (in that order)."""

    def __init__(self, samples: Mapping[str, str], stopwords: Mapping[str, Iterable[str]]) -> None:
        counts: dict[str, list[Counter[str]]] = {}
        for language in LANGUAGES:
            per_order: list[Counter[str]] = [Counter(), Counter(), Counter()]
            for word in _sample_words(samples[language]):
                for gram in _grams(word):
                    per_order[len(gram) - 1][gram] += 1
            counts[language] = per_order
        vocabulary = [
            set().union(*(counts[language][order] for language in LANGUAGES)) for order in range(3)
        ]
        self._table: dict[str, tuple[float, ...]] = {}
        for order in range(3):
            denominators = [
                sum(counts[language][order].values()) + _SMOOTHING * len(vocabulary[order])
                for language in LANGUAGES
            ]
            for gram in vocabulary[order]:
                self._table[gram] = tuple(
                    math.log((counts[language][order][gram] + _SMOOTHING) / denominator)
                    for language, denominator in zip(LANGUAGES, denominators, strict=True)
                )
        self._stopwords: dict[str, tuple[float, ...]] = {}
        for language, words in stopwords.items():
            column = LANGUAGES.index(language)
            for word in words:
                row = list(self._stopwords.get(word, (0.0,) * len(LANGUAGES)))
                row[column] += _STOPWORD_BONUS
                self._stopwords[word] = tuple(row)
        self._cues: dict[str, tuple[float, ...]] = {}
        for language, letters in _CUES.items():
            for letter, bonus in letters.items():
                self._add_cue(letter, {language: bonus})
        for letter, bonuses in _SHARED_CUES.items():
            self._add_cue(letter, bonuses)
        self._memo: dict[str, tuple[float, ...]] = {}
        self._zero = (0.0,) * len(LANGUAGES)

    def _add_cue(self, letter: str, bonuses: Mapping[str, float]) -> None:
        row = list(self._cues.get(letter, (0.0,) * len(LANGUAGES)))
        for language, bonus in bonuses.items():
            row[LANGUAGES.index(language)] += bonus
        self._cues[letter] = tuple(row)

    def word_scores(self, word: str) -> tuple[float, ...]:
        """Log-likelihood of a lower-case word under each language's profile."""
        memo = self._memo
        found = memo.get(word)
        if found is not None:
            return found
        rows = [row for row in map(self._table.get, _grams(word)) if row is not None]
        bonus = self._stopwords.get(word)
        if bonus is not None:
            rows.append(bonus)
        # Column sums through zip and map run in C.
        result = tuple(map(sum, zip(*rows, strict=True))) if rows else self._zero
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[word] = result
        return result

    def scores(self, text: str, words: Iterable[str]) -> list[float]:
        """Per-language scores of a lower-case text and its words."""
        rows = [self.word_scores(word) for word in words]
        cues = self._cues
        if not text.isascii():
            rows.extend(cues[letter] for letter in set(text).intersection(cues))
        if not rows:
            return list(self._zero)
        return list(map(sum, zip(*rows, strict=True)))

    def clear_memo(self) -> None:
        self._memo.clear()


def _sample_words(text: str) -> list[str]:
    words: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for word in "".join(c if c.isalpha() else " " for c in line.lower()).split():
            words.append(word)
            folded = fold(word)
            if folded != word:
                words.append(folded)
    return words


@functools.cache
def model() -> LanguageModel:
    samples = {
        language: (DATA / "profiles" / f"{language}.txt").read_text(encoding="utf-8")
        for language in LANGUAGES
    }
    stopwords = {
        language: [entry for entry, _ in entries]
        for language, entries in read_sections(DATA / "profiles" / "stopwords.txt").items()
    }
    return LanguageModel(samples, stopwords)


_OTHER_SCRIPT = re.compile(r"[^\W\d_\x00-\u024f]")


def _mostly_other_script(text: str, letters: int) -> bool:
    """Whether most of the letters are outside the Latin script (Cyrillic, Greek, CJK...)."""
    if text.isascii():
        return False
    return 2 * len(_OTHER_SCRIPT.findall(text)) > letters


def detect_language(text: str, words: list[str] | None = None, *, hint: str = "") -> str:
    """The ISO 639-1 code of a cleaned text's language, or "und".

    `text` should be cleaned first (`text.clean()`): links, handles and emoji are noise
    here. `words` are its lower-case words when the caller has them already. A `hint` (the
    channel's or the author's usual language) tips close calls and is the answer when the
    text has no more than two letters; a hint outside `LANGUAGES` is ignored.
    """
    hint = hint.lower()[:2] if hint else ""
    if hint not in LANGUAGES:
        hint = ""
    lowered = text.lower()
    if words is None:
        words = "".join(c if c.isalpha() else " " for c in lowered).split()
    letters = sum(len(word) for word in words)
    if letters <= 2:
        return hint or UNDETERMINED
    if _mostly_other_script(lowered, letters):
        return UNDETERMINED
    totals = model().scores(lowered, words)
    if hint:
        totals[LANGUAGES.index(hint)] += _HINT_BONUS
    best = max(range(len(LANGUAGES)), key=totals.__getitem__)
    return LANGUAGES[best]
