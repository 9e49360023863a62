"""The word-list classifier that came before the trained model, kept as a reference.

`classify_by_rules()` answers from the lexicons alone: sentiment from scored words,
phrases, negators and emoji (`sentiment.py`), intent from the first rule that applies
(`intent.py`). The benchmark `bench/classify.py` and the evaluation report measure the
trained model against it; nothing in the inbox calls it.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.inbox.classify.intent import decide_intent, read_cues
from roost.inbox.classify.labels import Intent, Sentiment
from roost.inbox.classify.language import detect_language
from roost.inbox.classify.lexicons import INSULTS, fallback, lexicon, shared
from roost.inbox.classify.sentiment import score_sentiment
from roost.inbox.classify.text import clean, tokenize


@dataclass(frozen=True, slots=True)
class RuleLabels:
    language: str
    sentiment: Sentiment
    intent: Intent


def classify_by_rules(text: str, *, language_hint: str = "") -> RuleLabels:
    """Language, sentiment and intent of one message, from the word lists only."""
    cleaned = clean(text)
    language = detect_language(cleaned.text, cleaned.words(), hint=language_hint)
    own = lexicon(language)
    tokens = tokenize(cleaned, split_apostrophes=language == "fr")
    found = own.scanner.scan(tokens.words)
    cues = read_cues(cleaned, tokens, text, found, shared=shared())
    sentiment = score_sentiment(
        tokens,
        cleaned.emoji,
        lexicon=own,
        fallback=fallback(language),
        shared=shared(),
        asks=cues.asks or cues.asks_by_opener,
        insults=len(found.get(INSULTS, ())),
    )
    return RuleLabels(
        language=language, sentiment=sentiment.label, intent=decide_intent(cues, sentiment.label)
    )
