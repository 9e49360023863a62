"""The reference evaluator: words on word boundaries, folded; each operator; the fields."""

from __future__ import annotations

import pytest

from roost.listening.query import Document, evaluate, fold, parse


def matches(query: str, text: str, **fields: str) -> bool:
    return evaluate(parse(query), Document(text=text, **fields))


def test_folding_drops_case_and_diacritics():
    assert fold("Zażółć GĘŚLĄ jaźń") == "zazolc gesla jazn"
    assert fold("Łódź") == "lodz"
    assert fold("Straße") == "strasse"
    assert fold("ÆSIR Øre") == "aesir ore"
    assert fold("ﬁne") == "fine"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("zazolc", "Zażółć gęślą jaźń"),
        ("Zażółć", "ZAZOLC"),
        ("lodz", "Łódź"),
        ("refund", "REFUND please"),
        ("cafe", "Café au lait"),
        # Decomposed text (a letter, then its combining mark) is the same text.
        ("cafe", "Cafe\u0301"),
        ('"free shipping"', "Free shipping on everything"),
        # Between a phrase's words any punctuation and spacing will do.
        ('"free shipping"', "free -- shipping!"),
        ("cat", "a cat."),
        ("cat", "#cat"),
        ("cat", "(cat)"),
        ("кот", "Мой Кот спит"),
        ("#northwind", "love #NorthWind"),
        ("@northwind", "thanks @Northwind!"),
        ("@northwind", "thanks @northwind."),
        ("@northwind.bsky.social", "cc @northwind.bsky.social, ok"),
        ("#zazolc", "#Zażółć"),
    ],
)
def test_found(query, text):
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("cat", "category"),
        ("cat", "concat"),
        ("cat", "cat_food"),
        ("cat", "cats"),
        ("ship", "free shipping"),
        ('"free shipping"', "shipping free"),
        ('"free shipping"', "free fast shipping"),
        ("#northwind", "northwind"),
        ("#northwind", "#northwindfans"),
        ("#northwind", "a#northwind"),
        ("@northwind", "northwind"),
        ("@northwind", "#northwind"),
        ("@northwind", "@northwind.bsky.social"),
        ("@northwind", "@northwind-eu"),
        ("@northwind", "mail@northwind.com"),
        ("kot", "Кот"),
        ("lodz", "Łódźka"),
    ],
)
def test_not_found(query, text):
    assert not matches(query, text)


def test_and_or_not_and_implicit_and():
    text = "late delivery, I want a refund"
    assert matches("refund AND delivery", text)
    assert matches("refund delivery", text)
    assert not matches("refund AND shipping", text)
    assert not matches("refund shipping", text)
    assert matches("refund OR shipping", text)
    assert not matches("invoice OR shipping", text)
    assert matches("NOT shipping", text)
    assert not matches("NOT refund", text)
    assert matches("refund NOT shipping", text)
    assert not matches("refund NOT delivery", text)
    assert matches("(shipping OR delivery) refund", text)
    assert matches("shipping OR delivery refund", text)
    assert not matches("shipping OR delivery invoice", text)


def test_fields():
    assert matches("lang:en", "x", language="en")
    assert matches("lang:en", "x", language="en-GB")
    assert matches("lang:en-gb", "x", language="en_GB")
    assert not matches("lang:en", "x", language="eng")
    assert not matches("lang:en", "x")
    assert matches("channel:northwind-x", "x", channel="Northwind-X")
    assert not matches("channel:northwind", "x", channel="northwind-x")
    assert matches("sentiment:negative", "x", sentiment="negative")
    assert not matches("sentiment:negative", "x", sentiment="neutral")
    assert matches("intent:complaint", "x", intent="complaint")
    assert not matches("intent:complaint", "x", intent="")
    # A filter that is not known is not satisfied, so its negation is.
    assert matches("NOT lang:de", "x")


def test_the_example_query():
    query = '"free shipping" AND (@northwind OR #northwind) NOT lang:de'
    assert matches(query, "Free shipping from @Northwind!", language="en")
    assert matches(query, "#northwind free, shipping", language="pl")
    assert not matches(query, "Free shipping from @Northwind!", language="de")
    assert not matches(query, "Free shipping from Northwind!", language="en")
