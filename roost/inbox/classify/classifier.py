"""`classify()`: language, sentiment, intent and priority of one inbound message.

Pure and deterministic: the same text and arguments always give the same result, and
nothing is read but the word lists in `data/` (once per process).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roost.inbox.classify.intent import decide_intent, read_cues
from roost.inbox.classify.labels import LANGUAGES, Intent, Priority, Sentiment
from roost.inbox.classify.language import detect_language
from roost.inbox.classify.language import model as language_model
from roost.inbox.classify.lexicons import ATTENTION, INSULTS, URGENT, fallback, lexicon, shared
from roost.inbox.classify.priority import keyword_hits, prioritise, urgent_hits
from roost.inbox.classify.sentiment import score_sentiment
from roost.inbox.classify.text import clean, tokenize
from roost.inbox.classify.text import clear_memo as clear_text_memo


@dataclass(frozen=True, slots=True)
class Classification:
    """What `classify()` found. `language` is an ISO 639-1 code from `LANGUAGES` or "und";
    `reasons` explain the priority, most important first, and are empty for "normal"."""

    language: str
    sentiment: Sentiment
    intent: Intent
    priority: Priority
    reasons: tuple[str, ...]


def classify(
    text: str,
    *,
    author_followers: int = 0,
    author_verified: bool = False,
    vip_keywords: Sequence[str] = (),
    language_hint: str = "",
) -> Classification:
    """Classify one message.

    `author_followers` and `author_verified` describe the sender (a VIP has at least
    50,000 followers or a verified account). `vip_keywords` are the caller's own words
    that make a message urgent, matched at the start of a word without regard to case or
    diacritics ("recall" also finds "Recalled"). `language_hint` (an ISO 639-1 code, such
    as the channel's language) settles close calls and very short texts.
    """
    cleaned = clean(text)
    language = detect_language(cleaned.text, cleaned.words(), hint=language_hint)
    own = lexicon(language)
    other = fallback(language)
    lists = shared()
    tokens = tokenize(cleaned, split_apostrophes=language == "fr")
    found = own.scanner.scan(tokens.words)
    cues = read_cues(cleaned, tokens, text, found, shared=lists)
    sentiment = score_sentiment(
        tokens,
        cleaned.emoji,
        lexicon=own,
        fallback=other,
        shared=lists,
        asks=cues.asks or cues.asks_by_opener,
        insults=len(found.get(INSULTS, ())),
    )
    intent = decide_intent(cues, sentiment.label)
    priority, reasons = prioritise(
        intent=intent,
        sentiment=sentiment.label,
        author_followers=author_followers,
        author_verified=author_verified,
        urgent_keywords=urgent_hits(tokens, found.get(URGENT, ()), vip_keywords),
        attention_keywords=keyword_hits(tokens, found.get(ATTENTION, ())),
    )
    return Classification(
        language=language,
        sentiment=sentiment.label,
        intent=intent,
        priority=priority,
        reasons=reasons,
    )


def clear_memos() -> None:
    """Forget the per-word memos (for measuring speed from a cold start)."""
    language_model().clear_memo()
    for code in LANGUAGES:
        own = lexicon(code)
        for words in (own.sentiment, own.polite, own.negators, own.intensifiers, own.contrast):
            words.clear_memo()
        own.scanner.clear_memo()
        own.plain.clear()
    clear_text_memo()
