"""What the English sentiment head reads beyond the shared features: how people rate the
message's words, and which clusters of Twitter words they belong to.

Both come from outside Roost, as data files under `data/english/` (their sources and
licences are at the top of each file):

- `valence.txt`, VADER's lexicon: 7,232 English words and emoticons rated by people from
  -4 to +4. Each rated word gives `v:` features: its sign and strength (1 to 3), marked
  when it follows a negator within three words ("not good" is `v:xp2`), and the message
  gets its summed valence in bands (a negated word counts -0.74 times, as VADER
  counts it), its strongest positive and negative word and the sign of its last rated
  word;
- `clusters.txt`, Brown clusters learned from millions of tweets: 81,382 words, each
  with a bit-string path, where words used alike share a path ("great", "gr8"). Each
  word gives `k:` features for its path and for its first 4 and 8 bits, so a word the
  training tweets never had still reads like the words of its cluster.

Nothing here depends on the other languages; the head that reads these features is
trained on English tweets only (`training/train.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

from roost.inbox.classify.model.hashing import bucket

_DATA = Path(__file__).resolve().parent.parent / "data" / "english"
# Words that turn the sentiment of the next few words (folded: no apostrophes).
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "cant",
        "cannot",
        "couldnt",
        "wont",
        "wouldnt",
        "aint",
        "nothing",
        "nobody",
        "neither",
        "nor",
        "without",
        "shouldnt",
        "arent",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "none",
        "nowhere",
    ]
)
_NEGATION_REACH = 3
# VADER's factor for a rated word after a negator.
_NEGATED = -0.74
_SUM_LIMIT = 6
_PREFIXES = (4, 8)
# Punctuation that ends a clause (a comma does not).
_CLAUSE_ENDS = frozenset(".!?;")


def _entries(name: str) -> Iterator[tuple[str, str]]:
    with (_DATA / name).open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            key, _, value = line.rstrip("\n").partition("\t")
            yield key, value


@functools.cache
def valences() -> dict[str, float]:
    """Folded word or canonical emoticon -> its rated valence (-4 to +4)."""
    return {key: float(value) for key, value in _entries("valence.txt")}


@functools.cache
def clusters() -> dict[str, str]:
    """Folded word, punctuation mark or canonical emoticon -> its cluster's bit path."""
    return dict(_entries("clusters.txt"))


def _strength(valence: float) -> int:
    return min(3, max(1, round(abs(valence))))


def valence_features(words: Sequence[str], emoji: Sequence[str]) -> list[str]:
    rated = valences()
    found = []
    total = strongest_positive = strongest_negative = 0.0
    last = ""
    since_negator = _NEGATION_REACH + 1
    for word in words:
        if word in NEGATORS:
            since_negator = 0
            continue
        since_negator += 1
        if not word[:1].isalpha():
            if word[:1] in _CLAUSE_ENDS:
                since_negator = _NEGATION_REACH + 1
            continue
        valence = rated.get(word)
        if valence is None:
            continue
        negated = since_negator <= _NEGATION_REACH
        sign = "p" if valence > 0 else "n"
        found.append(f"v:{'x' if negated else ''}{sign}{_strength(valence)}")
        if negated:
            valence *= _NEGATED
        total += valence
        strongest_positive = max(strongest_positive, valence)
        strongest_negative = min(strongest_negative, valence)
        last = "p" if valence > 0 else "n"
    for symbol in emoji:
        valence = rated.get(symbol)
        if valence is None:
            continue
        found.append(f"v:e{'p' if valence > 0 else 'n'}{_strength(valence)}")
        total += valence
        strongest_positive = max(strongest_positive, valence)
        strongest_negative = min(strongest_negative, valence)
    found.append(f"v:sum{max(-_SUM_LIMIT, min(_SUM_LIMIT, round(total)))}")
    if strongest_positive:
        found.append(f"v:maxp{_strength(strongest_positive)}")
    if strongest_negative:
        found.append(f"v:maxn{_strength(strongest_negative)}")
    if last:
        found.append(f"v:last{last}")
    return found


def _path_features(path: str) -> tuple[str, ...]:
    return ("k:" + path, *(f"k:{size}/{path[:size]}" for size in _PREFIXES))


def cluster_features(words: Sequence[str], emoji: Sequence[str]) -> list[str]:
    paths = clusters()
    found: list[str] = []
    for word in words:
        path = paths.get(word)
        if path is not None:
            found.extend(_path_features(path))
    for symbol in emoji:
        path = paths.get(symbol)
        if path is not None:
            found.append("k:" + path)
    return found


def english_features(words: Sequence[str], emoji: Sequence[str]) -> list[str]:
    """The `v:` and `k:` features of a message's folded tokens and its emoji/emoticons."""
    return valence_features(words, emoji) + cluster_features(words, emoji)


@functools.cache
def _cluster_buckets() -> tuple[dict[str, tuple[int, ...]], dict[str, int]]:
    """Each word's cluster features as buckets, and each emoticon's path bucket: there
    are a few hundred paths, so each path's buckets are computed once."""
    by_path: dict[str, tuple[int, ...]] = {}
    words = {}
    symbols = {}
    for key, path in clusters().items():
        if path not in by_path:
            by_path[path] = tuple(bucket(feature) for feature in _path_features(path))
        words[key] = by_path[path]
        symbols[key] = by_path[path][0]
    return words, symbols


def english_buckets_of(words: Sequence[str], emoji: Sequence[str]) -> set[int]:
    """The buckets of `english_features(words, emoji)`, without spelling out the cluster
    features word by word."""
    found = {bucket(feature) for feature in valence_features(words, emoji)}
    by_word, by_symbol = _cluster_buckets()
    for word in words:
        known = by_word.get(word)
        if known is not None:
            found.update(known)
    for symbol in emoji:
        index = by_symbol.get(symbol)
        if index is not None:
            found.add(index)
    return found


def load_tables() -> None:
    """Read both tables now rather than at the first English message."""
    valences()
    _cluster_buckets()
