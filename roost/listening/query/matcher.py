"""Many monitors against many posts at once: one Hyperscan database for every term.

The protocol, which `evaluate()` (the reference) holds it to:

1. Every distinct term of every monitor (word, phrase, hashtag, mention) becomes one
   Hyperscan pattern over *folded bytes*, bounded by non-word bytes on both sides. A batch
   of posts is folded, joined by NUL bytes and scanned in one call; a match's end offset
   names its post (the NULs before it are counted). With a low hit rate there are few
   callbacks, and Python work is spent only on the posts that had a hit.
2. A batch is first folded *fast*, as one piece: a charmap codec takes each character
   to one byte (ASCII letters to lower case, the common accented Latin letters to their
   base letter, common punctuation to a space; `ß` is made `ss` first), and a character
   it does not know comes out as a separator. Scanned with the same patterns, this can
   only find more than the exact folding, except where an unknown character is part of
   a term or a mark between its letters: those are looked for in the batch's raw UTF-8
   bytes with a second, small database (`prefilter`). The posts either scan flags (those
   with a term, and a few more) are then folded again the exact way below and scanned,
   which settles them; every other post has no term at all.
   The exact way costs C calls, not a Python loop per character: ASCII posts are
   `lower()`ed; the others go through the codec, and a character it does not know is
   looked at apart: one that only separates words becomes a space; a post holding one
   that makes words (another script, a combining mark after a letter) is *exotic*, is
   folded exactly (`canonical_text()`) and scanned in a buffer of its own. Every form
   keeps exactly the words, hashtags and mentions of `text.fold()`, so the patterns give
   exact answers.
3. Only monitors woken by a term that hit are evaluated, against the set of terms
   found; a monitor is woken by the terms of which it needs at least one (`refund` is
   not needed by `northwind refund`, which waits for `northwind`). A monitor that can
   match with none of its terms present (`NOT refund`, `lang:de`) is evaluated once per
   distinct value of the fields it names, and that answer stands for every post where
   none of its terms were found.

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
_UNKNOWN_FORMAT = "roost-listening-unknown-1"
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


# Boolean evaluation of one monitor against the set of term ids found in a post.
_Predicate = Callable[[frozenset[int] | set[int], Document], bool]


def _predicate(node: Node, term_ids: Mapping[Term, int]) -> _Predicate:
    """The node as a function of the term ids found and the document. Operands that are
    all terms become one set operation; AND and OR of two operands avoid a loop."""
    if isinstance(node, Words | Hashtag | Mention):
        term_id = term_ids[node]
        return lambda found, _document: term_id in found
    if isinstance(node, Field):
        field, name, value = node, node.name, node.value
        if name == "lang":
            return lambda _found, document: field_matches(field, document)
        attribute = {"channel": "channel", "sentiment": "sentiment", "intent": "intent"}[name]
        # The stored value is usually written as the filter's already: compare that first.
        return lambda _found, document: (
            getattr(document, attribute) == value or field_matches(field, document)
        )
    if isinstance(node, Not):
        inner = _predicate(node.operand, term_ids)
        return lambda found, document: not inner(found, document)
    if all(isinstance(operand, Words | Hashtag | Mention) for operand in node.operands):
        ids = frozenset(term_ids[operand] for operand in node.operands)  # type: ignore[index]
        if isinstance(node, And):
            return lambda found, _document: ids <= found
        return lambda found, _document: not ids.isdisjoint(found)
    operands = tuple(_predicate(operand, term_ids) for operand in node.operands)
    if len(operands) == 2:
        first, second = operands
        if isinstance(node, And):
            return lambda found, document: first(found, document) and second(found, document)
        return lambda found, document: first(found, document) or second(found, document)
    if isinstance(node, And):

        def all_hold(found: frozenset[int] | set[int], document: Document) -> bool:
            # A loop, not all() over a generator: this runs for every candidate post.
            for test in operands:  # noqa: SIM110
                if not test(found, document):
                    return False
            return True

        return all_hold

    def any_holds(found: frozenset[int] | set[int], document: Document) -> bool:
        for test in operands:  # noqa: SIM110
            if test(found, document):
                return True
        return False

    return any_holds


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


_TEXTS = operator.attrgetter("text")


class Matcher(Generic[MonitorId]):
    """Monitors compiled together. Build with `Matcher.compile()`."""

    def __init__(
        self,
        *,
        database: Any,
        unknown: Any,
        predicates: dict[MonitorId, _Predicate],
        term_monitors: list[tuple[MonitorId, ...]],
        termless: dict[MonitorId, _Predicate],
        termless_fields: Sequence[str],
        batch_size: int,
        loaded_from_cache: bool,
        compile_seconds: float,
    ) -> None:
        self._database = database
        self._unknown = unknown
        self._predicates = predicates
        self._term_monitors = term_monitors
        self._termless = termless
        self._termless_cache: dict[Any, frozenset[MonitorId]] = {}
        # Their answer depends only on the fields they name: the cache is keyed on those.
        self._termless_key = operator.attrgetter(*termless_fields or ("language",))
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
        for query in queries.values():
            for term in query.term_nodes():
                patterns.setdefault(term_pattern(term), []).append(term)
        # Ids follow the sorted patterns, so that a cached database fits any monitor set
        # with the same terms.
        ordered = sorted(patterns)
        term_ids = {term: i for i, pattern in enumerate(ordered) for term in patterns[pattern]}
        term_monitors: list[list[MonitorId]] = [[] for _ in ordered]
        predicates: dict[MonitorId, _Predicate] = {}
        termless: dict[MonitorId, _Predicate] = {}
        uses = [0] * len(ordered)
        for query in queries.values():
            for term in query.term_nodes():
                uses[term_ids[term]] += 1
        for monitor, query in queries.items():
            predicate = _predicate(query.root, term_ids)
            predicates[monitor] = predicate
            if _without_terms(query.root) is not False:
                termless[monitor] = predicate
            triggers = _required(query.root, term_ids, uses)
            if triggers is None:
                triggers = frozenset(term_ids[term] for term in query.term_nodes())
            for term_id in sorted(triggers):
                term_monitors[term_id].append(monitor)
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
            termless=termless,
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
            known = list(map(self._termless_cache.get, map(self._termless_key, documents)))
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
        found = self._scan_flagged(list(map(_TEXTS, documents)))
        wakes, predicates = self._term_monitors, self._predicates
        for post, term_ids in found.items():
            candidates = {monitor for term_id in term_ids for monitor in wakes[term_id]}
            if not candidates:
                continue  # only terms that wake no monitor (`refund` without a brand)
            document = documents[post]
            matched = {m for m in candidates if predicates[m](term_ids, document)}
            base = results[post]
            if base:
                matched |= base - candidates
            results[post] = frozenset(matched) if matched else EMPTY
        return results

    def _scan_flagged(self, texts: Sequence[str]) -> dict[int, set[int]]:
        """The ids of the terms found in each text that has any. The batch is folded
        fast as one piece (the codec; unknown characters left as separators) and
        scanned; its raw bytes are scanned for the unknown characters that could make
        part of a term (`prefilter`). Only the texts either scan flags are folded and
        scanned again (`_scan`), which settles them exactly."""
        joined = "\x00".join(texts)
        flagged: set[int] = set()
        if joined.count("\x00") != len(texts) - 1:
            # A NUL inside a text would pass for the end of a post: such a text goes to
            # the exact scan, and is blanked here.
            flagged.update(i for i, text in enumerate(texts) if "\x00" in text)
            joined = "\x00".join(text.replace("\x00", " ") for text in texts)
        posts = range(len(texts))
        part = "\x00" + joined.replace(_QUESTION, _QUESTION_STANDIN) + "\x00"
        if "ß" in part:
            part = part.replace("ß", "ss")
        data = codecs.charmap_encode(part, "replace", _ENCODING)[0].translate(_FOLD_TABLE)
        hits: list[tuple[int, int]] = []
        self._database.scan(
            data, match_event_handler=_collect, context=hits, scratch=self._scratch()
        )
        if hits:
            hits.sort(key=_END)
            # The term's last byte (or the `.`/`-` after a handle) is at end - 2.
            flagged.update(_Buffer(data, posts).posts_at([end - 2 for _term, end in hits]))
        if b"?" in data:
            raw = ("\x00" + joined + "\x00").encode("utf-8", "surrogatepass")
            scratch = getattr(self._local, "unknown_scratch", None)
            if scratch is None:
                scratch = self._local.unknown_scratch = hyperscan.Scratch(self._unknown)
            ends: list[int] = []
            self._unknown.scan(raw, match_event_handler=_collect_end, context=ends, scratch=scratch)
            if ends:
                ends.sort()
                # A match's last byte is inside its post.
                flagged.update(_Buffer(raw, posts).posts_at([end - 1 for end in ends]))
        if not flagged:
            return {}
        chosen = sorted(flagged)
        found = self._scan([texts[i] for i in chosen])
        return {chosen[i]: term_ids for i, term_ids in found.items()}

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

    def _without_terms_for(self, document: Document) -> frozenset[MonitorId]:
        key = self._termless_key(document)
        known = self._termless_cache.get(key)
        if known is None:
            known = (
                frozenset(
                    monitor
                    for monitor, predicate in self._termless.items()
                    if predicate(EMPTY, document)
                )
                or EMPTY
            )
            if len(self._termless_cache) > 10_000:
                self._termless_cache.clear()
            self._termless_cache[key] = known
        return known


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
) -> tuple[Any, bool]:
    """The compiled patterns for the unknown characters that could make part of these
    terms (`prefilter`; None for no terms), and whether it came from the cache. Keyed on
    the exact patterns and the known characters, so that a cached one is found without
    folding every code point to build its patterns."""
    if not patterns:
        return None, False
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
            return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK), True
        except (hyperscan.HyperscanError, OSError, ValueError):
            pass
    expressions = unknown_patterns(terms, _KNOWN | {"ß"})
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=expressions,
        ids=[0] * len(expressions),
        elements=len(expressions),
        flags=0,
    )
    if path is not None:
        _write_atomically(path, hyperscan.dumpb(database))
    return database, False


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
