"""Sentiment from word lists: scores per word, phrase and emoji, adjusted for context.

Reading left to right, sentence by sentence:

- a phrase ("worth it", "nie mogę się doczekać", "thanks for nothing") wins over its words;
- a negator ("not", "never", "nie", "brak") flips the next scored word within three
  words: by its own negated score when the list gives one ("arrived" 0, negated -2, so
  "never arrived" is negative), else to -0.75x a positive score or -0.5x a negative one
  ("not good" -1.5, "not bad" +1);
- intensifiers multiply the next scored word ("very", "bardzo" 1.5x; "a bit" 0.6x), and so
  does shouting (a word in capitals, 1.3x);
- "but"/"ale" halves what came before it in the sentence and weighs what follows 1.3x;
- positive words in a sentence that ends with "?" count 0.3x ("is it any good?");
- polite words ("thanks", "dziękuję") count only when the message asks nothing, so
  "where is my order? thanks" stays neutral, and at half weight beside clear negatives;
- each emoji adds its score (at most three of the same), insults -2.5 each;
- exclamation marks amplify the total (up to 1.6x for four or more).

Positive at a total of 1 or more, negative at -1 or less, neutral between.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from roost.inbox.classify.labels import Sentiment
from roost.inbox.classify.lexicons import Lexicon, SharedLists
from roost.inbox.classify.text import Tokens, is_mark
from roost.inbox.classify.wordlists import Match, WordList

THRESHOLD = 1.0
_NEGATION_SCOPE = 3
_NEGATED_POSITIVE = -0.75
_NEGATED_NEGATIVE = -0.5
_SHOUTED = 1.3
_BEFORE_CONTRAST = 0.5
_AFTER_CONTRAST = 1.3
_POSITIVE_IN_QUESTION = 0.3
_INSULT = -2.5
# "Thank you for replacing my broken lamp" is thanks; "thanks, still missing" is not.
_POLITE_WITH_TROUBLE = 0.5
_SAME_EMOJI_AT_MOST = 3
_MEMO_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class SentimentScore:
    label: Sentiment
    score: float
    # Sums of the positive and negative contributions, before exclamation marks.
    positive: float
    negative: float


def _question_sentences(words: tuple[str, ...]) -> set[int]:
    """Indexes of the sentences that end with a question mark."""
    questions: set[int] = set()
    sentence = 0
    for token in words:
        if is_mark(token) and token != ",":
            if "?" in token:
                questions.add(sentence)
            sentence += 1
    return questions


def _lookup(
    words: tuple[str, ...], index: int, own: Lexicon, other: WordList | None
) -> Match | None:
    found = own.sentiment.at(words, index)
    if found is None and other is not None:
        found = other.at(words, index)
    return found


def _is_plain(lexicon: Lexicon, fallback: WordList | None, token: str) -> bool:
    """Whether a token has no part in scoring: no score, no phrase, no modifier role."""
    known = lexicon.plain.get(token)
    if known is None:
        lists = [lexicon.sentiment, lexicon.negators, lexicon.intensifiers, lexicon.contrast]
        if fallback is not None:
            lists.append(fallback)
        known = all(
            words.lookup(token) is None and not words.starts_phrase(token) for words in lists
        )
        if len(lexicon.plain) >= _MEMO_LIMIT:
            lexicon.plain.clear()
        lexicon.plain[token] = known
    return known


class _Reader:
    """Running totals while reading a message left to right."""

    __slots__ = (
        "after_contrast",
        "boost",
        "negation",
        "negative",
        "polite",
        "positive",
        "sentence",
        "sentence_negative",
        "sentence_polite",
        "sentence_positive",
    )

    def __init__(self) -> None:
        self.positive = self.negative = self.polite = 0.0
        self.sentence = 0
        self.sentence_positive = self.sentence_negative = self.sentence_polite = 0.0
        self.negation = 0
        self.boost = 1.0
        self.after_contrast = False

    def mark(self, token: str) -> None:
        self.negation = 0
        self.boost = 1.0
        if token != ",":
            self.sentence += 1
            self.sentence_positive = self.sentence_negative = self.sentence_polite = 0.0
            self.after_contrast = False

    def contrast(self) -> None:
        """After "but", what came before it in the sentence counts half."""
        cut = 1 - _BEFORE_CONTRAST
        self.positive -= cut * self.sentence_positive
        self.negative -= cut * self.sentence_negative
        self.polite -= cut * self.sentence_polite
        self.sentence_positive *= _BEFORE_CONTRAST
        self.sentence_negative *= _BEFORE_CONTRAST
        self.sentence_polite *= _BEFORE_CONTRAST
        self.after_contrast = True

    def add(self, value: float) -> None:
        if value > 0:
            self.positive += value
            self.sentence_positive += value
        else:
            self.negative += value
            self.sentence_negative += value


def score_sentiment(
    tokens: Tokens,
    emoji: tuple[str, ...],
    *,
    lexicon: Lexicon,
    fallback: WordList | None,
    shared: SharedLists,
    asks: bool,
    insults: int = 0,
) -> SentimentScore:
    """Score a tokenized message. `fallback` is a second sentiment list for words the
    language's own does not know; `asks` says whether the message is a question (polite
    words then carry no sentiment); `insults` is how many insults it holds."""
    words = tokens.words
    questions = _question_sentences(words) if tokens.has_question_mark else set()
    reader = _Reader()
    index = 0
    while index < len(words):
        word = words[index]
        if not word[0].isalpha():
            reader.mark(word)
            index += 1
            continue
        if _is_plain(lexicon, fallback, word):
            if reader.negation:
                reader.negation -= 1
            index += 1
            continue
        match = _lookup(words, index, lexicon, fallback)
        boost_after = 0.0
        if match is None or match.length == 1:
            # A single word may be a modifier rather than (or as well as) a scored word.
            if lexicon.negators.word(word) is not None:
                own = lexicon.sentiment.exact(word)
                if own:
                    reader.add(own[0])
                reader.negation = _NEGATION_SCOPE
                index += 1
                continue
            factor = lexicon.intensifiers.word(word)
            if factor is not None:
                boost_after = factor[0] if factor else 1.0
                own = lexicon.sentiment.exact(word)
                match = Match(index, 1, own) if own else None
            elif lexicon.contrast.word(word) is not None:
                reader.contrast()
                index += 1
                continue
        if match is not None:
            _score(reader, match, words, index, tokens, questions, lexicon)
            index += match.length
        else:
            if reader.negation:
                reader.negation -= 1
            index += 1
        if boost_after:
            reader.boost *= boost_after

    reader.negative += _INSULT * insults
    seen: Counter[str] = Counter()
    for symbol in emoji:
        score = shared.emoji_scores.get(symbol)
        if score is None:
            continue
        seen[symbol] += 1
        if seen[symbol] <= _SAME_EMOJI_AT_MOST:
            reader.add(score)

    positive, negative = reader.positive, reader.negative
    if reader.polite and not asks:
        positive += reader.polite if negative > -THRESHOLD else _POLITE_WITH_TROUBLE * reader.polite
    total = positive + negative
    exclamations = tokens.exclamations
    if exclamations and total:
        total *= 1 + 0.15 * min(exclamations, 4)
    if total >= THRESHOLD:
        label = Sentiment.POSITIVE
    elif total <= -THRESHOLD:
        label = Sentiment.NEGATIVE
    else:
        label = Sentiment.NEUTRAL
    return SentimentScore(label=label, score=round(total, 3), positive=positive, negative=negative)


def _score(
    reader: _Reader,
    match: Match,
    words: tuple[str, ...],
    index: int,
    tokens: Tokens,
    questions: set[int],
    lexicon: Lexicon,
) -> None:
    values = match.values
    value = values[0] if values else 0.0
    if reader.negation:
        if len(values) > 1:
            value = values[1]
        else:
            value *= _NEGATED_POSITIVE if value > 0 else _NEGATED_NEGATIVE
        reader.negation = 0 if value else reader.negation - 1
    if not value:
        return
    value *= reader.boost
    reader.boost = 1.0
    if index in tokens.shouted:
        value *= _SHOUTED
    if reader.after_contrast:
        value *= _AFTER_CONTRAST
    if value > 0 and reader.sentence in questions:
        value *= _POSITIVE_IN_QUESTION
    polite = lexicon.polite.at(words, index) if value > 0 else None
    if polite is not None and polite.length == match.length:
        reader.polite += value
        reader.sentence_polite += value
    else:
        reader.add(value)
