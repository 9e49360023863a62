"""Intent from cues in the words, links and emoji, and from the sentiment.

In order, the first that applies:

1. spam: spam cues reach a weight of 3 (a link counts 1, "crypto" 2, "check my bio" 3,
   money emoji 1 each up to 2, a price like "$500" 1), or an insult in a message that is
   about no order or product (abuse);
2. complaint: negative sentiment and a word about orders, delivery, money, products or
   service ("order", "refund", "broken", "zamówienie", "zwrot", "zepsuł");
3. question: a question mark, a question phrase anywhere ("does anyone know", "czy ktoś
   wie"), or a question word opening a clause that does not end in "!" ("when", "czy",
   "gdzie", "do you"); an opener alone does not make a question of a message with a
   clear sentiment ("What a great service" is praise);
4. praise: positive sentiment and a praise word or emoji ("thanks", "love", "polecam", 👏);
5. other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from roost.inbox.classify.labels import Intent, Sentiment
from roost.inbox.classify.lexicons import (
    INSULTS,
    PRAISE,
    QUESTION_PHRASES,
    QUESTION_START,
    SERVICE,
    SPAM,
    SharedLists,
)
from roost.inbox.classify.text import CleanText, Tokens
from roost.inbox.classify.wordlists import Match

SPAM_WEIGHT = 3.0
_LINK_WEIGHT = 1.0
_MONEY_EMOJI_WEIGHT = 1.0
_MONEY_EMOJI_AT_MOST = 2
_PRICE = re.compile(r"[$€£]\s?\d|\d\s?[$€£]|[$€£]{2,}")
_PRICE_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class IntentCues:
    """What the words say about intent, before sentiment is known."""

    # A question mark or a question phrase.
    asks: bool
    # Only a question word opening a clause.
    asks_by_opener: bool
    service: bool
    praise: bool
    spam_weight: float
    insult: bool


def _opens_question(words: tuple[str, ...], openers: list[Match]) -> bool:
    """Whether a clause starts with a question word and does not end in "!"."""
    for opener in openers:
        start = opener.start
        if start and words[start - 1][0].isalpha():
            continue
        end = next((i for i in range(start, len(words)) if not words[i][0].isalpha()), None)
        if end is None or "!" not in words[end]:
            return True
    return False


def read_cues(
    cleaned: CleanText,
    tokens: Tokens,
    original: str,
    found: dict[str, list[Match]],
    *,
    shared: SharedLists,
) -> IntentCues:
    """`found` is the language's scanner output for the tokens; `original` the raw text."""
    asks = tokens.has_question_mark or QUESTION_PHRASES in found
    openers = found.get(QUESTION_START)
    asks_by_opener = not asks and openers is not None and _opens_question(tokens.words, openers)
    spam_weight = sum(match.value for match in found.get(SPAM, ()))
    if cleaned.urls:
        spam_weight += _LINK_WEIGHT
    money = sum(1 for symbol in cleaned.emoji if symbol in shared.money_emoji)
    spam_weight += _MONEY_EMOJI_WEIGHT * min(money, _MONEY_EMOJI_AT_MOST)
    if _PRICE.search(original):
        spam_weight += _PRICE_WEIGHT
    praise = PRAISE in found or any(symbol in shared.praise_emoji for symbol in cleaned.emoji)
    return IntentCues(
        asks=asks,
        asks_by_opener=asks_by_opener,
        service=SERVICE in found,
        praise=praise,
        spam_weight=spam_weight,
        insult=INSULTS in found,
    )


def decide_intent(cues: IntentCues, sentiment: Sentiment) -> Intent:
    if cues.spam_weight >= SPAM_WEIGHT or (cues.insult and not cues.service):
        return Intent.SPAM
    if sentiment is Sentiment.NEGATIVE and cues.service:
        return Intent.COMPLAINT
    if cues.asks or (cues.asks_by_opener and sentiment is Sentiment.NEUTRAL):
        return Intent.QUESTION
    if sentiment is Sentiment.POSITIVE and cues.praise:
        return Intent.PRAISE
    if cues.asks_by_opener:
        return Intent.QUESTION
    return Intent.OTHER
