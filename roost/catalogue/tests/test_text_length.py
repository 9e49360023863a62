"""Text counting per network method, with real examples. Pure functions: no database."""

from __future__ import annotations

import pytest

from roost.catalogue.text_length import CountMethod, count, graphemes, split_urls

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


class TestCharactersLinks23:
    """Mastodon: code points, with every link counted as 23."""

    def test_link_counts_23(self) -> None:
        assert count(f"Read {URL}", CountMethod.CHARACTERS_LINKS_23) == 5 + 23

    def test_two_links(self) -> None:
        text = f"{URL} and http://example.org/another/quite/long/path/here"
        assert count(text, CountMethod.CHARACTERS_LINKS_23) == 23 + 5 + 23

    def test_emoji_are_code_points(self) -> None:
        assert count(f"Hi {GRINNING}", CountMethod.CHARACTERS_LINKS_23) == 4

    def test_an_instance_can_reserve_another_length(self) -> None:
        assert count(URL, CountMethod.CHARACTERS_LINKS_23, url_length=30) == 30


class TestSplitUrls:
    def test_pieces_cover_the_text(self) -> None:
        text = f"a {URL}, b (https://example.com/x) c"
        pieces = split_urls(text)
        assert "".join(piece for piece, _ in pieces) == text
        assert [piece for piece, is_url in pieces if is_url] == [URL, "https://example.com/x"]

    def test_balanced_brackets_stay_in_the_url(self) -> None:
        url = "https://en.wikipedia.org/wiki/Mercury_(planet)"
        assert split_urls(f"{url}.") == [(url, True), (".", False)]

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
