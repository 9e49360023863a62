"""The trained model: linear heads over hashed features, read from `model.bin`.

Standard library only at serve time: the weights are bytes (8-bit levels) in one
compressed file (0.5 MB; 1.8 MB in memory), loaded once per process in a fraction of a
second. Each head is a row of `DIMENSIONS` bytes with a bias and a scale; a byte `q`
stands for the weight `scale * (q - 128)`, so a head's score for a message is

    bias + scale * (sum(row[b] for b in buckets) - 128 * len(buckets)) / sqrt(len(buckets))

over the set of a message's buckets (`features.py`): a logistic regression over the
L2-normalised binary feature vector. The heads that read every bucket are summed with
one C-level gather each (`operator.itemgetter`); bytes keep the rows small enough to
stay in the processor's cache and give Python's shared small integers, so the gather
allocates nothing. The heads, trained by
`roost/inbox/classify/training/train.py`:

- `sentiment:negative`, `sentiment:positive`: one softmax over negative, neutral and
  positive, stored as each label's score minus neutral's (a softmax does not change when
  every score moves by the same amount, so neutral's is 0 and costs nothing);
- `sentiment_en:negative`, `sentiment_en:positive`: the same softmax for English
  messages, trained on English tweets over the shared features and the English ones
  (`english.py`); it gives an English message its sentiment, while the complaint heads
  and intent keep reading the shared softmax they were trained and tuned with;
- `spam`: a sigmoid, spam comments against everything else;
- `complaint`: a sigmoid over every feature, for English (the language of the public
  complaint data);
- `complaint_cues`: a sigmoid over the language-independent cues and the sentiment
  bands only, for every other language.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from roost.inbox.classify.model.hashing import DIMENSIONS, bucket

ARTIFACT = Path(__file__).with_name("model.bin")
SENTIMENT_HEADS = ("sentiment:negative", "sentiment:positive")
ENGLISH_SENTIMENT_HEADS = ("sentiment_en:negative", "sentiment_en:positive")
SPAM_HEAD = "spam"
COMPLAINT_HEAD = "complaint"
COMPLAINT_CUES_HEAD = "complaint_cues"
HEADS = (
    *SENTIMENT_HEADS,
    SPAM_HEAD,
    COMPLAINT_HEAD,
    COMPLAINT_CUES_HEAD,
    *ENGLISH_SENTIMENT_HEADS,
)
# Languages whose complaints the full `complaint` head was trained on.
COMPLAINT_LANGUAGES = frozenset({"en"})
# A language outside COMPLAINT_LANGUAGES, for measuring the cue-only complaint head.
OTHER_LANGUAGE = "und"
_MAGIC = b"roost-classifier 3\n"


class ModelFileError(ValueError):
    """The model file is missing, truncated or of another format."""


_OFFSET = 128
_LEVELS = 127


@dataclass(frozen=True, slots=True)
class Head:
    # One byte per bucket: the weight is `scale * (byte - 128)`.
    weights: bytes
    bias: float
    scale: float

    def weight(self, index: int) -> float:
        return self.scale * (self.weights[index] - _OFFSET)


_BANDS = {
    (name, fifth): bucket(f"s:{name}:{fifth}") for name in ("neg", "pos") for fifth in range(5)
}


def sentiment_bands(negative: float, positive: float) -> tuple[int, int]:
    """Buckets for the sentiment probabilities in fifths, read by the complaint heads."""
    return _BANDS["neg", min(int(negative * 5), 4)], _BANDS["pos", min(int(positive * 5), 4)]


@dataclass(frozen=True, slots=True)
class Prediction:
    negative: float
    neutral: float
    positive: float
    spam: float
    complaint: float


def _gather(heads: Iterable[Head], buckets: Collection[int]) -> list[int]:
    """Each head's summed weight levels over the buckets (before `scale`)."""
    offset = _OFFSET * len(buckets)
    if len(buckets) > 1:
        pick = itemgetter(*buckets)
        return [sum(pick(head.weights)) - offset for head in heads]
    return [sum(head.weights[index] for index in buckets) - offset for head in heads]


class Model:
    def __init__(self, heads: dict[str, Head], info: dict[str, object]) -> None:
        missing = [name for name in HEADS if name not in heads]
        if missing:
            raise ModelFileError(f"model file lacks the heads {', '.join(missing)}")
        self.heads = heads
        self.info = info
        # The heads that read every bucket.
        self._shared = tuple(heads[name] for name in (*SENTIMENT_HEADS, SPAM_HEAD, COMPLAINT_HEAD))
        self._english = tuple(heads[name] for name in ENGLISH_SENTIMENT_HEADS)

    def score(self, head: Head, buckets: Collection[int]) -> float:
        """One head's score for a set of buckets."""
        if not buckets:
            return head.bias
        (total,) = _gather((head,), buckets)
        return head.bias + head.scale * total / math.sqrt(len(buckets))

    def predict(
        self, buckets: frozenset[int], cues: frozenset[int], *, full_complaint: bool
    ) -> Prediction:
        """Sentiment, spam and complaint probabilities of one message's buckets.

        `full_complaint` picks the complaint head over every bucket (the languages it
        was trained on); otherwise the head over the cues' buckets (`cues`) is used."""
        heads = self._shared if full_complaint else self._shared[:3]
        totals = _gather(heads, buckets) if buckets else [0] * len(heads)
        norm = 1 / math.sqrt(len(buckets)) if buckets else 0.0
        negative_head, positive_head, spam_head, complaint_head = self._shared
        negative, neutral, positive = _softmax(
            negative_head.bias + negative_head.scale * totals[0] * norm,
            positive_head.bias + positive_head.scale * totals[1] * norm,
        )
        spam = _sigmoid(spam_head.bias + spam_head.scale * totals[2] * norm)
        bands = sentiment_bands(negative, positive)
        if full_complaint:
            extra = [index for index in bands if index not in buckets]
            total = totals[3] + sum(complaint_head.weights[index] - _OFFSET for index in extra)
            count = len(buckets) + len(extra)
            logit = complaint_head.bias + complaint_head.scale * total / math.sqrt(count)
        else:
            logit = self.score(self.heads[COMPLAINT_CUES_HEAD], cues.union(bands))
        return Prediction(negative, neutral, positive, spam, _sigmoid(logit))

    def english_sentiment(self, buckets: Collection[int]) -> tuple[float, float, float]:
        """The English sentiment head's negative, neutral and positive probabilities."""
        negative_head, positive_head = self._english
        if not buckets:
            return _softmax(negative_head.bias, positive_head.bias)
        totals = _gather(self._english, buckets)
        norm = 1 / math.sqrt(len(buckets))
        return _softmax(
            negative_head.bias + negative_head.scale * totals[0] * norm,
            positive_head.bias + positive_head.scale * totals[1] * norm,
        )


def _softmax(negative_logit: float, positive_logit: float) -> tuple[float, float, float]:
    """Negative, neutral and positive probabilities from the two scores over neutral's."""
    top = max(negative_logit, positive_logit, 0.0)
    negative = math.exp(negative_logit - top)
    neutral = math.exp(-top)
    positive = math.exp(positive_logit - top)
    whole = negative + neutral + positive
    return negative / whole, neutral / whole, positive / whole


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    odds = math.exp(value)
    return odds / (1 + odds)


def write_model(
    path: Path,
    *,
    heads: dict[str, tuple[Iterable[float], float]],
    info: dict[str, object],
) -> None:
    """Quantise each head's weights to 255 levels and write the file (used by training)."""
    header: dict[str, object] = {"dimensions": DIMENSIONS, "heads": {}, "info": info}
    body = bytearray()
    for name in HEADS:
        weights, bias = heads[name]
        values = list(weights)
        if len(values) != DIMENSIONS:
            raise ModelFileError(f"head {name} has {len(values)} weights, not {DIMENSIONS}")
        largest = max((abs(value) for value in values), default=0.0) or 1.0
        scale = largest / _LEVELS
        body.extend(round(value / scale) + _OFFSET for value in values)
        header["heads"][name] = {"bias": bias, "scale": scale}  # type: ignore[index]
    text = json.dumps(header, sort_keys=True).encode("utf-8")
    path.write_bytes(_MAGIC + text + b"\n" + zlib.compress(bytes(body), 9))


def read_model(path: Path) -> Model:
    data = path.read_bytes() if path.exists() else b""
    if not data.startswith(_MAGIC):
        raise ModelFileError(f"{path} is not a classifier model file")
    header_end = data.find(b"\n", len(_MAGIC))
    try:
        header = json.loads(data[len(_MAGIC) : header_end])
        body = zlib.decompress(data[header_end + 1 :])
    except (ValueError, zlib.error) as error:
        raise ModelFileError(f"{path} is damaged: {error}") from error
    if header.get("dimensions") != DIMENSIONS:
        raise ModelFileError(f"{path} was trained for {header.get('dimensions')} features")
    if len(body) != DIMENSIONS * len(HEADS):
        raise ModelFileError(f"{path} holds {len(body)} weights, not {DIMENSIONS * len(HEADS)}")
    heads = {}
    for index, name in enumerate(HEADS):
        spec = header["heads"][name]
        heads[name] = Head(
            weights=body[index * DIMENSIONS : (index + 1) * DIMENSIONS],
            bias=float(spec["bias"]),
            scale=float(spec["scale"]),
        )
    return Model(heads, header.get("info", {}))


@functools.cache
def shipped_model() -> Model:
    """The model that ships in the package, loaded once per process."""
    return read_model(ARTIFACT)
