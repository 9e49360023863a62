"""`classify()`: language, sentiment, intent and priority of one inbound message.

Pure and deterministic: the same text and arguments always give the same result, and
nothing is read but the model file and the word lists in `data/` (once per process).

Sentiment is the trained softmax (`model/`): for English messages, the English head's;
for the others, the shared head's. Intent combines the trained heads (and the shared
sentiment softmax, which the complaint heads were trained and tuned with, in every
language):

- spam: the spam head's probability `s`, at least 0.9 when the spam cue list
  (`data/spam.txt`) reaches its weight of 3 or an insult comes without any word about
  an order or product: the spam head learned from comments under music videos, which
  hold little of the get-rich, crypto and follow-for-follow spam, and no abuse, that
  brands get, and no public set of those was found;
- complaint: `(1 - s) * c`, where `c` is the complaint head's probability (the English
  head in English, the head that reads only language-independent cues elsewhere);
- what is left, `1 - s - complaint`, is shared between question, praise and other. No
  public labelled set of questions or praise addressed to brands was found, so this
  share follows the cues: a question mark or question phrase gives question 0.85 of it,
  a clause opened by a question word 0.5 (0.2 when the message sounds clearly positive
  or negative); of the rest, praise takes the positive probability (in full with a
  praise word or emoji, a third without one), and other the remainder.

The labels are the most probable ones; `sentiment_scores` and `intent_scores` hold every
probability (each sums to 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from roost.inbox.classify.intent import SPAM_WEIGHT
from roost.inbox.classify.labels import LANGUAGES, Intent, Priority, Sentiment
from roost.inbox.classify.language import detect_language
from roost.inbox.classify.language import model as language_model
from roost.inbox.classify.lexicons import ATTENTION, URGENT, lexicon
from roost.inbox.classify.model import COMPLAINT_LANGUAGES, Model, shipped_model
from roost.inbox.classify.model.features import Reading, read
from roost.inbox.classify.model.features import clear_memo as clear_feature_memo
from roost.inbox.classify.priority import keyword_hits, prioritise, urgent_hits
from roost.inbox.classify.text import clean, tokenize
from roost.inbox.classify.text import clear_memo as clear_text_memo

_LISTED_SPAM = 0.9
_QUESTION_ASKED = 0.85
_QUESTION_OPENER = 0.5
_QUESTION_OPENER_WITH_TONE = 0.2
_CLEAR_TONE = 0.6
_PRAISE_WITHOUT_CUE = 1 / 3


@dataclass(frozen=True, slots=True)
class Classification:
    """What `classify()` found. `language` is an ISO 639-1 code from `LANGUAGES` or "und";
    `reasons` explain the priority, most important first, and are empty for "normal".
    `sentiment_scores` and `intent_scores` give the probability of every label (keys are
    the `Sentiment` and `Intent` values, each mapping sums to 1); the labels are the most
    probable ones."""

    language: str
    sentiment: Sentiment
    intent: Intent
    priority: Priority
    reasons: tuple[str, ...]
    sentiment_scores: Mapping[str, float]
    intent_scores: Mapping[str, float]


def _most_probable(scores: Mapping[str, float]) -> str:
    # Ties go to the label listed first (dicts keep their order), so results are stable.
    return max(scores, key=scores.__getitem__)


def score_labels(
    reading: Reading, *, model: Model | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """The sentiment and intent probabilities of a message the model has read (by the
    shipped model unless another `model` is given, as training does)."""
    model = model or shipped_model()
    found = model.predict(
        reading.buckets,
        reading.meta_buckets,
        full_complaint=reading.language in COMPLAINT_LANGUAGES,
    )
    positive, negative, spam = found.positive, found.negative, found.spam
    cues = reading.cues
    if cues.spam_weight >= SPAM_WEIGHT or (cues.insult and not cues.service):
        spam = max(spam, _LISTED_SPAM)
    if reading.english_buckets:
        shown = model.english_sentiment(reading.english_buckets)
    else:
        shown = (negative, found.neutral, positive)
    sentiment = {
        Sentiment.POSITIVE.value: shown[2],
        Sentiment.NEUTRAL.value: shown[1],
        Sentiment.NEGATIVE.value: shown[0],
    }
    complaint = found.complaint * (1 - spam)
    rest = max(0.0, 1 - spam - complaint)
    if cues.asks:
        asking = _QUESTION_ASKED
    elif cues.asks_by_opener:
        clear = max(positive, negative) >= _CLEAR_TONE
        asking = _QUESTION_OPENER_WITH_TONE if clear else _QUESTION_OPENER
    else:
        asking = 0.0
    question = rest * asking
    praise = (rest - question) * positive * (1.0 if cues.praise else _PRAISE_WITHOUT_CUE)
    other = max(0.0, rest - question - praise)
    intent = {
        Intent.QUESTION.value: question,
        Intent.COMPLAINT.value: complaint,
        Intent.PRAISE.value: praise,
        Intent.SPAM.value: spam,
        Intent.OTHER.value: other,
    }
    total = sum(intent.values())
    return sentiment, {label: value / total for label, value in intent.items()}


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
    reading = read(text, language_hint=language_hint)
    sentiment_scores, intent_scores = score_labels(reading)
    sentiment = Sentiment(_most_probable(sentiment_scores))
    intent = Intent(_most_probable(intent_scores))
    priority, reasons = prioritise(
        intent=intent,
        sentiment=sentiment,
        author_followers=author_followers,
        author_verified=author_verified,
        urgent_keywords=urgent_hits(reading.tokens, reading.found.get(URGENT, ()), vip_keywords),
        attention_keywords=keyword_hits(reading.tokens, reading.found.get(ATTENTION, ())),
    )
    return Classification(
        language=reading.language,
        sentiment=sentiment,
        intent=intent,
        priority=priority,
        reasons=reasons,
        sentiment_scores=sentiment_scores,
        intent_scores=intent_scores,
    )


def prioritise_labels(
    *,
    sentiment: Sentiment | str,
    intent: Intent | str,
    author_followers: int = 0,
    author_verified: bool = False,
    vip_keywords: Sequence[str] = (),
    text: str = "",
    language_hint: str = "",
) -> tuple[Priority, tuple[str, ...]]:
    """The priority and its reasons for labels set elsewhere (a correction, another
    backend), by the same rules as `classify()`; `text` supplies the keyword matches."""
    urgent: list[str] = []
    attention: list[str] = []
    if text or vip_keywords:
        cleaned = clean(text)
        language = detect_language(cleaned.text, cleaned.words(), hint=language_hint)
        tokens = tokenize(cleaned, split_apostrophes=language == "fr")
        found = lexicon(language).scanner.scan(tokens.words) if tokens.words else {}
        urgent = urgent_hits(tokens, found.get(URGENT, ()), vip_keywords)
        attention = keyword_hits(tokens, found.get(ATTENTION, ()))
    return prioritise(
        intent=Intent(intent),
        sentiment=Sentiment(sentiment),
        author_followers=author_followers,
        author_verified=author_verified,
        urgent_keywords=urgent,
        attention_keywords=attention,
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
    clear_feature_memo()
