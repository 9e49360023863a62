"""The compiled matcher gives the reference evaluator's answers, many monitors at once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.listening.query import Document, Matcher, evaluate, parse
from roost.listening.query import fold_table as fold_table_module
from roost.listening.query.fold_table import fold_table
from roost.listening.query.matcher import canonical_text, fold_batch
from roost.listening.query.text import canonical, features

# Words as queries spell them and as posts do: case, Polish and other diacritics,
# decomposed marks, another script, and near misses that must not match.
QUERY_WORDS = (
    "cat",
    "Cat",
    "zazolc",
    "Zażółć",
    "lodz",
    "Łódź",
    "free",
    "shipping",
    "north",
    "wind",
    "кот",
    "strasse",
    "cafe",
    "e-mail",
    "a_b",
    "x1",
)
TEXT_WORDS = (
    "cat",
    "CAT",
    "cAt",
    "category",
    "concat",
    "cats",
    "Zażółć",
    "ZAZOLC",
    "zażółćx",
    "Łódź",
    "LODZ",
    "łódźka",
    "free",
    "FREE",
    "shipping",
    "Shipping",
    "north",
    "North",
    "wind",
    "northwind",
    "кот",
    "Кот",
    "котик",
    "Straße",
    "strasse",
    "café",
    "cafe\u0301",
    "CAFÉ",
    "e-mail",
    "email",
    "a_b",
    "x1",
    "x12",
    "ß",
    "ｃａｔ",
    "ﬁ",
)
SEPARATORS = (
    " ",
    "  ",
    "",
    ",",
    ", ",
    ".",
    "-",
    "--",
    "_",
    "#",
    "@",
    "\n",
    "\t",
    "…",
    "?",
    "!",
    "❤️",
    "😡",
    "\u00a0",
    "\u200d",
    "\u0301",
    "\x00",
    "/",
    "'",
)
FIELDS = (
    "lang:en",
    "lang:pl",
    "lang:pt",
    "channel:northwind-x",
    "sentiment:negative",
    "sentiment:positive",
    "intent:complaint",
    "intent:spam",
)

leaf = st.one_of(
    st.sampled_from(QUERY_WORDS),
    st.lists(st.sampled_from(QUERY_WORDS), min_size=2, max_size=3).map(
        lambda words: '"' + " ".join(words) + '"'
    ),
    st.sampled_from(QUERY_WORDS).filter(lambda w: "-" not in w).map(lambda w: f"#{w}"),
    st.lists(st.sampled_from(("north", "wind", "Łódź", "cat")), min_size=1, max_size=3).map(
        lambda parts: "@" + ".".join(parts)
    ),
    st.sampled_from(FIELDS),
)


def _combine(children):
    return st.one_of(
        st.tuples(children, children).map(lambda pair: f"({pair[0]} AND {pair[1]})"),
        st.tuples(children, children).map(lambda pair: f"({pair[0]} OR {pair[1]})"),
        st.tuples(children, children).map(lambda pair: f"({pair[0]} {pair[1]})"),
        st.tuples(children, children).map(lambda pair: f"{pair[0]} NOT {pair[1]}"),
        children.map(lambda child: f"NOT {child}"),
    )


queries = st.recursive(leaf, _combine, max_leaves=6)

fragment = st.one_of(
    st.sampled_from(TEXT_WORDS),
    st.sampled_from(TEXT_WORDS).map(lambda w: f"#{w}"),
    st.sampled_from(TEXT_WORDS).map(lambda w: f"@{w}"),
    st.lists(st.sampled_from(("north", "wind", "łódź", "cat")), min_size=2, max_size=3).map(
        lambda parts: "@" + ".".join(parts)
    ),
    st.text(max_size=4),
)
texts = st.lists(st.tuples(fragment, st.sampled_from(SEPARATORS)), max_size=8).map(
    lambda parts: "".join(word + separator for word, separator in parts)
)
documents = st.builds(
    Document,
    text=texts,
    language=st.sampled_from(("", "en", "en-GB", "pl", "pt-BR", "de")),
    channel=st.sampled_from(("", "northwind-x", "Northwind-X", "other")),
    sentiment=st.sampled_from(("", "negative", "neutral", "positive")),
    intent=st.sampled_from(("", "complaint", "question", "spam")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    monitors=st.lists(queries, min_size=1, max_size=6),
    posts=st.lists(documents, min_size=1, max_size=12),
    batch_size=st.sampled_from((1, 3, 1000)),
)
def test_the_matcher_agrees_with_the_reference_evaluator(monitors, posts, batch_size):
    parsed = {number: parse(text) for number, text in enumerate(monitors)}
    matcher = Matcher.compile(parsed, batch_size=batch_size)
    results = matcher.match_many(posts)
    for post, matched in zip(posts, results, strict=True):
        expected = {number for number, query in parsed.items() if evaluate(query, post)}
        assert matched == expected, (post, {n: str(q) for n, q in parsed.items()})
    assert matcher.match(posts[0]) == results[0]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), words=st.lists(st.sampled_from(QUERY_WORDS), max_size=3))
def test_any_unicode_text_agrees(text, words):
    """Arbitrary text around words: other scripts, marks, emoji, controls, NUL."""
    post = Document(text=f"{text} {' '.join(words)}{text}")
    parsed = {word: parse(word) for word in QUERY_WORDS}
    expected = {word for word, query in parsed.items() if evaluate(query, post)}
    assert Matcher.compile(parsed).match(post) == expected


def test_word_boundaries_case_and_diacritics():
    matcher = Matcher.compile(
        {"cat": "cat", "polish": "zazolc gesla", "tag": "#northwind", "at": "@northwind"}
    )
    found = matcher.match_many(
        [
            Document("category concat cats"),
            Document("My CAT!"),
            Document("ZAŻÓŁĆ GĘŚLĄ jaźń"),
            Document("#NorthWind rocks"),
            Document("#northwindfans"),
            Document("hi @NorthWind."),
            Document("hi @northwind.bsky.social"),
        ]
    )
    assert found == [set(), {"cat"}, {"polish"}, {"tag"}, set(), {"at"}, set()]


def test_monitors_that_match_without_any_term():
    matcher = Matcher.compile(
        {
            "not": "NOT refund",
            "field": "lang:de",
            "either": "refund OR sentiment:negative",
            "needs-term": "refund lang:de",
        }
    )
    assert matcher.match(Document("hello", language="en")) == {"not"}
    assert matcher.match(Document("hello", language="de")) == {"not", "field"}
    assert matcher.match(Document("a refund", language="de")) == {"field", "either", "needs-term"}
    assert matcher.match(Document("hello", sentiment="negative")) == {"not", "either"}


def test_terms_shared_by_monitors_are_scanned_once_and_batches_join_up():
    matcher = Matcher.compile({1: "refund", 2: "refund delivery", 3: "Refund"}, batch_size=2)
    posts = [Document(f"post {i}" + (" refund" if i % 3 == 0 else "")) for i in range(7)]
    assert matcher.match_many(posts) == [{1, 3} if i % 3 == 0 else set() for i in range(7)]
    assert matcher.match_many(iter(posts)) == matcher.match_many(posts)
    assert matcher.match_many([]) == []


def test_no_terms_at_all():
    matcher = Matcher.compile({1: "lang:pl", 2: "NOT sentiment:negative"})
    assert matcher.match(Document("x", language="pl", sentiment="negative")) == {1}
    assert Matcher.compile({}).match(Document("anything")) == set()


def test_posts_that_need_exact_folding_are_set_apart():
    texts = ["plain", "Zażółć ❤️ Straße?", "кот", "nul\x00inside", "ﬁsh", "ca\u0301t"]
    # One byte a character: accented letters to their letter, punctuation and emoji to a
    # space, "ß" to "S" (which the patterns take for "ss"), a mark (the emoji's variation
    # selector, the acute accent) to nothing, a NUL inside a post to a space. "ﬁ" folds
    # to two letters: its post goes the exact way.
    data, nuls, exact = fold_batch(texts, fold_table("cat", cache_dir=None))
    assert data == (
        b"\x00plain\x00zazolc   straSe \x00\x80\x80\x80\x00nul inside\x00\x02sh\x00cat\x00"
    )
    assert nuls.tolist() == [0, 6, 23, 27, 38, 42, 46]
    assert exact == [4]
    # Another script is a run of word bytes, unless a term holds its letters.
    assert fold_batch(texts, fold_table("кот", cache_dir=None))[2] == [2, 4]


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=30))
def test_the_fast_exact_folding_keeps_the_words_hashtags_and_mentions(text):
    assert features(canonical_text(text)) == features(text)
    assert canonical_text(text) == canonical(text)


def test_the_compiled_database_is_cached_on_disk(tmp_path):
    monitors = {1: "refund", 2: '"free shipping" NOT #ad', 3: "@northwind"}
    first = Matcher.compile(monitors, cache_dir=tmp_path)
    assert not first.loaded_from_cache
    # The terms' database, and the fold table beside it.
    assert len(list(tmp_path.glob("*.hsdb"))) == 1
    assert len(list(tmp_path.glob("*.foldtable"))) == 1
    # Same terms, other monitors and order: the database is read, not compiled.
    again = Matcher.compile(
        {"b": "@northwind OR refund", "a": '#ad "free shipping"'}, cache_dir=tmp_path
    )
    assert again.loaded_from_cache
    post = Document("Free shipping and a refund from @northwind #ad")
    assert again.match(post) == {"a", "b"}
    assert Matcher.compile(monitors, cache_dir=tmp_path).match(post) == first.match(post)
    # Other terms: another database beside it.
    Matcher.compile({1: "invoice"}, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.hsdb"))) == 2
    assert len(list(tmp_path.glob("*.foldtable"))) == 1


def test_a_damaged_cache_file_is_compiled_again(tmp_path):
    Matcher.compile({1: "refund"}, cache_dir=tmp_path)
    cached = sorted(tmp_path.glob("*.hsdb"))
    assert len(cached) == 1
    for path in cached:
        path.write_bytes(b"not a database")
    matcher = Matcher.compile({1: "refund"}, cache_dir=tmp_path)
    assert not matcher.loaded_from_cache
    assert matcher.match(Document("refund")) == {1}
    assert matcher.match(Document("ｒｅｆｕｎｄ")) == {1}
    # The file was written afresh: the next compile reads it.
    for path in cached:
        assert path.read_bytes() != b"not a database"
    again = Matcher.compile({1: "refund"}, cache_dir=tmp_path)
    assert again.loaded_from_cache
    assert again.match(Document("ｒｅｆｕｎｄ")) == {1}


def test_a_damaged_fold_table_file_is_built_again(tmp_path, monkeypatch):
    Matcher.compile({1: "refund"}, cache_dir=tmp_path)
    (kept,) = tmp_path.glob("*.foldtable")
    good = kept.read_bytes()
    kept.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    # As in a new process: the table is read from the file, found damaged and built.
    monkeypatch.setattr(fold_table_module, "_built", [])
    matcher = Matcher.compile({1: "refund"}, cache_dir=tmp_path)
    assert matcher.match(Document("ＲＥＦＵＮＤ")) == {1}
    assert kept.read_bytes() == good


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("strasse", "Straße", True),
        ("strasse", "STRASSE", True),
        ("straße", "strasse", True),
        ("sss", "sß", True),
        ("sss", "ßs", True),
        ("sss", "ß", False),
        ("ss", "ß", True),
        ("s", "ß", False),
        ("#boss", "#BOß!", True),
        ("@jess.s", "@jeß.s", True),
        ('"ss s"', "ß-ẞ", False),
        ('"ss ss"', "ß-ẞ", True),
    ],
)
def test_sharp_s_folds_to_ss_in_every_term(query, text, found):
    document = Document(text)
    assert evaluate(parse(query), document) is found
    assert Matcher.compile({1: query}).match(document) == ({1} if found else set())


def test_bad_query_text_is_a_syntax_error():
    from roost.listening.query import QuerySyntaxError

    with pytest.raises(QuerySyntaxError):
        Matcher.compile({1: "refund AND"})


@pytest.mark.parametrize(
    "text",
    [
        "ｒｅｆｕｎｄ please",  # fullwidth letters: not known to the fast folding
        "𝐫𝐞𝐟𝐮𝐧𝐝 now",  # mathematical letters
        "ref\u0301und",  # a mark between two letters
        "refǔnd",  # a Latin letter the fast folding does not know
        "ＲＥＦＵＮＤ 😡 ❤️",
        "a ⓡⓔⓕⓤⓝⓓ",
    ],
)
def test_terms_spelled_with_characters_the_fast_folding_does_not_know(text):
    matcher = Matcher.compile({1: "refund", 2: "refund NOT lang:de", 3: "NOT refund"})
    document = Document(text, language="en")
    expected = {
        m
        for m, q in {1: "refund", 2: "refund NOT lang:de", 3: "NOT refund"}.items()
        if evaluate(parse(q), document)
    }
    assert expected == {1, 2}
    assert matcher.match(document) == expected
    # The same post among many plain ones, where the batch is folded as one piece.
    answers = matcher.match_many([Document("nothing here 😡", language="en")] * 50 + [document])
    assert answers[-1] == expected
    assert set(answers[:-1]) == {frozenset({3})}


# Batches as the matcher splits them: ASCII posts and the others are folded and scanned
# as two buffers, posts joined by NUL; a post with a hit and a character the fast
# folding does not know is settled on the spot (emoji) or folded again (other scripts).
ASCII_WORDS = ("cat", "CAT", "Cat", "concat", "free", "shipping", "north", "wind", "x1", "a_b")
ASCII_SEPARATORS = (" ", "", ",", ".", "-", "#", "@", "?", "\x00", "\t", "!")
ascii_texts = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(ASCII_WORDS),
            st.sampled_from(ASCII_WORDS).map(lambda w: f"#{w}"),
            st.sampled_from(ASCII_WORDS).map(lambda w: f"@{w}"),
        ),
        st.sampled_from(ASCII_SEPARATORS),
    ),
    max_size=5,
).map(lambda parts: "".join(word + separator for word, separator in parts))
edge_texts = st.sampled_from(("", "\x00", "?", "??", "😡", "\u0301", " ", "кот"))
mixed_documents = st.builds(
    Document,
    text=st.one_of(ascii_texts, texts, edge_texts, st.tuples(texts, ascii_texts).map("".join)),
    language=st.sampled_from(("", "en", "pl")),
    sentiment=st.sampled_from(("", "negative")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    monitors=st.lists(queries, min_size=1, max_size=5),
    posts=st.lists(mixed_documents, min_size=1, max_size=30),
    batch_size=st.sampled_from((2, 7, 1000)),
)
def test_mixed_batches_of_ascii_and_other_posts_agree_with_the_reference(
    monitors, posts, batch_size
):
    parsed = {number: parse(text) for number, text in enumerate(monitors)}
    results = Matcher.compile(parsed, batch_size=batch_size).match_many(posts)
    for post, matched in zip(posts, results, strict=True):
        expected = {number for number, query in parsed.items() if evaluate(query, post)}
        assert matched == expected, (post, {n: str(q) for n, q in parsed.items()})


def test_terms_at_the_separators_between_posts_and_beside_unknown_characters():
    queries = {"cat": "cat", "tag": "#cat", "at": "@cat", "phrase": '"cat cat"', "not": "NOT cat"}
    texts = [
        "cat",  # a whole post, between two separators
        "cat",
        "",
        "?",
        "cat?",  # a genuine "?" beside a term
        "?cat",
        "nul\x00cat",  # a NUL inside a post is no separator
        "😡 nul\x00cat",  # the same in a post that is not ASCII
        "Łódź\x00",
        "cat\x00",
        "😡cat",  # an emoji (an unknown character): settled as a separator
        "cat😡 cat",
        "catкот",  # another script glued to the term: folded again, no match
        "ca\u0301t",  # a mark inside the word: folded again, a match
        "c😡at",
        "#cat😡",
        "@cat❤️",
        "Zażółć cat",  # no unknown character: the fast folding's hits stand
        "zażółćcat",
        "CAT\x00CAT",
    ]
    posts = [Document(text) for text in texts]
    parsed = {name: parse(query) for name, query in queries.items()}
    expected = [{n for n, q in parsed.items() if evaluate(q, post)} for post in posts]
    matcher = Matcher.compile(parsed)
    assert matcher.match_many(posts) == expected
    # Alone, in pairs, and all ASCII or all not: every split of the batch.
    assert [matcher.match(post) for post in posts] == expected
    assert Matcher.compile(parsed, batch_size=2).match_many(posts) == expected
    assert expected[0] == {"cat"} and expected[10] == {"cat"} and expected[12] == {"not"}
    assert expected[13] == {"cat"} and expected[6] == expected[7] == {"cat"}
    assert expected[8] == {"not"}


def test_a_query_too_deep_for_one_expression_is_still_evaluated():
    deep = "cat"
    for number in range(60):
        deep = f"NOT ({deep} OR free{number % 3})" if number % 2 else f"({deep} AND lang:en)"
    parsed = {1: parse(deep), 2: parse(f"({deep}) OR shipping")}
    posts = [
        Document(text, language=language)
        for text in ("cat", "cat free0", "shipping", "", "free1 free2 cat")
        for language in ("en", "pl")
    ]
    matcher = Matcher.compile(parsed)
    for post, matched in zip(posts, matcher.match_many(posts), strict=True):
        assert matched == {n for n, q in parsed.items() if evaluate(q, post)}
