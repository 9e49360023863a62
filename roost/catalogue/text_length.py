"""Count post text the way each network counts it.

`count(text, method)` is the one entry point for a length, and `overruns(text, limits)`
the one answer to "which of the network's limits does this text go over?": the
composer and the connectors both call them, so Roost never refuses a post the
network takes, nor lets through one it refuses.

The counting rules are not written here by hand:

- graphemes (what a reader sees as one character) are Unicode extended grapheme
  clusters (UAX #29) as the `regex` module's `\\X` finds them;
- X's weighted length, its link detection and its invalid characters come from
  `twitter-text-parser`, a port of twitter-text, with configuration v3.
"""

from __future__ import annotations

import enum
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import regex

with warnings.catch_warnings():
    # twitter-text-parser reads its emoji list through the deprecated pkg_resources.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text import extract_urls_with_indices, parse_tweet
    from twitter_text.config import config as twitter_text_config
    from twitter_text.regexp.invalid_chars import invalid_chars as x_invalid_chars


class CountMethod(enum.StrEnum):
    """How a network measures the length of a post's text."""

    # X: twitter-text v3 (NFC, code points weigh 1 or 2, every link counts 23, an emoji 2).
    WEIGHTED = "weighted"
    # Bluesky: what a reader sees as one character (a flag, a family emoji) counts 1.
    GRAPHEMES = "graphemes"
    # Unicode code points.
    CHARACTERS = "characters"
    # Bytes of the UTF-8 encoding (Threads counts emoji this way).
    UTF8_BYTES = "utf8_bytes"
    # Mastodon: graphemes of the content warning and the text, in which every link
    # with a scheme counts a fixed length and a remote mention `@user@domain` counts
    # as `@user`.
    GRAPHEMES_LINKS = "graphemes_links"

    @property
    def label(self) -> str:
        """How the method counts, in a sentence fragment for people."""
        return METHOD_LABELS[self]

    @property
    def unit(self) -> str:
        """What a limit under this method is measured in, e.g. "graphemes"."""
        return METHOD_UNITS[self]

    @property
    def shortens_links(self) -> bool:
        """Whether a link counts a fixed length rather than its own."""
        return self in {CountMethod.WEIGHTED, CountMethod.GRAPHEMES_LINKS}


METHOD_LABELS: dict[CountMethod, str] = {
    CountMethod.WEIGHTED: "weighted characters: emoji and CJK count 2, each link a fixed length",
    CountMethod.GRAPHEMES: "graphemes: what a reader sees as one character counts 1",
    CountMethod.CHARACTERS: "characters (Unicode code points)",
    CountMethod.UTF8_BYTES: "bytes of UTF-8: an emoji counts 4 or more, an accented letter 2",
    CountMethod.GRAPHEMES_LINKS: (
        "graphemes, content warning included: each link a fixed length, "
        "a remote mention only its @user part"
    ),
}

METHOD_UNITS: dict[CountMethod, str] = {
    CountMethod.WEIGHTED: "weighted characters",
    CountMethod.GRAPHEMES: "graphemes",
    CountMethod.CHARACTERS: "characters",
    CountMethod.UTF8_BYTES: "UTF-8 bytes",
    CountMethod.GRAPHEMES_LINKS: "characters",
}

DEFAULT_URL_LENGTH = 23

_GRAPHEME = regex.compile(r"\X")
_SURROGATE = re.compile("[\ud800-\udfff]")


def graphemes(text: str) -> list[str]:
    """Split text into extended grapheme clusters (UAX #29)."""
    return _GRAPHEME.findall(text)


def count_graphemes(text: str) -> int:
    return len(graphemes(text))


def invalid_characters(text: str, method: CountMethod | str) -> list[str]:
    """The characters (as "U+XXXX", each once, in order) the network refuses in a post.

    No network takes a lone surrogate: it is not a character and has no UTF-8
    form. X also refuses U+FFFE, U+FEFF and U+FFFF (twitter-text's invalid characters).
    """
    found = [match.group() for match in _SURROGATE.finditer(text)]
    if CountMethod(method) is CountMethod.WEIGHTED:
        found += [match.group() for match in x_invalid_chars.finditer(text)]
    ordered = sorted(set(found), key=text.index)
    return [f"U+{ord(char):04X}" for char in ordered]


def _without_surrogates(text: str) -> str:
    # twitter-text-parser measures UTF-16 and cannot encode a lone surrogate; one weighs
    # what U+FFFD weighs (2), and `invalid_characters` reports it.
    return _SURROGATE.sub("\ufffd", text)


def find_links(text: str, *, without_scheme: bool) -> list[tuple[int, int]]:
    """(start, end) of each link in `text`, by twitter-text's rules.

    A link's domain must end in a known top-level domain and have valid labels;
    directional marks around it and sentence punctuation after it (".", "…") stay
    outside. `without_scheme` also finds links written without http(s)://
    (`example.pl/sale`), as X does; Mastodon links only those with a scheme.
    """
    entities = extract_urls_with_indices(
        _without_surrogates(text), extract_urls_without_protocol=without_scheme
    )
    return [(entity["indices"][0], entity["indices"][1]) for entity in entities]


def count_weighted(text: str, *, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """X's weighted length (twitter-text configuration v3), each link counting `url_length`."""
    options = {**twitter_text_config["version3"], "transformed_url_length": url_length}
    return int(parse_tweet(_without_surrogates(text), options).weightedLength)


# A Mastodon mention: `@user` or `@user@domain`, not inside a word, an address or a URL path.
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?",
    re.IGNORECASE,
)
_NOT_A_MENTION_AFTER = re.compile(r"[@＠\u00c0-\u024f]|://")


def _mastodon_mentions(text: str) -> Iterable[tuple[int, int, str]]:
    for match in _MASTODON_MENTION.finditer(text):
        if _NOT_A_MENTION_AFTER.match(text, match.end()):
            continue
        yield match.start(), match.end(), "@" + match.group("user")


def mastodon_countable_text(text: str, *, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The text as Mastodon measures it: each link (with a scheme) replaced by
    `url_length` placeholder characters and each mention by its local part.

    Where a link and a mention overlap, the one that starts first wins.
    """
    entities = [
        (start, end, "x" * url_length) for start, end in find_links(text, without_scheme=False)
    ]
    entities += _mastodon_mentions(text)
    entities.sort(key=lambda entity: entity[0])
    pieces: list[str] = []
    position = 0
    for start, end, replacement in entities:
        if start < position:
            continue
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def count_mastodon(
    text: str, *, content_warning: str = "", url_length: int = DEFAULT_URL_LENGTH
) -> int:
    """Mastodon's length: graphemes of the content warning followed by the countable text."""
    return count_graphemes(content_warning + mastodon_countable_text(text, url_length=url_length))


def count(
    text: str,
    method: CountMethod | str,
    *,
    url_length: int = DEFAULT_URL_LENGTH,
    content_warning: str = "",
) -> int:
    """The length of `text` as the network using `method` counts it.

    `url_length` is what one link counts for the methods that shorten links; a
    Mastodon instance reports its own value, 23 by default. `content_warning`
    counts only where the network counts it (Mastodon). Raises `ValueError` for
    an unknown method.
    """
    method = CountMethod(method)
    if method is CountMethod.WEIGHTED:
        return count_weighted(text, url_length=url_length)
    if method is CountMethod.GRAPHEMES:
        return count_graphemes(text)
    if method is CountMethod.CHARACTERS:
        return len(text)
    if method is CountMethod.UTF8_BYTES:
        return len(text.encode("utf-8", "surrogatepass"))
    return count_mastodon(text, content_warning=content_warning, url_length=url_length)


def _units(text: str, method: CountMethod, url_length: int) -> Iterator[tuple[int, int]]:
    """(end, weight) of each unit of `text` in order: a link (and, for Mastodon, a
    mention) is one unit, weighing what the method counts for it; every other unit is a
    grapheme, weighing what the method counts for it alone."""
    entities: list[tuple[int, int, int]] = []
    if method is CountMethod.WEIGHTED:
        entities = [
            (start, end, url_length) for start, end in find_links(text, without_scheme=True)
        ]
    elif method is CountMethod.GRAPHEMES_LINKS:
        entities = [
            (start, end, url_length) for start, end in find_links(text, without_scheme=False)
        ]
        entities += [
            (start, end, count_graphemes(local)) for start, end, local in _mastodon_mentions(text)
        ]
    entities.sort()
    position = 0
    for start, end, weight in entities:
        if start < position:
            continue  # overlaps an earlier entity, which wins (as in the count)
        for match in _GRAPHEME.finditer(text, position, start):
            yield match.end(), _grapheme_weight(match.group(), method)
        yield end, weight
        position = end
    for match in _GRAPHEME.finditer(text, position):
        yield match.end(), _grapheme_weight(match.group(), method)


def _grapheme_weight(grapheme: str, method: CountMethod) -> int:
    if method in (CountMethod.GRAPHEMES, CountMethod.GRAPHEMES_LINKS):
        return 1
    return count(grapheme, method)


def text_start(
    text: str, method: CountMethod | str, most: int, *, url_length: int = DEFAULT_URL_LENGTH
) -> str:
    """The longest start of `text` that counts at most `most` by `method`: what a feed
    that cuts there shows before its "more". It ends between two graphemes and never
    inside a link, as a feed never shows half of either."""
    method = CountMethod(method)
    used, shown = 0, 0
    for end, weight in _units(text, method, url_length):
        if used + weight > most:
            break
        used, shown = used + weight, end
    return text[:shown]


@dataclass(frozen=True, kw_only=True)
class TextLimits:
    """The length limits one network (or one instance of it) puts on a post's text."""

    method: CountMethod
    limit: int
    url_length: int = DEFAULT_URL_LENGTH
    # A second limit on the UTF-8 size, whatever the method (Bluesky: 3,000 bytes).
    byte_limit: int | None = None


class OverrunKind(enum.StrEnum):
    TOO_LONG = "too_long"  # the network's own count is over its limit
    TOO_MANY_BYTES = "too_many_bytes"  # the UTF-8 size is over the byte limit


@dataclass(frozen=True)
class Overrun:
    """One limit a text goes over."""

    kind: OverrunKind
    used: int
    limit: int
    unit: str

    @property
    def excess(self) -> int:
        return self.used - self.limit


def overruns(text: str, limits: TextLimits, *, content_warning: str = "") -> list[Overrun]:
    """Every limit in `limits` that `text` goes over, the main limit first."""
    found = []
    used = count(text, limits.method, url_length=limits.url_length, content_warning=content_warning)
    if used > limits.limit:
        found.append(Overrun(OverrunKind.TOO_LONG, used, limits.limit, limits.method.unit))
    if limits.byte_limit is not None:
        size = count(text, CountMethod.UTF8_BYTES)
        if size > limits.byte_limit:
            found.append(
                Overrun(OverrunKind.TOO_MANY_BYTES, size, limits.byte_limit, "bytes of UTF-8")
            )
    return found


# Anything that starts like a web address, up to a space, a quote, an ellipsis or a
# directional mark; sentence punctuation after it is trimmed below.
_BROAD_URL = re.compile(
    r"https?://[^\s<>\"'`“”‘’\u2026\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,:;!?"


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL, and a closing bracket that it does not open."""
    while url:
        unopened_bracket = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING_PUNCTUATION and not unopened_bracket:
            break
        url = url[:-1]
    return url


def split_urls(text: str) -> list[tuple[str, bool]]:
    """Split text into (piece, is_url) pieces, in order, covering the whole text.

    Unlike `find_links`, this takes every http(s) address, whether or not its domain
    is one a network would link: it separates addresses from prose (a fragment's "#"
    is no hashtag) and finds every domain a compliance rule must see.
    """
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _BROAD_URL.finditer(text):
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


def links_anywhere(text: str) -> list[str]:
    """Every link in the text as any network might make it: each http(s) address, and
    each address without a scheme that twitter-text recognises (`example.pl/sale`)."""
    with_scheme = [piece for piece, is_url in split_urls(text) if is_url]
    prose = " ".join(piece for piece, is_url in split_urls(text) if not is_url)
    return with_scheme + [prose[start:end] for start, end in find_links(prose, without_scheme=True)]
