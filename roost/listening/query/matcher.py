"""Many monitors against many posts at once: one Hyperscan database for every term.

The protocol, which `evaluate()` (the reference) holds it to:

1. Every distinct term of every monitor (word, phrase, hashtag, mention) becomes one
   Hyperscan pattern over *folded bytes*, bounded by non-word bytes on both sides. A batch
   of posts is folded, joined by NUL bytes and scanned in one call; a match's end offset
   names its post (the NULs before it are counted). With a low hit rate there are few
   callbacks, and Python work is spent only on the posts that had a hit.
2. A batch is folded as two pieces: its ASCII posts, by `bytes.lower()`, which is
   exact; and the others *fast*, with a charmap codec that takes each character to one
   byte (ASCII letters to lower case, the common accented Latin letters to their base
   letter, common punctuation to a space; `ß` is made `ss` first), a character it does
   not know coming out as `?`, a separator. For a post with no such character this is
   exact too. An unknown character can only make the scan find more than the exact
   folding, except where it is part of a term or a mark between its letters: those are
   looked for in the piece's raw UTF-8 bytes with a second, small set of patterns
   (`prefilter`). A post with a hit and unknown characters is settled on the spot
   when each of them only separates words (emoji, as `_settle` decides); otherwise,
   and for a post the raw scan flags, the post is folded again the exact way below and
   scanned alone. Every other post's hits are its answer; a post with no hit has no
   term at all.
   The exact way costs C calls, not a Python loop per character: ASCII posts are
   `lower()`ed; the others go through the codec, and a character it does not know is
   looked at apart: one that only separates words becomes a space; a post holding one
   that makes words (another script, a combining mark after a letter) is *exotic*, is
   folded exactly (`canonical_text()`) and scanned in a buffer of its own. Every form
   keeps exactly the words, hashtags and mentions of `text.fold()`, so the patterns give
   exact answers.
3. Only monitors woken by a term that hit are evaluated, against the set of terms
   found and the set of field filters the post satisfies (one dictionary look-up per
   post, cached on its fields); a monitor is woken by the terms of which it needs at
   least one (`refund` is not needed by `northwind refund`, which waits for
   `northwind`), and one that any of its terms makes match (`a OR #b`) is not evaluated
   at all. Each monitor is one Python expression over the two sets, compiled once per
   shape of query. A monitor that can match with none of its terms present
   (`NOT refund`, `lang:de`) is evaluated once per distinct value of the fields it
   names, and that answer stands for every post where none of its terms were found.

Compiling is the slow part (seconds per thousand terms), so both databases are kept in
`cache_dir` under a hash of the patterns: a restart with the same terms loads them.
A `Matcher` may be shared between threads (each thread scans with its own scratch).
"""

from __future__ import annotations

import codecs
import hashlib
import operator
import os
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import accumulate, compress, count
from pathlib import Path
from typing import Any, Generic, TypeVar

import hyperscan

from roost.listening.query.evaluate import Document, field_matches
from roost.listening.query.prefilter import unknown_patterns
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
from roost.listening.query.text import MARKERS, STROKES, canonical, fold, is_word_char

MonitorId = TypeVar("MonitorId", bound=Hashable)

# Bytes that make words in a folded buffer: ASCII word characters, and any byte of a
# multi-byte UTF-8 character (in an exotic post only word characters are left outside
# ASCII). NUL separates posts: a phrase may not run across it.
_WORD_BYTES = r"0-9A-Z_a-z\x80-\xff"
_EDGE = rf"[^{_WORD_BYTES}]"
_GAP = rf"[^{_WORD_BYTES}\x00]+"
# After a mention's handle: not a word byte, and not a `.` or `-` that goes on with one.
_HANDLE_END = rf"(?:[^{_WORD_BYTES}.\-]|[.\-]{_EDGE})"
_PLAIN_SEPARATOR = " "

EMPTY: frozenset[Any] = frozenset()
_FORMAT = "roost-listening-match-1"
_UNKNOWN_FORMAT = "roost-listening-unknown-2"
_HYPERSCAN_VERSION = str(getattr(hyperscan, "__version__", "unknown"))


def _escape(word: str) -> str:
    return "".join(
        chr(byte) if chr(byte).isascii() and chr(byte).isalnum() else f"\\x{byte:02x}"
        for byte in word.encode("utf-8")
    )


def term_pattern(term: Term) -> str:
    """The Hyperscan pattern that finds the term in a folded buffer. A match always ends
    one byte after the term (two after a mention's handle that a `.` or `-` follows),
    inside the post or on the NUL after it."""
    if isinstance(term, Words):
        return _EDGE + _GAP.join(_escape(word) for word in term.words) + _EDGE
    if isinstance(term, Hashtag):
        return f"{_EDGE}#{_escape(term.tag)}{_EDGE}"
    handle = "".join(rf"\{char}" if char in ".-" else _escape(char) for char in term.handle)
    return f"{_EDGE}@{handle}{_HANDLE_END}"


# The charmap that folds a non-ASCII post one character to one byte. Its 256 places: the
# 128 ASCII characters, then the characters below that fold to one ASCII letter, a marker
# or nothing but separators, in this order of priority. Only characters of the Basic
# Multilingual Plane: with any other the codec falls back to a dict, five times slower
# (most emoji are left to `_settle`).
_COMMON = (
    "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"  # Polish
    "äöüÄÖÜ"  # German ("ß" is made "ss" beforehand)
    "\u00a0\u200b\u200d’‘“”„«»–—•·°€£¡¿"  # spacing and punctuation
    "❤♥✨✅❌⭐☺✔☀★"  # emoji of the Basic Multilingual Plane
    "àâçéèêëîïôûùñáíúãõÀÂÇÉÈÊÎÔÑÁÍÚ"  # French, Spanish, Portuguese
    "čďěňřšťůžýČĎĚŘŠŤŽ"  # Czech, Slovak
    "åøÅØőűășțğış"  # Nordic, Hungarian, Romanian, Turkish
)
_QUESTION = "?"
# A genuine "?" is swapped for this before encoding, so that a "?" in the encoded bytes
# always marks a character the codec did not know (the codec writes "?" for those).
_QUESTION_STANDIN = "\x1a"


def _fast_byte(char: str) -> str | None:
    """The one byte a character folds to when a post is folded a character at a time, or
    None when it needs looking at (`_kind`)."""
    folded = fold(char)
    if len(folded) == 1 and folded.isascii() and (is_word_char(folded) or folded in MARKERS):
        return folded
    if _separates_only(folded):
        return _PLAIN_SEPARATOR
    return None


def _separates_only(folded: str) -> bool:
    """Whether a folded character can stand as one plain space: no word characters, no
    `#` or `@`, and not a lone `.` or `-` (which could join a handle's words; a `.` or
    `-` next to another separator cannot)."""
    return (
        bool(folded)
        and not any(is_word_char(c) or c in "#@" for c in folded)
        and folded not in (".", "-")
    )


def _charmap() -> tuple[Any, bytes, frozenset[str]]:
    chars = [chr(code) for code in range(128)]
    for char in dict.fromkeys(_COMMON):
        if len(chars) == 256:
            break
        if ord(char) <= 0xFFFF and _fast_byte(char) is not None and char not in chars:
            chars.append(char)
    encoding = codecs.charmap_build("".join(chars) + "\ufffe" * (256 - len(chars)))
    table = bytearray(256)
    for code, char in enumerate(chars):
        table[code] = ord(_fast_byte(char) or _PLAIN_SEPARATOR)
    table[0] = 0  # NUL: the separator between posts
    table[ord(_QUESTION)] = ord(_QUESTION)  # settled one by one (`_settle`)
    return encoding, bytes(table), frozenset(chars)


_ENCODING, _FOLD_TABLE, _KNOWN = _charmap()
_SEPARATOR_KIND, _MARK_KIND, _EXOTIC_KIND = 0, 1, 2
_KINDS: dict[str, int] = {}
_NOT_PLAIN = frozenset(b"0123456789_#@.-" + bytes(range(ord("a"), ord("z") + 1)))


def _kind(char: str) -> int:
    kind = _KINDS.get(char)
    if kind is None:
        folded = fold(char)
        if not folded:
            kind = _MARK_KIND
        elif _separates_only(folded):
            kind = _SEPARATOR_KIND
        else:
            kind = _EXOTIC_KIND
        if len(_KINDS) < 100_000:
            _KINDS[char] = kind
    return kind


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


class _Buffer:
    """One scanned buffer: NUL, post, NUL, post, ..., NUL; and which posts they are."""

    __slots__ = ("data", "posts")

    def __init__(self, data: bytes, posts: Sequence[int]) -> None:
        self.data = data
        self.posts = posts

    def unsettled(self, offsets: Iterable[int], posts: Iterable[int], folded: str) -> set[int]:
        """Of the posts at these offsets (as `posts_at()` gave them), those the fast
        folding may have got wrong: those with an unknown character (a "?" in the
        buffer, at the same offset in `folded`, the text the codec folded) that is not
        settled as `_settle()` would settle it."""
        data, unsettled, seen = self.data, set(), set()
        for offset, post in zip(offsets, posts, strict=True):
            if post in seen:
                continue
            seen.add(post)
            end = data.find(b"\x00", offset)
            unknown = data.find(b"?", data.rfind(b"\x00", 0, offset), end)
            while unknown >= 0:
                kind = _kind(folded[unknown])
                if kind == _EXOTIC_KIND or (kind == _MARK_KIND and data[unknown - 1] in _NOT_PLAIN):
                    unsettled.add(post)
                    break
                unknown = data.find(b"?", unknown + 1, end)
        return unsettled

    def posts_at(self, offsets: Iterable[int]) -> list[int]:
        """The post at each offset, the offsets in ascending order: NULs are counted
        between one and the next, so a batch is read once whatever the number of hits."""
        data, posts = self.data, self.posts
        found, nuls, counted = [], 0, 0
        for offset in offsets:
            nuls += data.count(b"\x00", counted, offset + 1)
            counted = offset + 1
            found.append(posts[nuls - 1])
        return found


def fold_batch(texts: Sequence[str]) -> tuple[list[_Buffer], list[int]]:
    """The folded buffers to scan for a batch of texts, and the positions of the exotic
    texts (folded exactly in a buffer of their own, the last one)."""
    exotic: set[int] = set()
    plain = list(map(str.isascii, texts))
    everything = range(len(texts))
    if all(plain):
        parts: list[tuple[Sequence[int], list[str]]] = [(everything, list(texts))]
    else:
        unplain = list(map(operator.not_, plain))
        parts = [
            (list(compress(everything, plain)), list(compress(texts, plain))),
            (list(compress(everything, unplain)), list(compress(texts, unplain))),
        ]
    buffers = []
    for (posts, chosen), is_ascii in zip(parts, (True, False), strict=False):
        if not posts:
            continue
        part = "\x00".join(chosen)
        if part.count("\x00") != len(chosen) - 1:
            # A NUL inside a text would pass for the end of a post: such a text is
            # folded exactly, and blanked here.
            exotic.update(posts[i] for i, text in enumerate(chosen) if "\x00" in text)
            part = "\x00".join(text.replace("\x00", " ") for text in chosen)
        if is_ascii:
            buffers.append(_Buffer(b"\x00" + part.lower().encode("ascii") + b"\x00", posts))
            continue
        # Stand-ins first: "ß" folds to two letters, and a genuine "?" must not pass for
        # one the codec put in.
        part = "\x00" + part.replace(_QUESTION, _QUESTION_STANDIN) + "\x00"
        if "ß" in part:
            part = part.replace("ß", "ss")
        data = codecs.charmap_encode(part, "replace", _ENCODING)[0].translate(_FOLD_TABLE)
        buffer = _Buffer(data, posts)
        if b"?" in data:
            buffer.data = _settle(part, buffer, exotic)
        buffers.append(buffer)
    exotic_posts = sorted(exotic)
    if exotic_posts:
        folded = [canonical_text(texts[i]).encode("utf-8") for i in exotic_posts]
        buffers.append(_Buffer(b"\x00" + b"\x00".join(folded) + b"\x00", exotic_posts))
    return buffers, exotic_posts


def _settle(text: str, buffer: _Buffer, exotic: set[int]) -> bytes:
    """Settle each character the codec did not know (a "?" in the buffer, at the same
    offset in `text`): a separator stays a space; a mark that only follows a separator
    vanishes as well as a space would; anything else makes its post exotic. Emoji are
    the usual ones, so the common case is a few C calls."""
    data = buffer.data
    pieces = data.split(b"?")
    offsets = list(map(operator.add, accumulate(map(len, pieces[:-1])), count()))
    chars = list(map(text.__getitem__, offsets))
    kinds = {char: _kind(char) for char in set(chars)}
    if any(kinds.values()):
        post_end = -1
        # Separators (kind 0) are left out in C; what is left is looked at one by one.
        for offset, char in compress(
            zip(offsets, chars, strict=True), map(kinds.__getitem__, chars)
        ):
            if offset < post_end:
                continue  # this post is exotic already
            kind = kinds[char]
            if kind == _EXOTIC_KIND or (kind == _MARK_KIND and data[offset - 1] in _NOT_PLAIN):
                exotic.update(buffer.posts_at([offset]))
                post_end = data.find(b"\x00", offset)
    return b" ".join(pieces)


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


_END = operator.itemgetter(1)
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


_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")


def _fold_fast(part: str, is_ascii: bool) -> tuple[bytes, str]:
    """A buffer (NUL, text, NUL, ...) folded the fast way, and the text the codec folded
    (for an ASCII buffer, the buffer itself): ASCII by `bytes.lower()`, which is exact;
    any other by the codec, a character it does not know coming out as "?"."""
    if is_ascii:
        return part.encode("ascii").lower(), part
    # Stand-ins: "ß" folds to two letters, and a genuine "?" must not pass for one the
    # codec put in.
    folding = part.replace(_QUESTION, _QUESTION_STANDIN)
    if "ß" in folding:
        folding = folding.replace("ß", "ss")
    return codecs.charmap_encode(folding, "replace", _ENCODING)[0].translate(_FOLD_TABLE), folding


class Matcher(Generic[MonitorId]):
    """Monitors compiled together. Build with `Matcher.compile()`."""

    def __init__(
        self,
        *,
        database: Any,
        unknown: Any,
        predicates: dict[MonitorId, _Predicate],
        term_monitors: list[tuple[MonitorId, ...]],
        term_matches: list[tuple[MonitorId, ...]],
        termless: dict[MonitorId, _Predicate],
        fields: Sequence[Field],
        termless_fields: Sequence[str],
        batch_size: int,
        loaded_from_cache: bool,
        compile_seconds: float,
    ) -> None:
        self._database = database
        self._unknown = unknown
        self._predicates = predicates
        self._term_monitors = term_monitors
        self._term_matches = term_matches
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
        self._indexes = list(range(batch_size))
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
        predicates: dict[MonitorId, _Predicate] = {}
        termless: dict[MonitorId, _Predicate] = {}
        uses = [0] * len(ordered)
        for query in queries.values():
            for term in query.term_nodes():
                uses[term_ids[term]] += 1
        for monitor, query in queries.items():
            predicate = _predicate(query.root, term_ids, field_ids)
            predicates[monitor] = predicate
            if _without_terms(query.root) is not False:
                termless[monitor] = predicate
            triggers = _required(query.root, term_ids, uses)
            if triggers is None:
                triggers = frozenset(term_ids[term] for term in query.term_nodes())
            woken = term_matches if _any_term_holds(query.root) else term_monitors
            for term_id in sorted(triggers):
                woken[term_id].append(monitor)
        started = time.perf_counter()
        database, loaded = _database(ordered, cache_dir)
        unknown, unknown_loaded = _unknown_database(
            ordered, [patterns[pattern][0] for pattern in ordered], cache_dir
        )
        return cls(
            database=database,
            unknown=unknown,
            predicates=predicates,
            term_monitors=[tuple(found) for found in term_monitors],
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
            loaded_from_cache=loaded and unknown_loaded,
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
            known = self._termless_answers(documents, self._termless_cache.get)
            if None in known:
                known = [
                    answer if answer is not None else self._without_terms_for(document)
                    for answer, document in zip(known, documents, strict=True)
                ]
            results = known  # type: ignore[assignment]  # no None is left
        else:
            results = [EMPTY] * len(documents)
        if self._database is None or not documents:
            return results
        found = self._scan_batch([document.text for document in documents])
        wakes, sure = self._term_monitors, self._term_matches
        predicates, fields_for = self._predicates, self._fields_for
        for post, term_ids in found.items():
            if len(term_ids) == 1:
                term_id = next(iter(term_ids))
                candidates: Iterable[MonitorId] = wakes[term_id]
                matched = set(sure[term_id])
            else:
                candidates = set().union(*map(wakes.__getitem__, term_ids))
                matched = set().union(*map(sure.__getitem__, term_ids))
            if candidates:
                fields = fields_for(documents[post])
                matched.update([m for m in candidates if predicates[m](term_ids, fields)])
            elif not matched:
                continue  # only terms that wake no monitor (`refund` without a brand)
            base = results[post]
            if base:
                # The monitors that can match without terms and were not woken here.
                matched.update(base.difference(candidates))
            results[post] = frozenset(matched) if matched else EMPTY
        return results

    def _scan_batch(self, texts: Sequence[str]) -> dict[int, set[int]]:
        """The ids of the terms found in each text that has any.

        The ASCII texts and the others are folded apart, each group as one buffer:
        ASCII by `bytes.lower()`, which is exact; the others by the codec, which is
        exact for a text with no character it does not know. The raw bytes of the
        others are scanned for the unknown characters that could make part of a term
        (`prefilter`). A text with such a character, or with a hit and any unknown
        character, is folded again the exact way and scanned alone (`_scan`); every
        other text's hits are its answer."""
        found: dict[int, set[int]] = {}
        again: set[int] = set()
        plain = bytes(map(str.isascii, texts))
        others = plain.count(0)
        groups: list[tuple[Sequence[int], Iterable[str], bool]]
        if others in (0, len(texts)):
            groups = [(range(len(texts)), texts, not others)]
        else:
            other = plain.translate(_FLIP)  # a C call, not a loop
            indexes = self._indexes
            groups = [
                (list(compress(indexes, plain)), compress(texts, plain), True),
                (list(compress(indexes, other)), compress(texts, other), False),
            ]
        database, scratch = self._database, self._scratch()
        for posts, chosen, is_ascii in groups:
            # One join makes the buffer, NULs at both ends included.
            part = "\x00".join(["", *chosen, ""])
            data, folding = _fold_fast(part, is_ascii)
            if data.count(0) != len(posts) + 1:
                # A NUL inside a text would pass for the end of a post: such a text is
                # folded the exact way, and blanked here (counted in the folded bytes,
                # where only a NUL makes a zero byte, faster than in the text).
                again.update(post for post in posts if "\x00" in texts[post])
                part = "\x00".join(["", *(texts[post].replace("\x00", " ") for post in posts), ""])
                data, folding = _fold_fast(part, is_ascii)
            unknown = not is_ascii and b"?" in data
            hits: list[tuple[int, int]] = []
            database.scan(data, match_event_handler=_collect, context=hits, scratch=scratch)
            if hits:
                hits.sort(key=_END)
                buffer = _Buffer(data, posts)
                # The term's last byte (or the `.`/`-` after a handle) is at end - 2.
                offsets = [end - 2 for _term, end in hits]
                hit_posts = buffer.posts_at(offsets)
                if unknown:
                    again.update(buffer.unsettled(offsets, hit_posts, folding))
                for (term_id, _end), post in zip(hits, hit_posts, strict=True):
                    terms = found.get(post)
                    if terms is None:
                        found[post] = {term_id}
                    else:
                        terms.add(term_id)
            if unknown:
                again.update(self._scan_unknown(part, posts))
        if not again:
            return found
        for post in again:
            found.pop(post, None)
        chosen_again = sorted(again)
        for i, term_ids in self._scan([texts[i] for i in chosen_again]).items():
            found[chosen_again[i]] = term_ids
        return found

    def _scan_unknown(self, part: str, posts: Sequence[int]) -> list[int]:
        """The posts of a buffer (NUL, text, NUL, ...) whose raw bytes hold an unknown
        character that could make part of a term."""
        try:
            raw = part.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            raw = part.encode("utf-8", "surrogatepass")
        scratches = getattr(self._local, "unknown_scratches", None)
        if scratches is None:
            scratches = self._local.unknown_scratches = [
                hyperscan.Scratch(database) for database in self._unknown
            ]
        ends: list[int] = []
        for database, scratch in zip(self._unknown, scratches, strict=True):
            database.scan(raw, match_event_handler=_collect_end, context=ends, scratch=scratch)
        if not ends:
            return []
        ends.sort()
        # A match's last byte is inside its post.
        return _Buffer(raw, posts).posts_at([end - 1 for end in ends])

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        return scratch

    def _scan(self, texts: Sequence[str]) -> dict[int, set[int]]:
        """The ids of the terms found in each text that has any (folded exactly)."""
        buffers, exotic = fold_batch(texts)
        scratch = self._scratch()
        found: dict[int, set[int]] = {}
        skip = frozenset(exotic)
        last = len(buffers) - 1
        for number, buffer in enumerate(buffers):
            hits: list[tuple[int, int]] = []
            self._database.scan(
                buffer.data, match_event_handler=_collect, context=hits, scratch=scratch
            )
            if not hits:
                continue
            hits.sort(key=_END)
            # The term's last byte (or the `.`/`-` after a handle) is at end - 2.
            posts = buffer.posts_at([end - 2 for _term, end in hits])
            exact = number == last and bool(exotic)
            for (term_id, _end), post in zip(hits, posts, strict=True):
                if exact or post not in skip:
                    found.setdefault(post, set()).add(term_id)
        return found

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
) -> Callable[[Sequence[Document], Callable[[Any], Any]], list[Any]]:
    """A function that looks each document's value of these attributes (one, or a tuple
    of several) up with `get`: a list comprehension, several times faster than mapping
    `operator.attrgetter`."""
    if not attributes or not set(attributes) <= set(_ATTRIBUTES.values()):
        raise ValueError(f"not document fields: {attributes!r}")
    key = ", ".join(f"document.{attribute}" for attribute in attributes)
    if len(attributes) > 1:
        key = f"({key})"
    namespace: dict[str, Any] = {}
    code = f"def lookup(documents, get):\n    return [get({key}) for document in documents]\n"
    exec(code, {"__builtins__": {}}, namespace)  # noqa: S102  # names checked above
    return namespace["lookup"]  # type: ignore[no-any-return]


def _collect_end(_id: int, _start: int, end: int, _flags: int, ends: list) -> None:
    ends.append(end)


def _collect(term_id: int, _start: int, end: int, _flags: int, hits: list) -> None:
    hits.append((term_id, end))


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
        _write_atomically(path, hyperscan.dumpb(database))
    return database, False


def _unknown_database(
    patterns: list[str], terms: list[Term], cache_dir: str | os.PathLike[str] | None
) -> tuple[list[Any], bool]:
    """The compiled patterns for the unknown characters that could make part of these
    terms (`prefilter`; none for no terms), and whether they came from the cache. Keyed
    on the exact patterns and the known characters, so that cached ones are found
    without folding every code point to build their patterns. Each pattern is a
    database of its own: scanned one after the other they take half the time they take
    together."""
    if not patterns:
        return [], False
    digest = hashlib.sha256(
        "\n".join(
            [
                _UNKNOWN_FORMAT,
                _HYPERSCAN_VERSION,
                unicodedata.unidata_version,
                "".join(sorted(_KNOWN)),
                *patterns,
            ]
        ).encode("utf-8")
    ).hexdigest()
    path = Path(cache_dir) / f"{digest}.hsdb" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            return [
                hyperscan.loadb(part, hyperscan.HS_MODE_BLOCK)
                for part in _unpack(path.read_bytes())
            ], True
        except (hyperscan.HyperscanError, OSError, ValueError):
            pass
    databases = []
    for expression in unknown_patterns(terms, _KNOWN | {"ß"}):
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(expressions=[expression], ids=[0], elements=1, flags=0)
        databases.append(database)
    if path is not None:
        _write_atomically(path, _pack([hyperscan.dumpb(database) for database in databases]))
    return databases, False


def _pack(parts: Sequence[bytes]) -> bytes:
    """Serialised databases in one file: each one's length (8 bytes) before it."""
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def _unpack(data: bytes) -> list[bytes]:
    parts, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 8], "big")
        part = data[offset + 8 : offset + 8 + length]
        if length == 0 or len(part) != length:
            raise ValueError("not a packed list of databases")
        parts.append(part)
        offset += 8 + length
    if not parts:
        raise ValueError("no database")
    return parts


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
