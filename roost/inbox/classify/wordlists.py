"""The word-list files under `data/` and the matcher built from them.

A file has `[section]` headers; each line below one is an entry, optionally followed by
numbers (a score, a score when negated, a weight). "#" at the start of a line is a comment.
An entry is a word ("good"), a stem ending in "*" ("rozczarow*" matches "rozczarowana"),
or a phrase of words where only the last may be a stem ("still waiting", "nie dotar*").
Entries and message tokens both go through `text.fold()`, so case, diacritics and
apostrophes never matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from roost.inbox.classify.text import fold

DATA = Path(__file__).resolve().parent / "data"

Values = tuple[float, ...]
# Memo sizes are bounded so a long-running worker reading endless new words stays small.
_MEMO_LIMIT = 200_000


class WordListError(ValueError):
    """A word-list file breaks the format; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Match:
    """An entry found in a token sequence: where, how many tokens, and its numbers."""

    start: int
    length: int
    values: Values

    @property
    def value(self) -> float:
        return self.values[0] if self.values else 0.0


def read_sections(path: Path) -> dict[str, list[tuple[str, Values]]]:
    """Each section's entries, as (entry text, numbers), in file order."""
    sections: dict[str, list[tuple[str, Values]]] = {}
    current: list[tuple[str, Values]] | None = None
    seen: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            if name in sections:
                raise WordListError(f"{path.name}:{number}: section [{name}] appears twice")
            current = sections[name] = []
            seen = set()
            continue
        if current is None:
            raise WordListError(f"{path.name}:{number}: entry before any [section]")
        parts = line.split()
        values: list[float] = []
        while len(parts) > 1 and len(values) < 2:
            try:
                values.insert(0, float(parts[-1]))
            except ValueError:
                break
            parts.pop()
        entry = " ".join(parts)
        if entry in seen:
            raise WordListError(f"{path.name}:{number}: {entry!r} appears twice in its section")
        seen.add(entry)
        current.append((entry, tuple(values)))
    return sections


def _prefixes(stems: Iterable[str]) -> frozenset[str]:
    """Every leading part of every stem ("roz", "rozc", ...), to stop a stem search early."""
    return frozenset(stem[:length] for stem in stems for length in range(1, len(stem) + 1))


class WordList:
    """Entries matched against folded tokens: exact words first, then the longest stem;
    a phrase starting at a token wins over the token alone."""

    __slots__ = ("_exact", "_memo", "_phrases", "_prefixes", "_stems")

    def __init__(self, entries: Iterable[tuple[str, Values]]) -> None:
        self._exact: dict[str, Values] = {}
        self._stems: dict[str, Values] = {}
        # First word -> (rest of the phrase, last word is a stem, values), longest first.
        self._phrases: dict[str, list[tuple[tuple[str, ...], bool, Values]]] = {}
        for text, values in entries:
            words = [fold(word) for word in text.replace("-", " ").split()]
            stem = words[-1].endswith("*")
            if stem:
                words[-1] = words[-1][:-1]
            if len(words) == 1:
                (self._stems if stem else self._exact)[words[0]] = values
            else:
                self._phrases.setdefault(words[0], []).append((tuple(words[1:]), stem, values))
        for options in self._phrases.values():
            options.sort(key=lambda option: -len(option[0]))
        self._prefixes = _prefixes(self._stems)
        self._memo: dict[str, Values | None] = {}

    def word(self, token: str) -> Values | None:
        """The values of a single folded token (exact, else longest stem), or None."""
        memo = self._memo
        if token in memo:
            return memo[token]
        found = self.lookup(token)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[token] = found
        return found

    def lookup(self, token: str) -> Values | None:
        """`word()` without the memo."""
        found = self._exact.get(token)
        if found is None:
            prefixes, stems = self._prefixes, self._stems
            for length in range(1, len(token) + 1):
                prefix = token[:length]
                if prefix not in prefixes:
                    break
                found = stems.get(prefix, found)
        return found

    def starts_phrase(self, token: str) -> bool:
        return token in self._phrases

    def exact(self, token: str) -> Values | None:
        """The values of a token listed as a whole word (stems do not count)."""
        return self._exact.get(token)

    def at(self, tokens: Sequence[str], start: int) -> Match | None:
        """The entry starting at `tokens[start]`, preferring the longest phrase."""
        first = tokens[start]
        for rest, stem, values in self._phrases.get(first, ()):
            end = start + 1 + len(rest)
            if end > len(tokens):
                continue
            if all(tokens[start + 1 + k] == word for k, word in enumerate(rest[:-1])):
                last = tokens[end - 1]
                if (last.startswith(rest[-1]) if stem else last == rest[-1]) and last[0].isalpha():
                    return Match(start, len(rest) + 1, values)
        found = self.word(first)
        return None if found is None else Match(start, 1, found)

    def find_all(self, tokens: Sequence[str]) -> list[Match]:
        """Every entry in the tokens, left to right, without overlaps."""
        found: list[Match] = []
        index = 0
        while index < len(tokens):
            match = self.at(tokens, index) if tokens[index][0].isalpha() else None
            if match is None:
                index += 1
            else:
                found.append(match)
                index += match.length
        return found

    def clear_memo(self) -> None:
        self._memo.clear()


class Scanner:
    """Several named lists matched in one pass over a message's tokens.

    Within a list, matches do not overlap, a phrase wins over its first word and the
    longest stem wins; the lists are independent of each other. The lists share one index
    and one memo, so each distinct word is looked up once per process, not once per list.
    """

    __slots__ = ("_exact", "_memo", "_phrases", "_prefixes", "_stems")

    def __init__(self, lists: dict[str, Iterable[tuple[str, Values]]]) -> None:
        self._exact: dict[str, list[tuple[str, Values]]] = {}
        self._stems: dict[str, list[tuple[str, Values]]] = {}
        self._phrases: dict[str, list[tuple[str, tuple[str, ...], bool, Values]]] = {}
        for name, entries in lists.items():
            # Parsed by WordList, then merged into this index (same module, same format).
            words = WordList(entries)
            for word, values in words._exact.items():
                self._exact.setdefault(word, []).append((name, values))
            for stem, values in words._stems.items():
                self._stems.setdefault(stem, []).append((name, values))
            for first, options in words._phrases.items():
                for rest, stem_last, values in options:
                    self._phrases.setdefault(first, []).append((name, rest, stem_last, values))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda candidate: -len(candidate[1]))
        self._prefixes = _prefixes(self._stems)
        self._memo: dict[str, tuple[tuple[str, Values], ...]] = {}

    def _word(self, token: str) -> tuple[tuple[str, Values], ...]:
        """(list name, values) for every list that has the token, as a word or a stem."""
        memo = self._memo
        found = memo.get(token)
        if found is not None:
            return found
        # The longest stem of each list: walk the prefixes while any stem could still match.
        by_name = {name: values for name, values in self._exact.get(token, ())}
        stemmed: dict[str, Values] = {}
        prefixes, stems = self._prefixes, self._stems
        for length in range(1, len(token) + 1):
            prefix = token[:length]
            if prefix not in prefixes:
                break
            for name, values in stems.get(prefix, ()):
                stemmed[name] = values
        for name, values in stemmed.items():
            by_name.setdefault(name, values)
        found = tuple(by_name.items())
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[token] = found
        return found

    def scan(self, tokens: Sequence[str]) -> dict[str, list[Match]]:
        """Each list's matches, left to right; lists without a match are left out."""
        found: dict[str, list[Match]] = {}
        free: dict[str, int] = {}
        count = len(tokens)
        phrases, memo = self._phrases, self._memo
        for index, token in enumerate(tokens):
            hits = memo.get(token)
            if hits is None:
                hits = self._word(token)
            options = phrases.get(token)
            if not hits and options is None:
                continue
            taken: set[str] = set()
            for name, rest, stem, values in options or ():
                if name in taken or free.get(name, 0) > index:
                    continue
                end = index + 1 + len(rest)
                if end > count:
                    continue
                if all(tokens[index + 1 + k] == word for k, word in enumerate(rest[:-1])):
                    last = tokens[end - 1]
                    if last[0].isalpha() and (
                        last.startswith(rest[-1]) if stem else last == rest[-1]
                    ):
                        found.setdefault(name, []).append(Match(index, end - index, values))
                        free[name] = end
                        taken.add(name)
            for name, values in hits:
                if name in taken or free.get(name, 0) > index:
                    continue
                found.setdefault(name, []).append(Match(index, 1, values))
                free[name] = index + 1
        return found

    def clear_memo(self) -> None:
        self._memo.clear()
