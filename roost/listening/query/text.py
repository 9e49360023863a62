"""What a query's words are compared with: folded text, its words, hashtags and mentions.

Both sides of a comparison go through `fold()`: the query's words when it is parsed, a
post's text when it is matched. Folding is per character (so a text can be folded in
pieces and joined): compatibility decomposition, case folding, diacritics dropped, and
the few Latin letters whose stroke or ligature no decomposition removes mapped by hand
(`ł` -> `l`, `ø` -> `o`, `æ` -> `ae`...).

A *word character* is a letter, a digit or a combining mark of any script, or `_`.
A word is a longest run of word characters; a hashtag is `#` and a word, a mention is
`@` and a handle (words joined by single `.` or `-`), each where the `#` or `@` does not
follow a word character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Letters that carry their mark in the glyph itself, so decomposition leaves them alone.
# Keys are lower case: folding case comes first.
STROKES = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ƀ": "b",
        "ƶ": "z",
        "ɨ": "i",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)

# Characters that keep their meaning in a folded text besides word characters: they make
# hashtags and mentions and join a handle's parts. Everything else only separates words.
MARKERS = frozenset("#@.-")


def fold(text: str) -> str:
    """The text as it is compared: `fold("Zażółć GĘŚLĄ") == "zazolc gesla"`."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text).casefold()
    # Folding case can bring back composed or marked characters (`İ` -> `i̇`).
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return text.translate(STROKES)


@lru_cache(maxsize=65536)
def is_word_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LNM"


def fold_words(text: str) -> tuple[str, ...]:
    """The folded words of a text, in order: `fold_words("E-mail me!") == ("e", "mail", "me")`."""
    return tuple(_WORDS.findall(_shape(fold(text))[1]))


def _shape(folded: str) -> tuple[str, str]:
    """The folded text and its shape: each word character as itself, each marker as
    itself, anything else as a space (same length as the folded text)."""
    if folded.isascii():
        return folded, folded.translate(_ASCII_SHAPE)
    shaped = "".join(c if c in MARKERS or is_word_char(c) else " " for c in folded)
    return folded, shaped


_ASCII_SHAPE = str.maketrans(
    {
        chr(code): " "
        for code in range(128)
        if chr(code) not in MARKERS and not is_word_char(chr(code))
    }
)

# In a shape, a word character is anything but a space or a marker.
_WORD = r"[^ #@.\-]"
_WORDS = re.compile(rf"{_WORD}+")
_HASHTAG = re.compile(rf"(?<!{_WORD})#({_WORD}+)")
_MENTION = re.compile(rf"(?<!{_WORD})@({_WORD}+(?:[.\-]{_WORD}+)*)")


def canonical(text: str) -> str:
    """The folded text with everything that only separates words made a space: what the
    compiled matcher scans. Same words, hashtags and mentions as `fold(text)`."""
    return _shape(fold(text))[1]


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """What a text offers a query: its words (joined by single spaces, with a space at
    either end, so a phrase is found as a substring), its hashtags and its mentions."""

    words: str
    hashtags: frozenset[str]
    mentions: frozenset[str]

    def has_words(self, words: tuple[str, ...]) -> bool:
        return f" {' '.join(words)} " in self.words


@lru_cache(maxsize=4096)
def features(text: str) -> TextFeatures:
    shaped = canonical(text)
    return TextFeatures(
        words=f" {' '.join(_WORDS.findall(shaped))} ",
        hashtags=frozenset(_HASHTAG.findall(shaped)),
        mentions=frozenset(_MENTION.findall(shaped)),
    )


def is_handle(folded: str) -> bool:
    """Whether a folded text is a whole handle: words joined by single `.` or `-`."""
    return _HANDLE.fullmatch(_shape(folded)[1]) is not None


_HANDLE = re.compile(rf"{_WORD}+(?:[.\-]{_WORD}+)*")
