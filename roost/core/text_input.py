"""Text Roost can store and show: Unicode characters, and no NUL. One check for every way in.

Two kinds of "text" pass Python's `str` but break later:

- NUL (U+0000): PostgreSQL text cannot hold it, so the database write fails (a 500, or
  worse, after a network call was made);
- a lone surrogate (U+D800 to U+DFFF, e.g. `"\\ud800"` in JSON): half of a UTF-16 pair,
  not a character. It cannot be encoded as UTF-8, so every page, export or network call
  that meets it fails, and an audit event holding one would break the export forever.

Pages and the API refuse such text at the edge (`roost.core.middleware.TextInputMiddleware`),
inbound webhook deliveries and CSV imports refuse it with a reason, and messages fetched
from a network are kept with the offending characters replaced (`text_repaired`), because
refusing those would lose what a customer wrote.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class TextProblem(enum.StrEnum):
    NUL = "nul"
    SURROGATE = "surrogate"


MESSAGES = {
    TextProblem.NUL: "must not contain NUL characters (U+0000)",
    TextProblem.SURROGATE: "must be valid Unicode text (it holds a lone surrogate)",
}


def text_problem(value: str) -> TextProblem | None:
    """What makes `value` unfit to store, or None when it is fine."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return TextProblem.NUL if found.group() == "\x00" else TextProblem.SURROGATE


def text_repaired(value: str) -> str:
    """`value` with each NUL and lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value)


@dataclass(frozen=True)
class TextFault:
    """Where in a nested value the first unfit text is, and what is wrong with it."""

    location: tuple[str | int, ...]
    problem: TextProblem

    @property
    def place(self) -> str:
        return ".".join(str(part) for part in self.location) or "body"

    @property
    def message(self) -> str:
        return f"{self.place}: {MESSAGES[self.problem]}"


def _walk(value: Any, location: tuple[str | int, ...]) -> Iterator[TextFault]:
    # A stack, not recursion: a deeply nested body must not exhaust Python's stack.
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, location)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                yield TextFault(place, problem)
        elif isinstance(item, dict):
            children: list[tuple[Any, tuple[str | int, ...]]] = []
            for key, child in item.items():
                name = text_repaired(str(key))
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    yield TextFault((*place, name), problem)
                children.append((child, (*place, name)))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(child, (*place, i)) for i, child in enumerate(item)]))


def text_fault(value: Any, *, location: tuple[str | int, ...] = ()) -> TextFault | None:
    """The first string (or key) in a JSON-like value that is unfit to store, or None."""
    return next(_walk(value, location), None)


MAX_ID = 2**63 - 1


def id_from(value: str | None) -> int | None:
    """The database id a form or query value names, or None when it names none
    (not digits, zero, or larger than a 64-bit key)."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdecimal() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def json_repaired(value: Any) -> Any:
    """A JSON-like value with every string (and key) passed through `text_repaired`."""
    if isinstance(value, str):
        return text_repaired(value)
    if isinstance(value, dict):
        return {json_repaired(key): json_repaired(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_repaired(item) for item in value]
    return value
