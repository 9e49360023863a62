"""Many monitors against many posts at once: one Hyperscan database for every term.

The protocol, which `evaluate()` (the reference) holds it to:

1. Every distinct term of every monitor (word, phrase, hashtag, mention) becomes one
   Hyperscan pattern over *folded bytes*, bounded by non-word bytes on both sides. A batch
   of posts is folded, joined by NUL bytes and scanned in one call; a match's end offset
   names its post (a binary search among the NULs' offsets). With a low hit rate there
   are few callbacks, and Python work is spent only on the posts that had a hit.
2. A batch is folded in one piece, with no Python work per character: joined by NULs,
   read as code points (numpy) and taken through `fold_table`, one byte for every code
   point (its letter for an accented or compatibility letter, a space for anything that
   only separates words, `S` for `ß`, which the patterns take for `ss`, a word byte for
   another script's letter); the marks that fold to nothing are then removed. That
   keeps exactly the words, hashtags and mentions of `text.fold()` for every post but
   one holding a character that folds to several letters (`ﬁ`, `æ`), or to a letter a
   term spells outside ASCII: the table marks those (`EXACT`), and such a post is
   folded again exactly (`canonical_text()`) and scanned apart. Every other post's hits
   are its answer; a post with no hit has no term at all.
3. Only monitors woken by a term that hit are evaluated, against the set of terms
   found and the set of field filters the post satisfies (one dictionary look-up per
   post, cached on its fields); a monitor is woken by the terms of which it needs at
   least one (`refund` is not needed by `northwind refund`, which waits for
   `northwind`), and one that any of its terms makes match (`a OR #b`) is not evaluated
   at all. Each monitor is one Python expression over the two sets, compiled once per
   shape of query. A monitor that can match with none of its terms present
   (`NOT refund`, `lang:de`) is evaluated once per distinct value of the fields it
   names, and that answer stands for every post where none of its terms were found.

Compiling is the slow part (seconds per thousand terms), so the database is kept in
`cache_dir` under a hash of the patterns, and the fold table beside it: a restart with
the same terms loads them.
A `Matcher` may be shared between threads (each thread scans with its own scratch).
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Generic, TypeVar

import hyperscan
import numpy as np

from roost.listening.query.evaluate import Document, field_matches
from roost.listening.query.fold_table import EXACT, MARK, fold_table, write_atomically
from roost.listening.query.syntax import (
    And,
    Field,
    Hashtag,
    Mention,
    Node,
    Not,
    Or,
    Query,
    Term,
    Words,
    parse,
)
from roost.listening.query.text import MARKERS, STROKES, canonical, is_word_char

MonitorId = TypeVar("MonitorId", bound=Hashable)

# Bytes that make words in a folded buffer: ASCII word characters (`S` stands for `ss`),
# and any byte of a multi-byte UTF-8 character (where a post is folded exactly only word
# characters are left outside ASCII; `fold_table.WORD` stands for one in the fast
# folding). NUL separates posts: a phrase may not run across it.
_WORD_BYTES = r"0-9A-Z_a-z\x80-\xff"
_EDGE = rf"[^{_WORD_BYTES}]"
_GAP = rf"[^{_WORD_BYTES}\x00]+"
# After a mention's handle: not a word byte, and not a `.` or `-` that goes on with one.
_HANDLE_END = rf"(?:[^{_WORD_BYTES}.\-]|[.\-]{_EDGE})"

EMPTY: frozenset[Any] = frozenset()
_FORMAT = "roost-listening-match-2"
_HYPERSCAN_VERSION = str(getattr(hyperscan, "__version__", "unknown"))


def _escape(word: str) -> str:
    escaped = "".join(
        chr(byte) if chr(byte).isascii() and chr(byte).isalnum() else f"\\x{byte:02x}"
        for byte in word.encode("utf-8")
    )
    # The fast folding makes `ß` one `S` (`fold_table`): a run of `s` may be spelled
    # with `S` for any two of them in a row.
    return _S_RUN.sub(lambda run: _s_run(len(run.group())), escaped)


_S_RUN = re.compile("s+")


@lru_cache(maxsize=64)
def _s_run(length: int) -> str:
    """A pattern for `length` times `s`, each two in a row possibly one `S`."""

    def spellings(left: int) -> list[str]:
        if left < 2:
            return ["s" * left]
        return [f"s{rest}" for rest in spellings(left - 1)] + [
            f"S{rest}" for rest in spellings(left - 2)
        ]

    found = spellings(length)
    return found[0] if len(found) == 1 else "(?:" + "|".join(found) + ")"


def term_pattern(term: Term) -> str:
    """The Hyperscan pattern that finds the term in a folded buffer. A match always ends
    one byte after the term (two after a mention's handle that a `.` or `-` follows),
    inside the post or on the NUL after it."""
    if isinstance(term, Words):
        return _EDGE + _GAP.join(_escape(word) for word in term.words) + _EDGE
    if isinstance(term, Hashtag):
        return f"{_EDGE}#{_escape(term.tag)}{_EDGE}"
    handle = "".join(
        rf"\{part}" if part in (".", "-") else _escape(part)
        for part in re.split(r"([.\-])", term.handle)
    )
    return f"{_EDGE}@{handle}{_HANDLE_END}"


class _ExactFolding(dict[int, str | None]):
    """What `canonical_text()` turns each character into after decomposition and case
    folding: nothing (a nonspacing mark), its stroke-less letter, a space (a character
    that only separates words), or itself. Filled as characters are met."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if unicodedata.category(char) == "Mn":
            result: str | None = None
        elif char in MARKERS or is_word_char(char):
            result = char.translate(STROKES)
        else:
            result = " "
        if len(self) < 100_000:
            self[code] = result
        return result


_EXACT_FOLDING = _ExactFolding()


def canonical_text(text: str) -> str:
    """`text.canonical()` in a few C calls (the tests hold it to that)."""
    if text.isascii():
        return canonical(text)
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return text.translate(_EXACT_FOLDING)


def fold_batch(texts: Sequence[str], table: np.ndarray) -> tuple[bytes, np.ndarray, list[int]]:
    """A batch folded the fast way: the buffer to scan (NUL, text, NUL, ..., NUL), the
    offsets of its NULs, and the positions of the texts the table cannot fold exactly
    (an `EXACT` byte), which `canonical_text()` must fold. A NUL inside a text is folded
    as the space it is in `canonical()`."""
    data, nuls = _fold("\x00".join(["", *texts, ""]), table)
    if len(nuls) != len(texts) + 1:
        # A NUL inside a text would pass for the end of a post (counted in the folded
        # bytes, where only a NUL makes a zero byte, faster than in the texts).
        blanked = (text.replace("\x00", " ") for text in texts)
        data, nuls = _fold("\x00".join(["", *blanked, ""]), table)
    exact: list[int] = []
    if _EXACT_BYTE in data:
        marked = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == EXACT)
        exact = np.unique(np.searchsorted(nuls, marked, side="right") - 1).tolist()
    return data, nuls, exact


def _fold(part: str, table: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The buffer (NUL, text, NUL, ...) through the table, one byte a character, marks
    removed, and the offsets of its NULs. `np.array([part])` holds the text as UCS-4,
    that is as code points, in one C call."""
    folded = table.take(np.array([part]).view(np.uint32))
    data = folded.tobytes()
    if _MARK_BYTE in data:
        data = data.replace(_MARK_BYTE, b"")
        folded = np.frombuffer(data, dtype=np.uint8)
    return data, np.flatnonzero(folded == 0)


_MARK_BYTE = bytes((MARK,))
_EXACT_BYTE = bytes((EXACT,))


# Boolean evaluation of one monitor: a function of the set of term ids found in a post
# and the set of field filter ids the post satisfies (`Matcher._fields_for`).
_Predicate = Callable[[frozenset[int] | set[int], frozenset[int]], bool]

# Deeper than this, a query is evaluated by nested functions instead of one expression
# (Python's parser limits how deeply an expression may nest).
_MAX_SOURCE_DEPTH = 40


def _predicate(
    node: Node, term_ids: Mapping[Term, int], field_ids: Mapping[Field, int]
) -> _Predicate:
    """The node as one function: a Python expression over the two sets, compiled once for
    every query of the same shape (`_shape_function`) and given this query's ids. Only
    the ids enter it, as arguments, never text from the query."""
    if _depth(node) > _MAX_SOURCE_DEPTH:
        return _nested_predicate(node, term_ids, field_ids)
    constants: list[int | frozenset[int]] = []
    source = _source(node, term_ids, field_ids, constants)
    return _shape_function(source, len(constants))(*constants)  # type: ignore[no-any-return]


def _depth(node: Node) -> int:
    if isinstance(node, Not):
        return 1 + _depth(node.operand)
    if isinstance(node, And | Or):
        return 1 + max(map(_depth, node.operands))
    return 1


def _source(
    node: Node,
    term_ids: Mapping[Term, int],
    field_ids: Mapping[Field, int],
    constants: list[int | frozenset[int]],
) -> str:
    """The node as an expression over `found` and `fields`; each id or set of ids is a
    name `_<n>`, its value appended to `constants`."""

    def constant(value: int | frozenset[int]) -> str:
        constants.append(value)
        return f"_{len(constants) - 1}"

    if isinstance(node, Words | Hashtag | Mention):
        return f"{constant(term_ids[node])} in found"
    if isinstance(node, Field):
        return f"{constant(field_ids[node])} in fields"
    if isinstance(node, Not):
        return f"not ({_source(node.operand, term_ids, field_ids, constants)})"
    if all(isinstance(operand, Words | Hashtag | Mention) for operand in node.operands):
        ids = frozenset(term_ids[operand] for operand in node.operands)  # type: ignore[index]
        if isinstance(node, And):
            return f"{constant(ids)} <= found"
        return f"not {constant(ids)}.isdisjoint(found)"
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(
        f"({_source(operand, term_ids, field_ids, constants)})" for operand in node.operands
    )


@lru_cache(maxsize=4096)
def _shape_function(source: str, arity: int) -> Callable[..., _Predicate]:
    """A function that takes a query's ids and gives its predicate. The source is made by
    `_source()` alone: names, `in`, `<=`, `isdisjoint`, `not`, `and`, `or`, parentheses."""
    names = ", ".join(f"_{number}" for number in range(arity))
    namespace: dict[str, Any] = {}
    code = f"def make({names}):\n    return lambda found, fields: {source}\n"
    exec(code, {"__builtins__": {}}, namespace)  # noqa: S102  # source made by _source()
    return namespace["make"]  # type: ignore[no-any-return]


def _nested_predicate(
    node: Node, term_ids: Mapping[Term, int], field_ids: Mapping[Field, int]
) -> _Predicate:
    """The node as nested functions, for a query too deep for one expression."""
    if isinstance(node, Words | Hashtag | Mention):
        term_id = term_ids[node]
        return lambda found, _fields: term_id in found
    if isinstance(node, Field):
        field_id = field_ids[node]
        return lambda _found, fields: field_id in fields
    if isinstance(node, Not):
        inner = _nested_predicate(node.operand, term_ids, field_ids)
        return lambda found, fields: not inner(found, fields)
    operands = tuple(_nested_predicate(operand, term_ids, field_ids) for operand in node.operands)
    if isinstance(node, And):
        return lambda found, fields: all(test(found, fields) for test in operands)
    return lambda found, fields: any(test(found, fields) for test in operands)


# Every monitor one term wakes, evaluated in one call: the ones that hold.
_Wake = Callable[[frozenset[int] | set[int], frozenset[int]], list[Any]]


def _wake_function(
    nodes: Sequence[Node],
    monitors: tuple[Any, ...],
    term_ids: Mapping[Term, int],
    field_ids: Mapping[Field, int],
) -> _Wake:
    """The monitors a term wakes as one function: their expressions one after the other
    (`_source`), compiled once for every list of query shapes and given these ids as
    default values (one tuple to read, not one object for each monitor). A query too deep
    for one expression is called as its nested predicate."""
    constants: list[Any] = []
    sources = []
    for node in nodes:
        if _depth(node) > _MAX_SOURCE_DEPTH:
            constants.append(_nested_predicate(node, term_ids, field_ids))
            sources.append(f"_{len(constants) - 1}(found, fields)")
        else:
            sources.append(_source(node, term_ids, field_ids, constants))
    return _wake_shape(tuple(sources), len(constants))(monitors, *constants)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def _wake_shape(sources: tuple[str, ...], arity: int) -> Callable[..., _Wake]:
    """A function that takes the monitors and ids and gives their `_Wake`. The sources
    are made by `_source()` alone."""
    names = ["_monitors", *(f"_{number}" for number in range(arity))]
    lines = [
        f"def make({', '.join(names)}):",
        f"    def wake(found, fields, {', '.join(f'{name}={name}' for name in names)}):",
        "        held = []",
    ]
    for number, source in enumerate(sources):
        lines += [f"        if {source}:", f"            held.append(_monitors[{number}])"]
    lines += ["        return held", "    return wake", ""]
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), {"__builtins__": {}}, namespace)  # noqa: S102  # made by _source()
    return namespace["make"]  # type: ignore[no-any-return]


def _any_term_holds(node: Node) -> bool:
    """Whether the node holds as soon as any one of its terms is found: a term, or an OR
    of such."""
    if isinstance(node, Words | Hashtag | Mention):
        return True
    return isinstance(node, Or) and all(map(_any_term_holds, node.operands))


def _without_terms(node: Node) -> bool | None:
    """The node's value when none of its terms is found: True, False, or None when it
    depends on the fields."""
    if isinstance(node, Words | Hashtag | Mention):
        return False
    if isinstance(node, Field):
        return None
    if isinstance(node, Not):
        inner = _without_terms(node.operand)
        return None if inner is None else not inner
    values = [_without_terms(operand) for operand in node.operands]
    if isinstance(node, And):
        return False if False in values else (None if None in values else True)
    assert isinstance(node, Or)
    return True if True in values else (None if None in values else False)


def _required(
    node: Node, term_ids: Mapping[Term, int], uses: Sequence[int]
) -> frozenset[int] | None:
    """Terms of which at least one must be found for the node to hold, or None when no
    such set is evident. Of an AND's operands the one whose terms the fewest monitors
    share is chosen, so that a common word beside a brand name (`northwind refund`)
    does not wake every monitor that has it."""
    if isinstance(node, Words | Hashtag | Mention):
        return frozenset((term_ids[node],))
    if isinstance(node, Field | Not):
        return None
    found = [_required(operand, term_ids, uses) for operand in node.operands]
    if isinstance(node, Or):
        return None if None in found else frozenset().union(*found)  # type: ignore[arg-type]
    known = [terms for terms in found if terms is not None]
    if not known:
        return None
    return min(known, key=lambda terms: (sum(uses[term] for term in terms), sorted(terms)))


_ATTRIBUTES = {
    "lang": "language",
    "channel": "channel",
    "sentiment": "sentiment",
    "intent": "intent",
}


def _fields_of(node: Node) -> Iterable[Field]:
    if isinstance(node, Field):
        yield node
    elif isinstance(node, Not):
        yield from _fields_of(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from _fields_of(operand)


def _term_chars(term: Term) -> str:
    """The characters of a term as it appears in a folded text."""
    if isinstance(term, Words):
        return "".join(term.words)
    if isinstance(term, Hashtag):
        return term.tag
    return term.handle


class Matcher(Generic[MonitorId]):
    """Monitors compiled together. Build with `Matcher.compile()`."""

    def __init__(
        self,
        *,
        database: Any,
        table: np.ndarray,
        term_monitors: list[tuple[MonitorId, ...]],
        term_wakes: list[tuple[_Wake, ...]],
        term_matches: list[tuple[MonitorId, ...]],
        termless: dict[MonitorId, _Predicate],
        fields: Sequence[Field],
        termless_fields: Sequence[str],
        batch_size: int,
        loaded_from_cache: bool,
        compile_seconds: float,
    ) -> None:
        self._database = database
        self._table = table
        # For each term id: the monitors it wakes, the function that evaluates them, and
        # the monitors it makes match.
        self._term_monitors = term_monitors
        self._term_wakes = term_wakes
        self._term_matches = [frozenset(monitors) or EMPTY for monitors in term_matches]
        self._termless = termless
        self._termless_cache: dict[Any, frozenset[MonitorId]] = {}
        # Their answer depends only on the fields they name: the cache is keyed on those.
        self._termless_key = operator.attrgetter(*termless_fields or ("language",))
        self._termless_answers = _lookup_function(tuple(termless_fields or ("language",)))
        # Every field filter of every monitor, by id; which of them a post satisfies
        # depends only on the post's fields that they name.
        self._fields = tuple(fields)
        self._fields_key = operator.attrgetter(
            *sorted({_ATTRIBUTES[field.name] for field in fields}) or ("language",)
        )
        self._fields_cache: dict[Any, frozenset[int]] = {}
        self._batch_size = batch_size
        self._local = threading.local()
        self.loaded_from_cache = loaded_from_cache
        self.compile_seconds = compile_seconds

    @classmethod
    def compile(
        cls,
        monitors: Mapping[MonitorId, Query | str],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        batch_size: int = 1000,
    ) -> Matcher[MonitorId]:
        """Compile monitors (id -> query or query text) into one matcher. With a
        `cache_dir`, the compiled database is read from there when the same terms were
        compiled before, and written there otherwise."""
        queries = {
            monitor: parse(query) if isinstance(query, str) else query
            for monitor, query in monitors.items()
        }
        patterns: dict[str, list[Term]] = {}
        field_ids: dict[Field, int] = {}
        for query in queries.values():
            for term in query.term_nodes():
                patterns.setdefault(term_pattern(term), []).append(term)
            for field in _fields_of(query.root):
                field_ids.setdefault(field, len(field_ids))
        # Ids follow the sorted patterns, so that a cached database fits any monitor set
        # with the same terms.
        ordered = sorted(patterns)
        term_ids = {term: i for i, pattern in enumerate(ordered) for term in patterns[pattern]}
        term_monitors: list[list[MonitorId]] = [[] for _ in ordered]
        # Monitors that any one of their terms makes match (`a OR #b`): no evaluation.
        term_matches: list[list[MonitorId]] = [[] for _ in ordered]
        termless: dict[MonitorId, _Predicate] = {}
        uses = [0] * len(ordered)
        for query in queries.values():
            for term in query.term_nodes():
                uses[term_ids[term]] += 1
        for monitor, query in queries.items():
            if _without_terms(query.root) is not False:
                termless[monitor] = _predicate(query.root, term_ids, field_ids)
            triggers = _required(query.root, term_ids, uses)
            if triggers is None:
                triggers = frozenset(term_ids[term] for term in query.term_nodes())
            woken = term_matches if _any_term_holds(query.root) else term_monitors
            for term_id in sorted(triggers):
                woken[term_id].append(monitor)
        # Each term's woken monitors as one function (a post with a hit reads one
        # function's few constants instead of a predicate and its closure per monitor).
        wakes: list[tuple[_Wake, ...]] = [
            (
                _wake_function(
                    [queries[monitor].root for monitor in monitors],
                    tuple(monitors),
                    term_ids,
                    field_ids,
                ),
            )
            if monitors
            else ()
            for monitors in term_monitors
        ]
        started = time.perf_counter()
        database, loaded = _database(ordered, cache_dir)
        table = fold_table(
            {char for terms in patterns.values() for char in _term_chars(terms[0])}, cache_dir
        )
        return cls(
            database=database,
            table=table,
            term_monitors=[tuple(found) for found in term_monitors],
            term_wakes=wakes,
            term_matches=[tuple(found) for found in term_matches],
            termless=termless,
            fields=sorted(field_ids, key=field_ids.__getitem__),
            termless_fields=sorted(
                {
                    _ATTRIBUTES[node.name]
                    for monitor in termless
                    for node in _fields_of(queries[monitor].root)
                }
            ),
            batch_size=batch_size,
            loaded_from_cache=loaded,
            compile_seconds=time.perf_counter() - started,
        )

    def match(self, document: Document) -> frozenset[MonitorId]:
        """The ids of the monitors that match the document."""
        return self.match_many([document])[0]

    def match_many(self, documents: Iterable[Document]) -> list[frozenset[MonitorId]]:
        """For each document in order, the ids of the monitors that match it."""
        documents = documents if isinstance(documents, Sequence) else list(documents)
        results: list[frozenset[MonitorId]] = []
        for start in range(0, len(documents), self._batch_size):
            results.extend(self._match_batch(documents[start : start + self._batch_size]))
        return results

    def _match_batch(self, documents: Sequence[Document]) -> list[frozenset[MonitorId]]:
        results: list[frozenset[MonitorId]]
        if self._termless:
            try:
                # Looking for a None among the answers would cost as much as the look-ups.
                results = self._termless_answers(documents, self._termless_cache)
            except KeyError:
                results = list(map(self._without_terms_for, documents))
        else:
            results = [EMPTY] * len(documents)
        if self._database is None or not documents:
            return results
        found = self._scan_batch([document.text for document in documents])
        wakes, sure = self._term_wakes, self._term_matches
        fields_key, fields_known = self._fields_key, self._fields_cache
        for post, term_ids in found.items():
            if len(term_ids) == 1:
                (term_id,) = term_ids
                woken = wakes[term_id]
                matched = sure[term_id]
            else:
                woken = tuple(chain.from_iterable(map(wakes.__getitem__, term_ids)))
                matched = EMPTY.union(*map(sure.__getitem__, term_ids))
            if woken:
                document = documents[post]
                fields = fields_known.get(fields_key(document))
                if fields is None:
                    fields = self._fields_for(document)
                for wake in woken:
                    held = wake(term_ids, fields)
                    if held:
                        matched = matched.union(held)
            elif not matched:
                continue  # only terms that wake no monitor (`refund` without a brand)
            base = results[post]
            if base:
                # The monitors that can match without terms and were not woken here.
                matched = matched.union(
                    base.difference(*map(self._term_monitors.__getitem__, term_ids))
                )
            results[post] = matched
        return results

    def _scan_batch(self, texts: Sequence[str]) -> dict[int, set[int]]:
        """The ids of the terms found in each text that has any.

        The batch is folded as one buffer through the fold table and scanned once; a
        match's offset names its post among the NULs' offsets. The texts the table
        cannot fold exactly are folded again the exact way and scanned apart (`_scan`);
        every other text's hits are its answer."""
        data, nuls, exact = fold_batch(texts, self._table)
        found = self._found(data, nuls)
        if exact:
            for post in exact:
                found.pop(post, None)
            for i, term_ids in self._scan([texts[post] for post in exact]).items():
                found[exact[i]] = term_ids
        return found

    def _found(self, data: bytes, nuls: np.ndarray) -> dict[int, set[int]]:
        """The ids of the terms found in each post of a buffer (NUL, post, NUL, ...)."""
        hits: list[int] = []  # term id, end, term id, end, ...
        self._database.scan(
            data, match_event_handler=_collect, context=hits, scratch=self._scratch()
        )
        found: dict[int, set[int]] = {}
        if not hits:
            return found
        # The term's last byte (or the `.`/`-` after a handle) is at end - 2: its post is
        # the number of NULs after the first one up to there.
        posts = np.searchsorted(nuls[1:] + 2, hits[1::2], side="right").tolist()
        for term_id, post in zip(hits[::2], posts, strict=True):
            terms = found.get(post)
            if terms is None:
                found[post] = {term_id}
            else:
                terms.add(term_id)
        return found

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        return scratch

    def _scan(self, texts: Sequence[str]) -> dict[int, set[int]]:
        """The ids of the terms found in each text that has any, folded exactly (UTF-8
        of `canonical_text()`, which holds no NUL)."""
        data = b"\x00".join([b"", *(canonical_text(text).encode("utf-8") for text in texts), b""])
        return self._found(data, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0))

    def _fields_for(self, document: Document) -> frozenset[int]:
        """The ids of the field filters the document satisfies."""
        key = self._fields_key(document)
        known = self._fields_cache.get(key)
        if known is None:
            known = (
                frozenset(
                    number
                    for number, field in enumerate(self._fields)
                    if field_matches(field, document)
                )
                or EMPTY
            )
            if len(self._fields_cache) > 10_000:
                self._fields_cache.clear()
            self._fields_cache[key] = known
        return known

    def _without_terms_for(self, document: Document) -> frozenset[MonitorId]:
        key = self._termless_key(document)
        known = self._termless_cache.get(key)
        if known is None:
            fields = self._fields_for(document)
            known = (
                frozenset(
                    monitor
                    for monitor, predicate in self._termless.items()
                    if predicate(EMPTY, fields)
                )
                or EMPTY
            )
            if len(self._termless_cache) > 10_000:
                self._termless_cache.clear()
            self._termless_cache[key] = known
        return known


@lru_cache(maxsize=64)
def _lookup_function(
    attributes: tuple[str, ...],
) -> Callable[[Sequence[Document], Mapping[Any, Any]], list[Any]]:
    """A function that looks each document's value of these attributes (one, or a tuple
    of several) up in a mapping, raising KeyError for one it lacks: a list comprehension
    that subscripts, several times faster than mapping `operator.attrgetter` and a third
    faster than calling `get`."""
    if not attributes or not set(attributes) <= set(_ATTRIBUTES.values()):
        raise ValueError(f"not document fields: {attributes!r}")
    key = ", ".join(f"document.{attribute}" for attribute in attributes)
    if len(attributes) > 1:
        key = f"({key})"
    namespace: dict[str, Any] = {}
    code = f"def lookup(documents, known):\n    return [known[{key}] for document in documents]\n"
    exec(code, {"__builtins__": {}}, namespace)  # noqa: S102  # names checked above
    return namespace["lookup"]  # type: ignore[no-any-return]


def _collect(term_id: int, _start: int, end: int, _flags: int, hits: list) -> None:
    hits += (term_id, end)


def _database(patterns: list[str], cache_dir: str | os.PathLike[str] | None) -> tuple[Any, bool]:
    """The compiled database for the patterns (None for none), and whether it came from
    the cache."""
    if not patterns:
        return None, False
    digest = hashlib.sha256(
        "\n".join([_FORMAT, _HYPERSCAN_VERSION, unicodedata.unidata_version, *patterns]).encode(
            "utf-8"
        )
    ).hexdigest()
    path = Path(cache_dir) / f"{digest}.hsdb" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK), True
        except (hyperscan.HyperscanError, OSError, ValueError):
            # Another Hyperscan or another CPU wrote it: compile afresh and replace it.
            pass
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[pattern.encode("latin-1") for pattern in patterns],
        ids=list(range(len(patterns))),
        elements=len(patterns),
        flags=0,
    )
    if path is not None:
        write_atomically(path, hyperscan.dumpb(database))
    return database, False
