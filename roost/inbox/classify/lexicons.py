"""The word lists, loaded once per process: one `Lexicon` per language, holding its
sentiment lists and a `Scanner` for everything looked for in one pass (question cues,
service and praise words, and the lists that apply in every language: spam, insults,
priority keywords)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from roost.inbox.classify.labels import LANGUAGES
from roost.inbox.classify.wordlists import DATA, Scanner, Values, WordList, read_sections

# The scanner's lists.
QUESTION_START = "question_start"
QUESTION_PHRASES = "question_phrases"
SERVICE = "service"
PRAISE = "praise"
SPAM = "spam"
INSULTS = "insults"
URGENT = "urgent"
ATTENTION = "attention"

# Polish and German posts borrow English words ("super", "sorry", "fail", "nice") all the
# time, so their lookups fall back to the English lists. Spanish and French do not: English
# lookalikes mislead there ("pain" is bread, "sale" is dirty).
_ENGLISH_FALLBACK = ("pl", "de")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's lists; see `data/lexicon/en.txt` for what each section holds."""

    language: str
    sentiment: WordList
    polite: WordList
    negators: WordList
    intensifiers: WordList
    contrast: WordList
    scanner: Scanner
    # Token -> whether sentiment scoring can skip it (no score, phrase or modifier role).
    plain: dict[str, bool]


@dataclass(frozen=True, slots=True)
class SharedLists:
    emoji_scores: dict[str, float]
    praise_emoji: frozenset[str]
    money_emoji: frozenset[str]


@functools.cache
def _sections(name: str) -> dict[str, list[tuple[str, Values]]]:
    return read_sections(DATA / name)


@functools.cache
def lexicon(language: str) -> Lexicon:
    """The lists for a language; English for anything without its own."""
    if language not in LANGUAGES:
        language = "en"
    own = _sections(f"lexicon/{language}.txt")
    english = _sections("lexicon/en.txt") if language in _ENGLISH_FALLBACK else {}
    spam = _sections("spam.txt")
    keywords = _sections("keywords.txt")

    def merged(name: str) -> list[tuple[str, Values]]:
        return own.get(name, []) + english.get(name, [])

    def words(name: str) -> WordList:
        return WordList(own.get(name, ()))

    return Lexicon(
        language=language,
        sentiment=words("sentiment"),
        polite=WordList(merged("polite")),
        negators=words("negators"),
        intensifiers=words("intensifiers"),
        contrast=words("contrast"),
        scanner=Scanner(
            {
                QUESTION_START: own.get("question_start", []),
                QUESTION_PHRASES: merged("question_phrases"),
                SERVICE: merged("service"),
                PRAISE: merged("praise"),
                SPAM: spam["spam"],
                INSULTS: spam["insults"],
                URGENT: keywords["urgent"],
                ATTENTION: keywords["attention"],
            }
        ),
        plain={},
    )


def fallback(language: str) -> WordList | None:
    """The English sentiment list where a language falls back to it, else None."""
    return lexicon("en").sentiment if language in _ENGLISH_FALLBACK else None


@functools.cache
def shared() -> SharedLists:
    emoji = _sections("emoji.txt")
    return SharedLists(
        emoji_scores={entry.lower(): values[0] for entry, values in emoji["sentiment"]},
        praise_emoji=frozenset(entry.lower() for entry, _ in emoji["praise"]),
        money_emoji=frozenset(entry for entry, _ in emoji["spam"]),
    )
