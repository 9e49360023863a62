"""What the matcher folds a batch of posts with: one byte for every code point.

`text.canonical()` folds a text character by character, so a table of what each code
point folds to folds a whole batch in one array look-up (numpy's `take`), with no
Python work per character. Most code points fold to one byte exactly:

- an ASCII letter, digit, `_` or marker (`#@.-`) as itself, after case folding and
  with diacritics dropped and compatibility forms undone (`Ż` -> `z`, a fullwidth or
  mathematical `r` -> `r`);
- a space, for anything that only separates words (punctuation, emoji, `…`);
- `S` for what folds to `ss` (`ß`, `ẞ`): the terms' patterns take `S` for `ss`, and no
  folded text holds an upper-case letter otherwise;
- `WORD` for one word character of another script (`к`): a word byte for the patterns,
  which no term's pattern spells, as no term then holds a character of that script;
- `MARK` for what folds to nothing (a combining mark), removed from the bytes
  afterwards;
- `EXACT` for the rest, whose post is folded again the exact way (`canonical_text()`):
  a character that folds to more than one byte with a word character among them (`ﬁ`,
  `æ`, `™`), and, for a matcher whose terms hold characters outside ASCII, every
  character that folds to one of those.

Building the table folds every assigned code point once (a second or so); it is kept
for the process, and on disk beside the compiled databases.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from roost.listening.query.text import MARKERS, canonical

# Bytes of the folded buffer that stand for something other than themselves. NUL
# separates posts (the table keeps a NUL in a text as NUL: the matcher blanks those).
MARK = 0x01
EXACT = 0x02
WORD = 0x80
SHARP_S = ord("S")
SIZE = sys.maxunicode + 1
_FORMAT = "roost-listening-fold-table-1"
# Unassigned, private-use and surrogate code points only separate words.
_SEPARATING_CATEGORIES = frozenset(("Cn", "Co", "Cs"))


def fold_byte(char: str) -> int:
    """The byte one character folds to in the table (before any matcher's own EXACT)."""
    if char == "\x00":
        return 0
    folded = canonical(char)
    if not folded:
        return MARK
    if len(folded) == 1:
        return ord(folded) if folded.isascii() else WORD
    if folded == "ss":
        return SHARP_S
    if not folded.strip(" .-"):
        # Spaces and `.`/`-` only, never one lone `.` or `-` (a single space here): no
        # handle can go on across two marks in a row, so one space does as well.
        return ord(" ")
    return EXACT


def _build() -> bytes:
    table = bytearray(b" " * SIZE)
    category = unicodedata.category
    for code in range(SIZE):
        char = chr(code)
        if code >= 0x80 and category(char) in _SEPARATING_CATEGORIES:
            continue
        table[code] = fold_byte(char)
    return bytes(table)


@lru_cache(maxsize=1)
def _digest() -> str:
    return hashlib.sha256(
        f"{_FORMAT}\n{unicodedata.unidata_version}\n{sys.maxunicode}".encode()
    ).hexdigest()


_built: list[np.ndarray] = []  # the table once this process has it


def _base_table(cache_dir: str | os.PathLike[str] | None) -> np.ndarray:
    """The table without any matcher's own EXACT: this process's, else the one kept in
    `cache_dir` (its SHA-256 after it, so that a damaged file is built afresh), else
    built and kept there."""
    path = Path(cache_dir) / f"{_digest()}.foldtable" if cache_dir is not None else None
    if _built:
        if path is not None and not path.exists():
            _keep(path, _built[0].tobytes())
        return _built[0]
    data = None
    if path is not None and path.exists():
        try:
            stored = path.read_bytes()
        except OSError:
            stored = b""
        if len(stored) == SIZE + 32 and hashlib.sha256(stored[:SIZE]).digest() == stored[SIZE:]:
            data = stored[:SIZE]
    if data is None:
        data = _build()
        if path is not None:
            _keep(path, data)
    table = np.frombuffer(data, dtype=np.uint8)
    _built.append(table)
    return table


def _keep(path: Path, data: bytes) -> None:
    write_atomically(path, data + hashlib.sha256(data).digest())


def fold_table(term_chars: Iterable[str], cache_dir: str | os.PathLike[str] | None) -> np.ndarray:
    """The table for a matcher whose terms (as folded text) hold these characters: every
    character that folds to one of them outside ASCII is EXACT, since the table's WORD
    would hide it from the terms' patterns."""
    base = _base_table(cache_dir)
    wanted = {char for char in term_chars if not char.isascii() and char not in MARKERS}
    if not wanted:
        return base
    table = base.copy()
    words = _word_folds()
    for char in wanted:
        table[words.get(char, [])] = EXACT
    return table


@lru_cache(maxsize=1)
def _word_folds() -> dict[str, list[int]]:
    """The code points that fold to each word character outside ASCII (a `WORD` byte)."""
    found: dict[str, list[int]] = {}
    for code in np.flatnonzero(_base_table(None) == WORD).tolist():
        found.setdefault(canonical(chr(code)), []).append(code)
    return found


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
