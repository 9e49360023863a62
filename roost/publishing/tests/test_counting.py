"""Each network's length rules, as the composer counts them (table-driven)."""

from __future__ import annotations

import pytest

from roost.catalogue.specs import catalogue
from roost.channels.connectors import bluesky, mastodon
from roost.publishing.validation import measure, network_problems

URL = "https://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more"
FAMILY = "👨‍👩‍👧‍👦"  # one grapheme, seven code points
FLAG = "🇵🇱"  # one grapheme, two code points
E_ACUTE = "e\u0301"  # one grapheme, two code points
CJK = "日本語"

CASES = [
    # network, placement, text, expected count, limit
    ("x", "post", "hello", 5, 280),
    ("x", "post", URL, 23, 280),  # every URL is 23 on X
    ("x", "post", f"see {URL}", 27, 280),
    ("x", "post", CJK, 6, 280),  # CJK weighs 2
    ("x", "post", FAMILY, 2, 280),  # an emoji sequence weighs 2
    ("x", "post", E_ACUTE, 1, 280),  # NFC: é is one
    ("bluesky", "post", FAMILY, 1, 300),
    ("bluesky", "post", FLAG * 3, 3, 300),
    ("bluesky", "post", E_ACUTE, 1, 300),
    ("bluesky", "post", URL, len(URL), 300),  # links count in full on Bluesky
    ("mastodon", "post", URL, 23, 500),  # Mastodon: links count 23
    ("mastodon", "post", CJK, 3, 500),
    ("mastodon", "post", "a" * 499 + FAMILY, 500, 500),  # graphemes, not code points
    ("mastodon", "post", "@ana@social.example hi", len("@ana hi"), 500),
    ("mastodon", "post", "example.com/sale", 16, 500),  # no scheme: not a link on Mastodon
    ("x", "post", "x.com", 23, 280),  # no scheme: still a link on X
    ("x", "post", "example.pl/sale", 23, 280),
    ("x", "post", "https://example.invalidtld", 26, 280),  # unknown TLD: not a link
    ("threads", "post", "é", 2, 500),  # UTF-8 bytes
    ("threads", "post", FLAG, 8, 500),
    ("linkedin", "post", FAMILY, 7, 3000),  # code points
    ("instagram", "portrait", CJK, 3, 2200),
    ("facebook", "feed", "hi", 2, 63206),
]


@pytest.mark.parametrize(("network", "placement", "text", "used", "limit"), CASES)
def test_each_network_counts_its_own_way(network, placement, text, used, limit):
    size = measure(text, network=network, placement=placement)
    assert (size.used, size.limit) == (used, limit)


@pytest.mark.parametrize(
    ("network", "placement", "text", "code"),
    [
        ("x", "post", "a" * 281, "too_long"),
        ("bluesky", "post", FAMILY * 301, "too_long"),
        ("bluesky", "post", FAMILY * 300, "too_many_bytes"),  # 7,500 bytes of UTF-8
        ("mastodon", "post", "a" * 500 + FAMILY, "too_long"),
        ("x", "post", "hello \ufffe", "invalid_characters"),
        ("bluesky", "post", "hello \ud800", "invalid_characters"),
        ("mastodon", "post", "a" * 478 + " " + URL, "too_long"),  # 478 + 1 + 23 = 502 > 500
        ("instagram", "portrait", " ".join(f"#tag{n}" for n in range(6)), "too_many_hashtags"),
    ],
)
def test_limits_produce_a_blocking_problem(network, placement, text, code):
    problems = network_problems(text, network=network, placement=placement, media_count=1)
    assert code in {p.code for p in problems}


def test_a_text_at_the_limit_is_fine():
    assert network_problems("a" * 280, network="x", placement="post") == []
    assert network_problems(FLAG * 300, network="bluesky", placement="post") == []
    assert network_problems("a" * 499 + FAMILY, network="mastodon", placement="post") == []


def test_the_mastodon_channel_settings_count():
    settings = {"spoiler_text": "Spoilers", "max_characters": 1000}
    size = measure("a" * 600, network="mastodon", placement="post", settings=settings)
    assert (size.used, size.limit) == (608, 1000)
    problems = network_problems(
        "a" * 493, network="mastodon", placement="post", settings={"spoiler_text": "Spoilers"}
    )
    assert [p.code for p in problems] == ["too_long"]


def test_a_bluesky_hashtag_is_limited_in_graphemes():
    # 64 graphemes, 128 code points: still a tag.
    fits = "#" + E_ACUTE * 64
    assert network_problems(fits, network="bluesky", placement="post") == []
    too_long = "#" + "e" * 65
    problems = network_problems(too_long, network="bluesky", placement="post")
    assert [(p.level.value, p.code) for p in problems] == [("warn", "hashtag_too_long")]


@pytest.mark.parametrize(
    ("text", "settings"),
    [
        ("a" * 499 + FAMILY, {}),
        ("a" * 500 + FAMILY, {}),
        ("a" * 492, {"spoiler_text": "Spoilers"}),
        ("a" * 493, {"spoiler_text": "Spoilers"}),
        ("@zsc@social.example " + "x" * 495, {}),
        ("@zsc@social.example " + "x" * 496, {}),
        ("x" * 477 + " https://roost.example.com/" + "a" * 200, {"max_characters": 501}),
        ("x" * 478 + " https://roost.example.com/" + "a" * 200, {"max_characters": 501}),
        ("x" * 480 + " https://a.com/b", {"characters_reserved_per_url": 19}),
        ("x" * 481 + " https://a.com/b", {"characters_reserved_per_url": 19}),
    ],
)
def test_the_composer_and_the_mastodon_connector_agree(text, settings):
    composer_blocks = "too_long" in {
        p.code
        for p in network_problems(text, network="mastodon", placement="post", settings=settings)
    }
    assert composer_blocks == bool(mastodon.length_refusal(text, settings))


@pytest.mark.parametrize(
    "text", ["a" * 300, FLAG * 300, FAMILY * 166, FAMILY * 167, FAMILY * 300, "a" * 301]
)
def test_the_composer_and_the_bluesky_connector_agree(text):
    composer_blocks = bool(
        {"too_long", "too_many_bytes"}
        & {p.code for p in network_problems(text, network="bluesky", placement="post")}
    )
    assert composer_blocks == bool(bluesky.text_problem(text))


def test_the_catalogue_keeps_the_bluesky_lexicon_limits():
    rules = catalogue().network("bluesky").text
    assert (rules.limit, rules.byte_limit, rules.hashtag_length) == (
        bluesky.MAX_GRAPHEMES,
        bluesky.MAX_TEXT_BYTES,
        bluesky.MAX_TAG_GRAPHEMES,
    )
