"""The one way Roost writes CSV for people to open in a spreadsheet.

Spreadsheet programs run a cell that starts like a formula (`=`, `+`, `-`, `@`,
or a tab or carriage return that some of them strip first), so a channel name
or a customer's handle could become a formula on an analyst's machine. Every
export writes through `SafeCsvWriter`, which prefixes such text with a single
quote so it stays text. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """`value` as a spreadsheet will read it as plain data; text that starts like a
    formula gets a leading quote. Non-text values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def unquote_cell(text: str) -> str:
    """A cell read back from a file Roost exported: the quote `safe_cell` added is dropped,
    so an export imports unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeCsvWriter:
    """`csv.writer` whose every text cell passes through `safe_cell`."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])
