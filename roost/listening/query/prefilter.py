"""What the fast folding of a batch (`matcher.fold_batch`) cannot settle by itself: the
characters it does not know that could make part of a term.

The fast folding takes the common characters one to one byte with a codec; any other
character comes out as `?`, a separator. That is right for most of them (emoji), and it
can only find *more* than the exact folding where a character was a letter next to a
term. It finds less only where an unknown character is part of a term, or is a mark
(folding to nothing) between two of its letters. Those characters are looked for in the
raw UTF-8 bytes, with patterns derived once from folding every code point
(`text.canonical()`): every character that is not known and folds to something holding
a character of some term (`ñ`, fullwidth and mathematical letters, `ﬁ`, another
script's letters when a term has them), and a mark followed by anything that could go
on with a term. A post they flag is folded exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from roost.listening.query.syntax import Hashtag, Term, Words
from roost.listening.query.text import canonical

# After a mark: what could go on with a term (an ASCII word character or marker, or
# the lead byte of any multi-byte character).
_TERM_GOES_ON = rb"[0-9A-Za-z_#@.\-\xc2-\xf4]"


@dataclass(frozen=True, slots=True)
class Folds:
    """What every code point folds to, grouped: the characters that fold to each single
    character, those that fold to nothing, and those that fold to more than one."""

    to_char: dict[str, tuple[str, ...]]
    to_nothing: tuple[str, ...]
    to_many: tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def folds() -> Folds:
    """Fold every code point once (a second or two); kept for the process."""
    to_char: dict[str, list[str]] = {}
    to_nothing: list[str] = []
    to_many: list[tuple[str, str]] = []
    for code in range(1, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = canonical(char)
        if not folded:
            to_nothing.append(char)
        elif len(folded) == 1:
            if folded != " ":
                to_char.setdefault(folded, []).append(char)
        elif folded.strip(" "):
            to_many.append((char, folded))
    return Folds(
        to_char={key: tuple(chars) for key, chars in to_char.items()},
        to_nothing=tuple(to_nothing),
        to_many=tuple(to_many),
    )


def _byte_class(values: Iterable[int]) -> bytes:
    ordered = sorted(set(values))
    if len(ordered) == 1:
        return b"\\x%02x" % ordered[0]
    ranges: list[tuple[int, int]] = []
    for value in ordered:
        if ranges and ranges[-1][1] == value - 1:
            ranges[-1] = (ranges[-1][0], value)
        else:
            ranges.append((value, value))
    return (
        b"["
        + b"".join(
            b"\\x%02x" % low if low == high else b"\\x%02x-\\x%02x" % (low, high)
            for low, high in ranges
        )
        + b"]"
    )


def _alternatives(chars: Iterable[str]) -> bytes:
    """A pattern for any one of the characters, as UTF-8 bytes: a trie of their bytes in
    which the bytes that go on in the same way share one class (short enough for
    Hyperscan's limit on a pattern's length even for thousands of characters)."""
    trie: dict[int, dict] = {}
    for char in set(chars):
        node = trie
        for byte in char.encode("utf-8", "surrogatepass"):
            node = node.setdefault(byte, {})
    return _render(trie)


def _render(node: dict[int, dict]) -> bytes:
    # Characters are whole UTF-8 sequences, so no sequence is a prefix of another:
    # a node is either an end (no children) or goes on.
    rest: dict[bytes, list[int]] = {}
    for byte, child in node.items():
        rest.setdefault(_render(child) if child else b"", []).append(byte)
    branches = sorted(_byte_class(first) + after for after, first in rest.items())
    if len(branches) == 1:
        return branches[0]
    return b"(?:" + b"|".join(branches) + b")"


def _text_of(term: Term) -> str:
    """The term as it appears in a folded text (a phrase's gaps as single spaces)."""
    if isinstance(term, Words):
        return " ".join(term.words)
    if isinstance(term, Hashtag):
        return f"#{term.tag}"
    return f"@{term.handle}"


def unknown_patterns(terms: Sequence[Term], known: Iterable[str]) -> list[bytes]:
    """Raw-text patterns for the characters the fast folding does not know (`known` are
    those it folds exactly) that could make part of a term: one that folds to anything
    holding a character of some term, and a character that folds to nothing followed by
    something that could go on with a term."""
    table = folds()
    used = {char for term in terms for char in _text_of(term)} - {" "}
    skip = set(known)
    chars = [
        char
        for folded, group in table.to_char.items()
        if folded in used
        for char in group
        if not char.isascii() and char not in skip
    ]
    chars.extend(
        char for char, folded in table.to_many if char not in skip and not used.isdisjoint(folded)
    )
    patterns = [b"(?:" + _alternatives(table.to_nothing) + b")+" + _TERM_GOES_ON]
    if chars:
        patterns.append(_alternatives(chars))
    return patterns
