"""Count post text the way each network counts it, with the standard library only.

`count(text, method)` is the one entry point. The grapheme segmentation here is
an approximation of Unicode extended grapheme clusters (UAX #29): it handles
combining marks, zero-width-joiner emoji sequences, variation selectors,
skin-tone modifiers, emoji tag sequences, keycaps, regional-indicator flags,
Hangul jamo and CR LF, and leaves out the rarer rules (prepended marks, Indic
conjuncts). That covers what people put into social posts.
"""

from __future__ import annotations

import enum
import re
import unicodedata


class CountMethod(enum.StrEnum):
    """How a network measures the length of a post's text."""

    # X: NFC, code points weigh 1 or 2, every URL counts 23, an emoji sequence counts 2.
    WEIGHTED = "weighted"
    # Bluesky: what a reader sees as one character (a flag, a family emoji) counts 1.
    GRAPHEMES = "graphemes"
    # Unicode code points.
    CHARACTERS = "characters"
    # Bytes of the UTF-8 encoding (Threads counts emoji this way).
    UTF8_BYTES = "utf8_bytes"
    # Mastodon: code points, but every URL counts a fixed length (23 by default).
    CHARACTERS_LINKS_23 = "characters_links_23"

    @property
    def label(self) -> str:
        """How the method counts, in a sentence fragment for people."""
        return METHOD_LABELS[self]

    @property
    def unit(self) -> str:
        """What a limit under this method is measured in, e.g. "graphemes"."""
        return METHOD_UNITS[self]


METHOD_LABELS: dict[CountMethod, str] = {
    CountMethod.WEIGHTED: "weighted characters: emoji and CJK count 2, each link a fixed length",
    CountMethod.GRAPHEMES: "graphemes: what a reader sees as one character counts 1",
    CountMethod.CHARACTERS: "characters (Unicode code points)",
    CountMethod.UTF8_BYTES: "bytes of UTF-8: an emoji counts 4 or more, an accented letter 2",
    CountMethod.CHARACTERS_LINKS_23: "characters, each link a fixed length",
}

METHOD_UNITS: dict[CountMethod, str] = {
    CountMethod.WEIGHTED: "weighted characters",
    CountMethod.GRAPHEMES: "graphemes",
    CountMethod.CHARACTERS: "characters",
    CountMethod.UTF8_BYTES: "UTF-8 bytes",
    CountMethod.CHARACTERS_LINKS_23: "characters",
}

DEFAULT_URL_LENGTH = 23

# X's weighting: code points in these ranges weigh 1, every other code point 2
# (twitter-text configuration v3).
_LIGHT_RANGES: tuple[tuple[int, int], ...] = (
    (0, 4351),
    (8192, 8205),
    (8208, 8223),
    (8242, 8247),
)

# An approximation of Extended_Pictographic: the blocks emoji come from.
_PICTOGRAPHIC_RANGES: tuple[tuple[int, int], ...] = (
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)

_ZWJ = 0x200D
_ZWNJ = 0x200C
_VS16 = 0xFE0F
_KEYCAP = 0x20E3
_REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)
_SKIN_TONES = (0x1F3FB, 0x1F3FF)
_TAGS = (0xE0020, 0xE007F)

# http(s) URLs up to the next space or quote; trailing punctuation is trimmed below.
_URL = re.compile(r"https?://[^\s<>\"'`“”‘’]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,:;!?"


def _in_ranges(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def _is_pictographic(code: int) -> bool:
    return _in_ranges(code, _PICTOGRAPHIC_RANGES)


def _is_regional_indicator(code: int) -> bool:
    return _REGIONAL_INDICATORS[0] <= code <= _REGIONAL_INDICATORS[1]


def _is_extend(char: str) -> bool:
    """Characters that never start a cluster: they attach to the one before."""
    code = ord(char)
    return (
        unicodedata.category(char) in {"Mn", "Me", "Mc"}
        or code in {_ZWJ, _ZWNJ}
        or _SKIN_TONES[0] <= code <= _SKIN_TONES[1]
        or _TAGS[0] <= code <= _TAGS[1]
    )


def _is_control(char: str) -> bool:
    category = unicodedata.category(char)
    if category in {"Cc", "Zl", "Zp"}:
        return True
    code = ord(char)
    return category == "Cf" and code not in {_ZWJ, _ZWNJ} and not _TAGS[0] <= code <= _TAGS[1]


def _hangul_type(char: str) -> str:
    """The Hangul syllable type of a character: L, V, T, LV, LVT, or "" for none."""
    code = ord(char)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


_HANGUL_JOINS = {
    "L": {"L", "V", "LV", "LVT"},
    "LV": {"V", "T"},
    "V": {"V", "T"},
    "LVT": {"T"},
    "T": {"T"},
}


def _joins(cluster: list[str], char: str, regional_indicators: int) -> bool:
    """Whether `char` continues the cluster built so far (which is not empty)."""
    previous = cluster[-1]
    if previous == "\r":
        return char == "\n"
    if _is_control(previous) or _is_control(char) or char in "\r\n":
        return False
    if _is_extend(char):
        return True
    code = ord(char)
    if ord(previous) == _ZWJ and _is_pictographic(code):
        return any(_is_pictographic(ord(c)) for c in cluster)
    if _is_regional_indicator(code):
        return _is_regional_indicator(ord(previous)) and regional_indicators % 2 == 1
    return _hangul_type(char) in _HANGUL_JOINS.get(_hangul_type(previous), set())


def graphemes(text: str) -> list[str]:
    """Split text into (approximate) extended grapheme clusters."""
    clusters: list[str] = []
    current: list[str] = []
    regional_indicators = 0
    for char in text:
        if current and _joins(current, char, regional_indicators):
            current.append(char)
        else:
            if current:
                clusters.append("".join(current))
            current = [char]
            regional_indicators = 0
        if _is_regional_indicator(ord(char)):
            regional_indicators += 1
    if current:
        clusters.append("".join(current))
    return clusters


def _is_emoji_cluster(cluster: str) -> bool:
    codes = [ord(c) for c in cluster]
    first = codes[0]
    return (
        _is_pictographic(first)
        or _is_regional_indicator(first)
        or _KEYCAP in codes
        or _VS16 in codes
    )


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL, and a closing bracket that it does not open."""
    while url:
        unopened_bracket = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING_PUNCTUATION and not unopened_bracket:
            break
        url = url[:-1]
    return url


def split_urls(text: str) -> list[tuple[str, bool]]:
    """Split text into (piece, is_url) pieces, in order, covering the whole text."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if len(url) <= len("https://"):
            continue
        start, end = match.start(), match.start() + len(url)
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((url, True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def _weight(cluster: str) -> int:
    if _is_emoji_cluster(cluster):
        return 2
    return sum(1 if _in_ranges(ord(c), _LIGHT_RANGES) else 2 for c in cluster)


def count_weighted(text: str, *, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """X's count: NFC first; a URL counts `url_length`; an emoji sequence 2; else by weight."""
    total = 0
    for piece, is_url in split_urls(unicodedata.normalize("NFC", text)):
        if is_url:
            total += url_length
        else:
            total += sum(_weight(cluster) for cluster in graphemes(piece))
    return total


def count_characters_links(text: str, *, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """Mastodon's count: code points, with each URL counted as `url_length`."""
    return sum(url_length if is_url else len(piece) for piece, is_url in split_urls(text))


def count(text: str, method: CountMethod | str, *, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """The length of `text` as the network using `method` counts it.

    `url_length` is what one link counts for the methods that shorten links
    (`weighted`, `characters_links_23`); a Mastodon instance reports its own
    value, 23 by default. Raises `ValueError` for an unknown method.
    """
    method = CountMethod(method)
    if method is CountMethod.WEIGHTED:
        return count_weighted(text, url_length=url_length)
    if method is CountMethod.GRAPHEMES:
        return len(graphemes(text))
    if method is CountMethod.CHARACTERS:
        return len(text)
    if method is CountMethod.UTF8_BYTES:
        return len(text.encode("utf-8"))
    return count_characters_links(text, url_length=url_length)
