"""The reference evaluator: one query against one post, written to be obviously right.

The compiled `Matcher` must agree with it on every query and every text; the property
tests and the benchmark hold it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.listening.query.syntax import (
    And,
    Field,
    Hashtag,
    Mention,
    Node,
    Not,
    Or,
    Query,
    Words,
)
from roost.listening.query.text import TextFeatures, features


@dataclass(frozen=True, slots=True)
class Document:
    """A post as a query sees it. The fields are compared without regard to case; an
    empty one (not known) satisfies no filter on it."""

    text: str
    language: str = ""
    channel: str = ""
    sentiment: str = ""
    intent: str = ""


def evaluate(query: Query, document: Document) -> bool:
    """Whether the query matches the document."""
    return _evaluate(query.root, features(document.text), document)


def _evaluate(node: Node, found: TextFeatures, document: Document) -> bool:
    if isinstance(node, Words):
        return found.has_words(node.words)
    if isinstance(node, Hashtag):
        return node.tag in found.hashtags
    if isinstance(node, Mention):
        return node.handle in found.mentions
    if isinstance(node, Field):
        return field_matches(node, document)
    if isinstance(node, Not):
        return not _evaluate(node.operand, found, document)
    if isinstance(node, And):
        return all(_evaluate(operand, found, document) for operand in node.operands)
    if isinstance(node, Or):
        return any(_evaluate(operand, found, document) for operand in node.operands)
    raise TypeError(f"not a query node: {node!r}")


def field_matches(node: Field, document: Document) -> bool:
    if node.name == "lang":
        # A language filter takes in the language's regional variants: lang:pt finds pt-BR.
        language = (document.language or "").lower().replace("_", "-")
        return language == node.value or language.startswith(f"{node.value}-")
    if node.name == "channel":
        return (document.channel or "").lower().removeprefix("@") == node.value
    if node.name == "sentiment":
        return (document.sentiment or "").lower() == node.value
    if node.name == "intent":
        return (document.intent or "").lower() == node.value
    raise ValueError(f"unknown field {node.name!r}")
