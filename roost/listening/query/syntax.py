"""The monitor query language: its syntax tree and its parser.

    "free shipping" AND (@northwind OR #northwind) NOT lang:de

- a word (`refund`) or a phrase in double quotes (`"free shipping"`): found on word
  boundaries, whatever the case and the diacritics (`zazolc` finds `Zażółć`); punctuation
  inside a word splits it (`e-mail` is the phrase `"e mail"`);
- `#tag` finds that hashtag, `@handle` that mention (a handle may hold `.` and `-`);
- `lang:pl` (also `pl-PL`), `channel:northwind-x`, `sentiment:negative|neutral|positive`,
  `intent:complaint|question|praise|spam|other` look at what is known of the post;
- `NOT` binds tightest, then `AND`, then `OR`; terms side by side are joined by `AND`
  (`a b OR c` is `(a AND b) OR c`); parentheses group. Operators are upper case: `and`,
  `or` and `not` in lower case are words.

A mistake raises `QuerySyntaxError` with the 0-based position of the character at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from roost.listening.query.text import fold, fold_words, is_handle, is_word_char

SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("complaint", "question", "praise", "spam", "other")
FIELDS = ("lang", "channel", "sentiment", "intent")


class QuerySyntaxError(ValueError):
    """A query that does not parse: what is wrong, and the 0-based offset of the
    character at fault (the length of the query when something is missing at its end)."""

    def __init__(self, message: str, position: int, query: str | None = None) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position
        self.query = query

    def caret(self) -> str:
        """The query with a caret under the position, two lines (empty without the query)."""
        if self.query is None:
            return ""
        line = self.query.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * self.position}^"

    def __str__(self) -> str:
        text = f"{self.message} (at position {self.position})"
        return f"{text}\n{self.caret()}" if self.query is not None else text


# The syntax tree. Nodes are immutable and compare by meaning, not by spelling: the
# `text` a term was written as is kept for display only.


@dataclass(frozen=True, slots=True)
class Words:
    """One word or a phrase: these folded words, next to each other, in this order."""

    words: tuple[str, ...]
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f'"{" ".join(self.words)}"' if len(self.words) > 1 else self.words[0]


@dataclass(frozen=True, slots=True)
class Hashtag:
    tag: str
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"#{self.tag}"


@dataclass(frozen=True, slots=True)
class Mention:
    handle: str
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"@{self.handle}"


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on what is known of a post: `name` is one of `FIELDS`, `value` lower case."""

    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}:{self.value}"


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node

    def __str__(self) -> str:
        return f"NOT {_wrap(self.operand, Not)}"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(operand, And) for operand in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(operand, Or) for operand in self.operands)


Term = Words | Hashtag | Mention
Node = Words | Hashtag | Mention | Field | Not | And | Or


def _wrap(node: Node, parent: type) -> str:
    """An operand written out; an AND or an OR inside another operator goes in
    parentheses, so `a OR (b AND c)` reads without knowing which binds tighter."""
    return f"({node})" if isinstance(node, And | Or) else str(node)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its tree and the text it was parsed from. `str(query)` is the
    query written out in full (every operator, parentheses where needed)."""

    root: Node
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return str(self.root)

    def terms(self, *, negated: bool = False) -> tuple[str, ...]:
        """The words, phrases, hashtags and mentions the query looks for, each once, in
        the order written, as the user wrote them (`"free shipping"` gives
        `free shipping`). Terms under an odd number of NOTs are what the query looks
        *away* from and are left out, unless `negated`."""
        found: dict[str, None] = {}
        for term, positive in _terms(self.root, positive=True):
            if positive or negated:
                found.setdefault(term.text or str(term), None)
        return tuple(found)

    def term_nodes(self) -> tuple[Term, ...]:
        """Every distinct term of the query, negated or not."""
        found: dict[Term, None] = {}
        for term, _positive in _terms(self.root, positive=True):
            found.setdefault(term, None)
        return tuple(found)


def _terms(node: Node, *, positive: bool) -> Iterator[tuple[Term, bool]]:
    if isinstance(node, Words | Hashtag | Mention):
        yield node, positive
    elif isinstance(node, Not):
        yield from _terms(node.operand, positive=not positive)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from _terms(operand, positive=positive)


# The lexer.

_Kind = Literal["(", ")", "AND", "OR", "NOT", "phrase", "bare"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str
    position: int


_OPERATORS: dict[str, _Kind] = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
_FIELD = re.compile(r"([A-Za-z]+):")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


def _tokens(query: str) -> Iterator[_Token]:
    i, end = 0, len(query)
    while i < end:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            yield _Token(char, char, i)  # type: ignore[arg-type]
            i += 1
        elif char == '"':
            close = query.find('"', i + 1)
            if close == -1:
                raise QuerySyntaxError("this quote is never closed", i, query)
            yield _Token("phrase", query[i + 1 : close], i)
            i = close + 1
        else:
            start = i
            while i < end and not query[i].isspace() and query[i] not in '()"':
                i += 1
            text = query[start:i]
            yield _Token(_OPERATORS.get(text, "bare"), text, start)


# The parser: recursive descent, one function per level of binding.


def parse(query: str) -> Query:
    """Parse a monitor query; raises `QuerySyntaxError` pointing at the mistake."""
    return Query(root=_Parser(query).parse(), text=query)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = list(_tokens(query))
        self.index = 0

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, position, self.query)

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("the query is empty", 0)
        root = self.parse_or()
        token = self.peek()
        if token is not None:
            # parse_or stops only before a ")" that no "(" opened.
            raise self.error("this ) has no ( to close", token.position)
        return root

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.expect_operand(token)
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while (token := self.peek()) is not None and token.kind not in (")", "OR"):
            if token.kind == "AND":
                self.take()
                self.expect_operand(token)
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_not(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            self.expect_operand(token)
            return Not(self.parse_not())
        return self.parse_primary()

    def expect_operand(self, operator: _Token) -> None:
        """After an operator: something it can apply to must follow."""
        following = self.peek()
        if following is None or following.kind in (")", "AND", "OR"):
            raise self.error(f"{operator.kind} needs a term after it", operator.position)

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            # Only reached at the start of an empty group; the callers check the rest.
            raise self.error("a term is missing here", len(self.query))
        if token.kind in ("AND", "OR"):
            raise self.error(f"{token.kind} needs a term before it", token.position)
        if token.kind == ")":
            raise self.error("this ) has no ( to close", token.position)
        self.take()
        if token.kind == "(":
            following = self.peek()
            if following is None:
                raise self.error("this ( is never closed", token.position)
            if following.kind == ")":
                raise self.error("nothing between these parentheses", token.position)
            inner = self.parse_or()
            closing = self.peek()
            if closing is None:
                raise self.error("this ( is never closed", token.position)
            self.take()
            return inner
        if token.kind == "phrase":
            return self.phrase(token)
        return self.bare(token)

    def phrase(self, token: _Token) -> Node:
        if not token.text.strip():
            raise self.error("empty quotes: put words between them", token.position)
        words = fold_words(token.text)
        if not words:
            raise self.error("this phrase has no letters or digits", token.position)
        return Words(words, token.text)

    def bare(self, token: _Token) -> Node:
        text, position = token.text, token.position
        if text[0] == "#":
            tag = fold(text[1:])
            if not tag:
                raise self.error("a hashtag needs letters or digits after #", position)
            for offset, char in enumerate(text[1:], start=1):
                if not all(is_word_char(c) for c in fold(char)):
                    raise self.error(
                        f"a hashtag holds only letters, digits and _, not {char!r}",
                        position + offset,
                    )
            return Hashtag(tag, text)
        if text[0] == "@":
            handle = fold(text[1:])
            if not handle:
                raise self.error("a mention needs a handle after @", position)
            if not is_handle(handle):
                raise self.error(
                    "a handle is letters, digits and _, joined by single . or -", position
                )
            return Mention(handle, text)
        named = _FIELD.match(text)
        if named:
            return self.field(named[1].lower(), text[named.end() :], position, named.end())
        words = fold_words(text)
        if not words:
            raise self.error(f"{text!r} has no letters or digits", position)
        return Words(words, text)

    def field(self, name: str, value: str, position: int, value_offset: int) -> Node:
        at = position + value_offset
        if name not in FIELDS:
            raise self.error(
                f"unknown field {name!r}: the fields are lang:, channel:, sentiment: and"
                ' intent: (put text with ":" in quotes to search for it)',
                position,
            )
        if not value:
            raise self.error(f"{name}: needs a value right after the colon", at)
        value = value.lower()
        if name == "lang" and not _LANGUAGE.fullmatch(value):
            raise self.error("lang: takes a language code such as en, pl or pt-BR", at)
        if name == "sentiment" and value not in SENTIMENTS:
            raise self.error(f"sentiment: is one of {', '.join(SENTIMENTS)}", at)
        if name == "intent" and value not in INTENTS:
            raise self.error(f"intent: is one of {', '.join(INTENTS)}", at)
        if name == "channel":
            value = value.removeprefix("@")
            if not value or not all(is_word_char(c) or c in ".-" for c in value):
                raise self.error("channel: takes a channel's handle, such as northwind-x", at)
        return Field(name, value)
