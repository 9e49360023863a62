"""What the trained model reads in a message: word, word-pair and character features, plus
a few language-independent cues from the word lists.

The same function serves training and classification, so the model sees at serve time
exactly what it was trained on. `read()` lists a message's features as strings:

- each folded word and punctuation mark as written by `tokenize()` ("nie", "?!"); a word
  stands for itself (`w:nie`) and its character 3- and 4-grams, padded with spaces
  (`c: ni`, `c:nie `), which carry Polish inflection and typos;
- `b:` pairs of neighbouring tokens ("b:not good", "b:nie polecam");
- `e:` each emoji or emoticon;
- `m:` cues: the language, a link, a mention, shouting, question and exclamation marks,
  the length, and what the word lists found (a service word, a praise word, a question
  opener, the spam-cue weight, an insult, the lexicon's sentiment score in bands).

Every feature string is hashed with CRC-32 into one of `DIMENSIONS` buckets; a message
is the set of its buckets (each counts once), and the model divides its sums by the
square root of their number: an L2-normalised binary vector. The `m:` cues are the same
in every language; the complaint head for languages without complaint data of their
own reads only them.

An English message is also read for the English sentiment head (`english.py`): its
words' rated valence (`v:`) and their clusters of Twitter words (`k:`), in
`Reading.english_buckets` on top of the shared buckets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from roost.inbox.classify.intent import IntentCues, read_cues
from roost.inbox.classify.language import detect_language
from roost.inbox.classify.lexicons import INSULTS, fallback, lexicon, shared
from roost.inbox.classify.model.english import english_buckets_of
from roost.inbox.classify.model.hashing import bucket
from roost.inbox.classify.sentiment import SentimentScore, score_sentiment
from roost.inbox.classify.text import CleanText, Tokens, clean, tokenize
from roost.inbox.classify.wordlists import Match

_MEMO_LIMIT = 200_000
# Feature -> its buckets (a word: its own and its character n-grams'). Bounded like the
# other memos.
_MEMO: dict[str, tuple[int, ...]] = {}


def is_word(feature: str) -> bool:
    """Whether a feature string is a token (the others start with a letter and ":")."""
    return len(feature) < 2 or feature[1] != ":"


def buckets_of(feature: str) -> tuple[int, ...]:
    """The buckets one feature string stands for (a word: itself and its n-grams)."""
    known = _MEMO.get(feature)
    if known is None:
        if is_word(feature):
            found = [bucket("w:" + feature)]
            if feature[:1].isalpha():
                padded = f" {feature} "
                for size in (3, 4):
                    for start in range(len(padded) - size + 1):
                        found.append(bucket("c:" + padded[start : start + size]))
            known = tuple(found)
        else:
            known = (bucket(feature),)
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[feature] = known
    return known


def bucket_set(features: Iterable[str]) -> frozenset[int]:
    """The set of buckets of some features."""
    return frozenset().union(*map(buckets_of, features))


def _lexicon_band(score: float) -> str:
    if score <= -3:
        return "m:lex--"
    if score <= -1:
        return "m:lex-"
    if score >= 3:
        return "m:lex++"
    if score >= 1:
        return "m:lex+"
    return "m:lex0" if score == 0 else "m:lex~"


def cue_features(
    *, language: str, cleaned: CleanText, tokens: Tokens, cues: IntentCues, lexical: float
) -> list[str]:
    """The language-independent `m:` cues of a message."""
    cues_found = [
        f"m:lang:{language}",
        _lexicon_band(lexical),
        f"m:spam:{min(int(cues.spam_weight), 3)}",
        f"m:excl:{min(tokens.exclamations, 2)}",
        f"m:len:{min(len(tokens.words) // 8, 4)}",
    ]
    if cleaned.urls:
        cues_found.append("m:url")
    if cleaned.mentions:
        cues_found.append("m:mention")
    if tokens.shouted:
        cues_found.append("m:shout")
    if tokens.has_question_mark:
        cues_found.append("m:qmark")
    if cues.asks:
        cues_found.append("m:asks")
    elif cues.asks_by_opener:
        cues_found.append("m:opener")
    if cues.service:
        cues_found.append("m:service")
    if cues.praise:
        cues_found.append("m:praise")
    if cues.insult:
        cues_found.append("m:insult")
    return cues_found


@dataclass(frozen=True, slots=True)
class Reading:
    """A message as the model reads it, with what the word lists found (priority needs
    the keyword matches)."""

    language: str
    tokens: Tokens
    found: dict[str, list[Match]]
    cues: IntentCues
    lexical: SentimentScore
    # Every feature string, repeated as often as it occurs; `meta` only the `m:` cues.
    features: tuple[str, ...]
    meta: tuple[str, ...]
    # The buckets of `features` and of `meta`.
    buckets: frozenset[int]
    meta_buckets: frozenset[int]
    # English messages only: `buckets` and those of the English head's own features.
    english_buckets: frozenset[int] = frozenset()


def read(text: str, *, language_hint: str = "") -> Reading:
    """Clean, detect the language, scan the word lists and list the features."""
    cleaned = clean(text)
    language = detect_language(cleaned.text, cleaned.words(), hint=language_hint)
    own = lexicon(language)
    lists = shared()
    tokens = tokenize(cleaned, split_apostrophes=language == "fr")
    found = own.scanner.scan(tokens.words)
    cues = read_cues(cleaned, tokens, text, found, shared=lists)
    lexical = score_sentiment(
        tokens,
        cleaned.emoji,
        lexicon=own,
        fallback=fallback(language),
        shared=lists,
        asks=cues.asks or cues.asks_by_opener,
        insults=len(found.get(INSULTS, ())),
    )
    meta = tuple(
        cue_features(
            language=language, cleaned=cleaned, tokens=tokens, cues=cues, lexical=lexical.score
        )
    )
    words = tokens.words
    pairs = [f"b:{first} {second}" for first, second in pairwise(words)]
    emoji = ["e:" + symbol for symbol in cleaned.emoji]
    features = (*words, *pairs, *emoji, *meta)
    buckets = bucket_set(features)
    english = frozenset[int]()
    if language == "en":
        english = buckets.union(english_buckets_of(words, cleaned.emoji))
    return Reading(
        language=language,
        tokens=tokens,
        found=found,
        cues=cues,
        lexical=lexical,
        features=features,
        meta=meta,
        buckets=buckets,
        meta_buckets=bucket_set(meta),
        english_buckets=english,
    )


def english_buckets(reading: Reading) -> frozenset[int]:
    """What the English sentiment head reads in a message, whatever language it was
    detected in (training reads English tweets that detection placed elsewhere)."""
    if reading.english_buckets:
        return reading.english_buckets
    emoji = [feature[2:] for feature in reading.features if feature.startswith("e:")]
    return reading.buckets.union(english_buckets_of(reading.tokens.words, emoji))


def clear_memo() -> None:
    """Forget the per-feature memo (for measuring speed from a cold start)."""
    _MEMO.clear()
