"""Monitor queries: the language, its reference evaluator and the compiled matcher.

    from roost.listening.query import Document, Matcher, evaluate, parse

    query = parse('"free shipping" AND (@northwind OR #northwind) NOT lang:de')
    evaluate(query, Document(text="Free shipping from @Northwind!", language="en"))  # True
    matcher = Matcher.compile({7: query}, cache_dir=some_directory)
    matcher.match_many(documents)  # one frozenset of monitor ids per document

A pure library: the standard library, Hyperscan and numpy, no Django.
docs/listening-queries.md describes the language for the people who write queries.
"""

from roost.listening.query.evaluate import Document, evaluate
from roost.listening.query.matcher import Matcher
from roost.listening.query.syntax import (
    INTENTS,
    SENTIMENTS,
    And,
    Field,
    Hashtag,
    Mention,
    Node,
    Not,
    Or,
    Query,
    QuerySyntaxError,
    Term,
    Words,
    parse,
)
from roost.listening.query.text import fold

__all__ = [
    "INTENTS",
    "SENTIMENTS",
    "And",
    "Document",
    "Field",
    "Hashtag",
    "Matcher",
    "Mention",
    "Node",
    "Not",
    "Or",
    "Query",
    "QuerySyntaxError",
    "Term",
    "Words",
    "evaluate",
    "fold",
    "parse",
]
