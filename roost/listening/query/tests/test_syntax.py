"""The query language: each operator, the terms, and the mistakes it points at."""

from __future__ import annotations

import pytest

from roost.listening.query import (
    And,
    Field,
    Hashtag,
    Mention,
    Not,
    Or,
    QuerySyntaxError,
    Words,
    parse,
)


def w(*words: str) -> Words:
    return Words(words)


def test_a_word_and_a_phrase_are_folded_words():
    assert parse("Refund").root == w("refund")
    assert parse('"Free  Shipping"').root == w("free", "shipping")
    # Punctuation inside a bare word splits it into a phrase.
    assert parse("e-mail").root == w("e", "mail")
    assert parse("Zażółć").root == w("zazolc")
    assert parse("ŁÓDŹ").root == w("lodz")


def test_hashtags_and_mentions():
    assert parse("#NorthWind").root == Hashtag("northwind")
    assert parse("@Northwind").root == Mention("northwind")
    assert parse("@northwind.bsky.social").root == Mention("northwind.bsky.social")
    assert parse("#Zażółć").root == Hashtag("zazolc")


def test_fields():
    assert parse("lang:PL").root == Field("lang", "pl")
    assert parse("lang:pt-BR").root == Field("lang", "pt-br")
    assert parse("channel:@Northwind-X").root == Field("channel", "northwind-x")
    assert parse("sentiment:negative").root == Field("sentiment", "negative")
    assert parse("intent:complaint").root == Field("intent", "complaint")


def test_and_or_not():
    assert parse("a AND b").root == And((w("a"), w("b")))
    assert parse("a OR b").root == Or((w("a"), w("b")))
    assert parse("NOT a").root == Not(w("a"))
    assert parse("NOT NOT a").root == Not(Not(w("a")))


def test_side_by_side_terms_are_joined_by_and():
    assert parse("a b").root == parse("a AND b").root
    assert parse('refund "free shipping" #x').root == And(
        (w("refund"), w("free", "shipping"), Hashtag("x"))
    )
    # "x NOT y" reads as x AND NOT y.
    assert parse("x NOT y").root == And((w("x"), Not(w("y"))))


def test_not_binds_tighter_than_and_which_binds_tighter_than_or():
    assert parse("a b OR c").root == Or((And((w("a"), w("b"))), w("c")))
    assert parse("a OR b AND c").root == Or((w("a"), And((w("b"), w("c")))))
    assert parse("NOT a OR b").root == Or((Not(w("a")), w("b")))
    assert parse("NOT a b").root == And((Not(w("a")), w("b")))


def test_parentheses_group():
    assert parse("(a OR b) c").root == And((Or((w("a"), w("b"))), w("c")))
    assert parse("NOT (a OR b)").root == Not(Or((w("a"), w("b"))))
    assert parse("((a))").root == w("a")


def test_lower_case_operators_are_words():
    assert parse("cats and dogs").root == And((w("cats"), w("and"), w("dogs")))


def test_written_out_in_full_it_parses_to_the_same_tree():
    for text in (
        '"free shipping" AND (@northwind OR #northwind) NOT lang:de',
        "a b OR c NOT (d OR e f)",
        "NOT NOT x OR sentiment:negative",
    ):
        query = parse(text)
        assert parse(str(query)) == query
    assert str(parse("a b OR c")) == "(a AND b) OR c"


def test_terms_are_what_the_query_looks_for_as_written():
    query = parse('"Free shipping" (@Northwind OR #northwind) NOT refund lang:de Zażółć')
    assert query.terms() == ("Free shipping", "@Northwind", "#northwind", "Zażółć")
    assert query.terms(negated=True) == (
        "Free shipping",
        "@Northwind",
        "#northwind",
        "refund",
        "Zażółć",
    )
    # Twice negated is looked for again; the same term is named once.
    assert parse("NOT (a NOT b) b").terms() == ("b",)
    assert parse("lang:en").terms() == ()


def test_queries_compare_by_meaning():
    assert parse("Łódź") == parse("lodz")
    assert hash(parse("Łódź")) == hash(parse("lodz"))
    assert parse("a") != parse("b")


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "the query is empty"),
        ("   ", 0, "the query is empty"),
        ("(a OR b", 0, "this ( is never closed"),
        ("a (b (c)", 2, "this ( is never closed"),
        ("a OR b)", 6, "this ) has no ( to close"),
        (")", 0, "this ) has no ( to close"),
        ("()", 0, "nothing between these parentheses"),
        ("a AND", 2, "AND needs a term after it"),
        ("a AND )", 2, "AND needs a term after it"),
        ("(a AND) b", 3, "AND needs a term after it"),
        ("AND a", 0, "AND needs a term before it"),
        ("a OR", 2, "OR needs a term after it"),
        ("OR a", 0, "OR needs a term before it"),
        ("a OR AND b", 2, "OR needs a term after it"),
        ("NOT", 0, "NOT needs a term after it"),
        ("a NOT", 2, "NOT needs a term after it"),
        ("NOT OR a", 0, "NOT needs a term after it"),
        ('a ""', 2, "empty quotes"),
        ('"  "', 0, "empty quotes"),
        ('"!!"', 0, "this phrase has no letters or digits"),
        ('a "free shipping', 2, "this quote is never closed"),
        ("!!!", 0, "has no letters or digits"),
        ("foo:bar", 0, "unknown field 'foo'"),
        ("a http://example.com", 2, "unknown field 'http'"),
        ("lang:", 5, "lang: needs a value"),
        ("lang:english1", 5, "lang: takes a language code"),
        ("x sentiment:angry", 12, "sentiment: is one of negative, neutral, positive"),
        ("intent:rant", 7, "intent: is one of complaint, question, praise, spam, other"),
        ("channel:a/b", 8, "channel: takes a channel's handle"),
        ("#", 0, "a hashtag needs letters or digits after #"),
        ("a #free-shipping", 7, "a hashtag holds only letters, digits and _, not '-'"),
        ("@", 0, "a mention needs a handle after @"),
        ("@northwind.", 0, "a handle is letters, digits and _"),
        ("@north..wind", 0, "a handle is letters, digits and _"),
    ],
)
def test_a_mistake_is_named_with_its_position(query, position, message):
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    error = raised.value
    assert error.position == position
    assert message in error.message
    assert f"position {position}" in str(error)
    # The caret stands under the character at fault.
    line, caret = error.caret().splitlines()
    assert line == query
    assert caret == " " * position + "^"


def test_an_error_without_the_query_still_names_the_position():
    error = QuerySyntaxError("something", 4)
    assert str(error) == "something (at position 4)"
    assert isinstance(error, ValueError)
