"""Text counting per network method, with real examples. Pure functions: no database."""

from __future__ import annotations

import pytest

from roost.catalogue.text_length import (
    CountMethod,
    OverrunKind,
    TextLimits,
    count,
    find_links,
    graphemes,
    invalid_characters,
    links_anywhere,
    mastodon_countable_text,
    overruns,
    split_urls,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man, woman, girl, boy
FLAG_PL = "\U0001f1f5\U0001f1f1"
FLAG_DE = "\U0001f1e9\U0001f1ea"
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
KEYCAP_ONE = "1\ufe0f\u20e3"
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
E_COMBINING = "e\u0301"
GRINNING = "\U0001f600"
URL = "https://example.com/a/rather/long/path/to/an/article?with=query&and=more"


class TestWeighted:
    """X: NFC, light code points weigh 1, others 2; URLs 23; emoji sequences 2."""

    def test_latin_text_weighs_one_per_character(self) -> None:
        assert count("Hello, world!", CountMethod.WEIGHTED) == 13

    def test_url_counts_23_whatever_its_length(self) -> None:
        assert len(URL) > 23
        assert count(f"Read {URL}", CountMethod.WEIGHTED) == 5 + 23

    def test_short_url_also_counts_23(self) -> None:
        assert count("https://x.co", CountMethod.WEIGHTED) == 23

    def test_sentence_punctuation_after_a_url_is_text(self) -> None:
        assert count(f"See {URL}.", CountMethod.WEIGHTED) == 4 + 23 + 1

    def test_emoji_weighs_two(self) -> None:
        assert count(GRINNING, CountMethod.WEIGHTED) == 2
        assert count(f"ok {GRINNING}", CountMethod.WEIGHTED) == 5

    def test_emoji_sequences_weigh_two_each(self) -> None:
        assert count(FAMILY, CountMethod.WEIGHTED) == 2
        assert count(FLAG_PL, CountMethod.WEIGHTED) == 2
        assert count(THUMBS_UP_MEDIUM, CountMethod.WEIGHTED) == 2
        assert count(KEYCAP_ONE, CountMethod.WEIGHTED) == 2

    def test_cjk_weighs_two(self) -> None:
        assert count("日本語", CountMethod.WEIGHTED) == 6
        assert count("한국어", CountMethod.WEIGHTED) == 6

    def test_light_punctuation_ranges_weigh_one(self) -> None:
        # U+2013 en dash and U+2019 quote (8208-8223), U+2032 prime (8242-8247)
        assert count("\u2013\u2019\u2032", CountMethod.WEIGHTED) == 3

    def test_other_symbols_weigh_two(self) -> None:
        assert count("\u2122", CountMethod.WEIGHTED) == 2  # trade mark sign

    def test_text_is_normalised_to_nfc_first(self) -> None:
        assert count(f"caf{E_COMBINING}", CountMethod.WEIGHTED) == 4

    def test_280_latin_characters_fill_a_post(self) -> None:
        assert count("a" * 280, CountMethod.WEIGHTED) == 280
        assert count("文" * 140, CountMethod.WEIGHTED) == 280

    def test_url_length_can_be_configured(self) -> None:
        assert count(URL, CountMethod.WEIGHTED, url_length=20) == 20


class TestGraphemes:
    """Bluesky: what a reader sees as one character counts one."""

    @pytest.mark.parametrize(
        "text",
        [
            FAMILY,
            FLAG_PL,
            E_COMBINING,
            THUMBS_UP_MEDIUM,
            KEYCAP_ONE,
            FLAG_ENGLAND,
            "\u2764\ufe0f",  # red heart with variation selector
            "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # woman technologist, medium skin tone
            "\u1100\u1161\u11a8",  # Hangul jamo forming one syllable
            "\r\n",
            "a\u0308\u0301",  # two combining marks
        ],
    )
    def test_one_visible_character_counts_one(self, text: str) -> None:
        assert count(text, CountMethod.GRAPHEMES) == 1

    def test_plain_text(self) -> None:
        assert count("Hello, Bluesky", CountMethod.GRAPHEMES) == 14

    def test_two_flags_in_a_row_are_two(self) -> None:
        assert count(FLAG_PL + FLAG_DE, CountMethod.GRAPHEMES) == 2

    def test_an_odd_regional_indicator_stands_alone(self) -> None:
        assert graphemes(FLAG_PL + "\U0001f1e9") == [FLAG_PL, "\U0001f1e9"]

    def test_mixed_text(self) -> None:
        text = f"Caf{E_COMBINING} {FLAG_PL} {FAMILY}!"
        assert graphemes(text) == ["C", "a", "f", E_COMBINING, " ", FLAG_PL, " ", FAMILY, "!"]

    def test_a_combining_mark_does_not_join_a_newline(self) -> None:
        assert count("\n\u0301", CountMethod.GRAPHEMES) == 2

    def test_300_graphemes_of_emoji_fit_bluesky(self) -> None:
        assert count(FAMILY * 300, CountMethod.GRAPHEMES) == 300

    def test_empty_text(self) -> None:
        assert graphemes("") == []
        assert count("", CountMethod.GRAPHEMES) == 0


class TestCharacters:
    def test_code_points(self) -> None:
        assert count("Hello", CountMethod.CHARACTERS) == 5
        assert count(E_COMBINING, CountMethod.CHARACTERS) == 2
        assert count(GRINNING, CountMethod.CHARACTERS) == 1
        assert count(FAMILY, CountMethod.CHARACTERS) == 7

    def test_urls_count_in_full(self) -> None:
        assert count(URL, CountMethod.CHARACTERS) == len(URL)


class TestUtf8Bytes:
    """Threads counts emoji by their UTF-8 bytes."""

    def test_ascii_is_one_byte_each(self) -> None:
        assert count("Hello Threads", CountMethod.UTF8_BYTES) == 13

    def test_emoji_count_their_bytes(self) -> None:
        assert count(GRINNING, CountMethod.UTF8_BYTES) == 4
        assert count(f"Launch day {GRINNING}", CountMethod.UTF8_BYTES) == 11 + 4
        assert count(FAMILY, CountMethod.UTF8_BYTES) == 4 * 4 + 3 * 3

    def test_accented_and_cjk(self) -> None:
        assert count("é", CountMethod.UTF8_BYTES) == 2
        assert count("日本", CountMethod.UTF8_BYTES) == 6

    def test_125_emoji_fill_500_bytes(self) -> None:
        assert count(GRINNING * 125, CountMethod.UTF8_BYTES) == 500


class TestGraphemesLinks:
    """Mastodon: graphemes, every link with a scheme 23, a remote mention its local part."""

    def test_link_counts_23(self) -> None:
        assert count(f"Read {URL}", CountMethod.GRAPHEMES_LINKS) == 5 + 23

    def test_two_links(self) -> None:
        text = f"{URL} and http://example.org/another/quite/long/path/here"
        assert count(text, CountMethod.GRAPHEMES_LINKS) == 23 + 5 + 23

    def test_an_instance_can_reserve_another_length(self) -> None:
        assert count(URL, CountMethod.GRAPHEMES_LINKS, url_length=30) == 30

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a" * 499 + FAMILY, 500),  # graphemes, not code points (506)
            (f"Hi {GRINNING}", 4),
            (FLAG_PL * 2, 2),
            ("@alice@mastodon.social hi", len("@alice hi")),  # remote mention: local part
            ("@alice hi", len("@alice hi")),  # a local mention counts in full
            ("mail alice@example.com", len("mail alice@example.com")),  # not a mention
            ("example.com/sale", len("example.com/sale")),  # no scheme: not a link here
            ("https://example.invalidtld/x", len("https://example.invalidtld/x")),
        ],
    )
    def test_counts_as_mastodon_does(self, text: str, expected: int) -> None:
        assert count(text, CountMethod.GRAPHEMES_LINKS) == expected

    def test_content_warning_counts_towards_the_length(self) -> None:
        assert count("a" * 490, CountMethod.GRAPHEMES_LINKS, content_warning="Spoilers") == 498
        # Other methods have no content warning.
        assert count("abc", CountMethod.GRAPHEMES, content_warning="Spoilers") == 3

    def test_a_mention_inside_a_link_stays_in_the_link(self) -> None:
        text = "https://mastodon.social/@alice@example.com/1 ok"
        assert mastodon_countable_text(text) == "x" * 23 + " ok"


class TestXLinksAndCharacters:
    """X's link detection and invalid characters come from twitter-text (v3)."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("x.com", 23),  # a link without a scheme
            ("Sale: example.pl/sale", 6 + 23),
            ("https://example.invalidtld/path", len("https://example.invalidtld/path")),
            ("https://-bad-.example.com", len("https://-bad-.example.com")),  # invalid label
            ("see https://example.com/a\u2026", 4 + 23 + 2),  # "…" weighs 2, not in the link
            ("\u2066https://example.com/a\u2069", 23 + 2 + 2),  # the marks stay outside
            ("https://example.com/a.", 23 + 1),
        ],
    )
    def test_links(self, text: str, expected: int) -> None:
        assert count(text, CountMethod.WEIGHTED) == expected

    def test_directional_marks_are_not_part_of_the_link(self) -> None:
        text = "\u200fhttps://example.com/path\u200f"
        [(start, end)] = find_links(text, without_scheme=True)
        assert text[start:end] == "https://example.com/path"

    @pytest.mark.parametrize(
        ("text", "invalid"),
        [
            ("a\ufffeb", ["U+FFFE"]),
            ("a\uffffb", ["U+FFFF"]),
            ("\ufeffhello", ["U+FEFF"]),
            ("lone \ud800 and \udfff", ["U+D800", "U+DFFF"]),
            ("plain text \U0001f600", []),
        ],
    )
    def test_invalid_characters_are_flagged(self, text: str, invalid: list[str]) -> None:
        assert invalid_characters(text, CountMethod.WEIGHTED) == invalid

    def test_a_lone_surrogate_is_invalid_everywhere_and_still_counted(self) -> None:
        assert invalid_characters("a\ud800", CountMethod.GRAPHEMES) == ["U+D800"]
        assert invalid_characters("a\ufffe", CountMethod.GRAPHEMES) == []
        assert count("a\ud800", CountMethod.WEIGHTED) == 3
        assert count("a\ud800", CountMethod.UTF8_BYTES) == 4


class TestOverruns:
    BLUESKY = TextLimits(method=CountMethod.GRAPHEMES, limit=300, byte_limit=3000)

    def test_within_both_limits(self) -> None:
        assert overruns(FLAG_PL * 300, self.BLUESKY) == []

    def test_family_emoji_fit_the_graphemes_but_not_the_bytes(self) -> None:
        [overrun] = overruns(FAMILY * 300, self.BLUESKY)
        assert overrun.kind is OverrunKind.TOO_MANY_BYTES
        assert (overrun.used, overrun.limit, overrun.excess) == (7500, 3000, 4500)

    def test_too_many_graphemes_comes_first(self) -> None:
        kinds = [o.kind for o in overruns(FAMILY * 301, self.BLUESKY)]
        assert kinds == [OverrunKind.TOO_LONG, OverrunKind.TOO_MANY_BYTES]

    def test_content_warning_counts_for_mastodon(self) -> None:
        limits = TextLimits(method=CountMethod.GRAPHEMES_LINKS, limit=500)
        assert overruns("a" * 492, limits, content_warning="Spoilers") == []
        [overrun] = overruns("a" * 493, limits, content_warning="Spoilers")
        assert (overrun.used, overrun.limit) == (501, 500)


class TestSplitUrls:
    def test_pieces_cover_the_text(self) -> None:
        text = f"a {URL}, b (https://example.com/x) c"
        pieces = split_urls(text)
        assert "".join(piece for piece, _ in pieces) == text
        assert [piece for piece, is_url in pieces if is_url] == [URL, "https://example.com/x"]

    def test_balanced_brackets_stay_in_the_url(self) -> None:
        url = "https://en.wikipedia.org/wiki/Mercury_(planet)"
        assert split_urls(f"{url}.") == [(url, True), (".", False)]

    def test_directional_marks_around_a_url_are_text(self) -> None:
        assert split_urls("\u2066https://intranet.example/a\u2069") == [
            ("\u2066", False),
            ("https://intranet.example/a", True),
            ("\u2069", False),
        ]

    def test_links_anywhere_also_finds_links_without_a_scheme(self) -> None:
        text = "Shop evil.com/sale or https://intranet.example/x."
        assert links_anywhere(text) == ["https://intranet.example/x", "evil.com/sale"]

    def test_an_ellipsis_after_a_url_is_text(self) -> None:
        assert split_urls("https://example.com/a\u2026") == [
            ("https://example.com/a", True),
            ("\u2026", False),
        ]

    def test_scheme_alone_is_not_a_url(self) -> None:
        assert split_urls("https://") == [("https://", False)]


def test_method_can_be_given_by_name() -> None:
    assert count("abc", "characters") == 3


def test_unknown_method_is_an_error() -> None:
    with pytest.raises(ValueError, match="hieroglyphs"):
        count("abc", "hieroglyphs")


def test_every_method_has_a_label_and_unit() -> None:
    for method in CountMethod:
        assert method.label
        assert method.unit
