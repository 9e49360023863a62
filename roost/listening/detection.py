"""The detector: is a monitor's volume, or its share of negative posts, out of the
ordinary for this hour of the week?

Pure functions over counts per 5-minute bucket, so the worker and the scenario
evaluation (`roost.listening.scenarios`) run exactly the same code.

- **Baseline.** For a window ending at `at`, the same window in each of the last
  `WEEKS` weeks, shifted by up to an hour either way (13 samples a week), summed per
  sample. With less than a week of history, the same hour of the previous days.
- **Robust statistics.** Counts are compared on a square-root scale (Anscombe's),
  where counts that arrive at random spread alike whatever their size. Expected = the
  samples' median; spread = 1.4826 times their median absolute deviation, but never less
  than the spread of random arrivals. One old spike is one sample among up to a
  hundred: it moves neither the median nor the MAD, so it does not poison the baseline;
  the usual negative share leaves out the outlying windows for the same reason.
- **Signals.** Volume in the last 5 minutes (a sudden spike) and in the last hour (a
  slow build-up) against their baselines; the share of negative posts in the last hour
  against the baseline's share. A rise in volume carried by non-negative posts (viral
  praise) is not an alert: the window's negative share must stay near the usual one.
- **Sensitivity** picks the thresholds (how many deviations, how many posts at least,
  how many times the usual volume).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

BUCKET = dt.timedelta(minutes=5)
WEEK = dt.timedelta(days=7)
DAY = dt.timedelta(days=1)
WEEKS = 8
SHIFTS = 6  # buckets either way: the same hour of the week, give or take an hour
MIN_SAMPLES = 12
SHORT_SPAN = 1  # buckets: 5 minutes
LONG_SPAN = 12  # buckets: an hour
# A rise counts as negative-carried when the window's negative share is at least this
# part of the usual share.
PRAISE_RATIO = 0.6
COOLDOWN = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Thresholds:
    deviations: float  # robust z-score at least
    min_count: int  # posts in the window at least
    min_factor: float  # times the usual volume at least
    share_rise: float  # negative share above the usual by at least
    share_min_negative: int  # negative posts in the hour at least, for a share alert


THRESHOLDS = {
    "low": Thresholds(
        deviations=6.0, min_count=15, min_factor=3.0, share_rise=0.35, share_min_negative=20
    ),
    "normal": Thresholds(
        deviations=4.5, min_count=8, min_factor=2.0, share_rise=0.3, share_min_negative=12
    ),
    "high": Thresholds(
        deviations=3.5, min_count=5, min_factor=1.5, share_rise=0.2, share_min_negative=8
    ),
}


@dataclass(frozen=True)
class Counts:
    """Posts in one bucket: all of them, and the negative ones."""

    total: int = 0
    negative: int = 0


@dataclass(frozen=True)
class Baseline:
    expected: float  # the median count
    spread: float  # on the stable scale
    negative_share: float
    samples: int
    centre: float  # the median on the stable scale


@dataclass(frozen=True)
class Finding:
    signal: str  # "volume" or "negative_share"
    window_start: dt.datetime
    window_end: dt.datetime
    observed: float
    expected: float
    deviations: float
    negative_share: float
    baseline_negative_share: float

    @property
    def factor(self) -> float:
        return self.observed / max(self.expected, 1.0)

    @property
    def minutes(self) -> int:
        return int((self.window_end - self.window_start).total_seconds() // 60)


def bucket_of(moment: dt.datetime) -> dt.datetime:
    """The start of the 5-minute bucket the moment falls in (UTC)."""
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


class History:
    """Counts per bucket, summed over any window in constant time (prefix sums over
    bucket numbers)."""

    def __init__(self, counts: Mapping[dt.datetime, Counts]) -> None:
        self.first = min(counts) if counts else bucket_of(dt.datetime(2000, 1, 3, tzinfo=dt.UTC))
        size = self.index(max(counts)) + 1 if counts else 0
        totals = [0] * size
        negatives = [0] * size
        for start, found in counts.items():
            totals[self.index(start)] += found.total
            negatives[self.index(start)] += found.negative
        self._totals = [0, *itertools.accumulate(totals)]
        self._negatives = [0, *itertools.accumulate(negatives)]
        self._last = len(self._totals) - 1

    def index(self, moment: dt.datetime) -> int:
        """The number of the bucket starting at `moment`, counted from the first."""
        return (moment - self.first) // BUCKET

    def window(self, end: int, span: int) -> Counts:
        """The posts in the `span` buckets before bucket number `end`."""
        last = self._last
        hi, lo = min(max(end, 0), last), min(max(end - span, 0), last)
        return Counts(
            total=self._totals[hi] - self._totals[lo],
            negative=self._negatives[hi] - self._negatives[lo],
        )


_PER_WEEK = WEEK // BUCKET
_PER_DAY = DAY // BUCKET
_WEEKLY = [
    -week * _PER_WEEK + shift
    for week in range(1, WEEKS + 1)
    for shift in range(-SHIFTS, SHIFTS + 1)
]
_DAILY = [-day * _PER_DAY + shift for day in range(1, 7) for shift in range(-SHIFTS, SHIFTS + 1)]


def _sample_offsets(*, at: int, since: int, span: int) -> list[int]:
    """The ends (bucket numbers) of the windows that make the baseline of the window
    ending at bucket `at`: whole windows after `since`, when the history starts."""
    ends = [at + offset for offset in _WEEKLY if at + offset - span >= since]
    if len(ends) < MIN_SAMPLES:
        ends = [at + offset for offset in _DAILY if at + offset - span >= since]
    return ends


def sample_ends(*, at: dt.datetime, since: dt.datetime, span: int) -> list[dt.datetime]:
    """The ends of the windows the baseline of the window ending at `at` is made of."""
    return [at + n * BUCKET for n in _sample_offsets(at=0, since=(since - at) // BUCKET, span=span)]


def _stable(count: float) -> float:
    """Counts that arrive at random spread more the larger they are; on this scale
    (Anscombe's) they spread alike, by about 0.5, whatever their size."""
    return math.sqrt(count + 0.375)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _baseline(history: History, *, at: int, since: int, span: int) -> Baseline | None:
    windows = [history.window(end, span) for end in _sample_offsets(at=at, since=since, span=span)]
    if len(windows) < MIN_SAMPLES:
        return None
    scaled = [_stable(w.total) for w in windows]
    centre = _median(scaled)
    mad = _median([abs(value - centre) for value in scaled])
    spread = max(1.4826 * mad, 0.5)
    # The usual negative share, pooled over the windows that were not themselves
    # outliers, so that one old storm of complaints does not raise it either.
    usual = [w for w, value in zip(windows, scaled, strict=True) if value <= centre + 3 * spread]
    total = sum(w.total for w in usual)
    share = sum(w.negative for w in usual) / total if total else 0.0
    return Baseline(
        expected=_median([float(w.total) for w in windows]),
        spread=spread,
        negative_share=share,
        samples=len(windows),
        centre=centre,
    )


def baseline(
    history: History, *, at: dt.datetime, since: dt.datetime, span: int
) -> Baseline | None:
    """The usual count of a window of `span` buckets ending at `at`; None while there is
    too little history to tell."""
    return _baseline(history, at=history.index(at), since=history.index(since), span=span)


def detect(
    history: History,
    *,
    at: dt.datetime,
    since: dt.datetime,
    sensitivity: str = "normal",
) -> Finding | None:
    """What rose in the window ending at `at` (a bucket boundary), or None."""
    limits = THRESHOLDS[sensitivity]
    end, start = history.index(at), history.index(since)
    hour: Baseline | None = None
    for span in (SHORT_SPAN, LONG_SPAN):
        usual = _baseline(history, at=end, since=start, span=span)
        if span == LONG_SPAN:
            hour = usual
        if usual is None:
            continue
        found = _volume(history.window(end, span), usual, at=at, span=span, limits=limits)
        if found is not None:
            return found
    if hour is None:
        return None
    return _negative_share(history.window(end, LONG_SPAN), hour, at=at, limits=limits)


def _volume(
    now: Counts, usual: Baseline, *, at: dt.datetime, span: int, limits: Thresholds
) -> Finding | None:
    deviations = (_stable(now.total) - usual.centre) / usual.spread
    if (
        now.total < limits.min_count
        or deviations < limits.deviations
        or now.total < limits.min_factor * max(usual.expected, 1.0)
    ):
        return None
    share = now.negative / now.total
    usual_negative = usual.expected * usual.negative_share
    negative_rise = (_stable(now.negative) - _stable(usual_negative)) / 0.5
    if share < PRAISE_RATIO * usual.negative_share or negative_rise < limits.deviations / 2:
        return None  # the rise is carried by praise: the complaints did not rise with it
    return Finding(
        signal="volume",
        window_start=at - span * BUCKET,
        window_end=at,
        observed=now.total,
        expected=usual.expected,
        deviations=deviations,
        negative_share=share,
        baseline_negative_share=usual.negative_share,
    )


def _negative_share(
    now: Counts, usual: Baseline, *, at: dt.datetime, limits: Thresholds
) -> Finding | None:
    if now.negative < limits.share_min_negative:
        return None
    share = now.negative / now.total
    expected = usual.negative_share
    # How unlikely the share is if each post were negative with the usual probability.
    p = min(max(expected, 0.02), 0.98)
    deviations = (share - p) / math.sqrt(p * (1 - p) / now.total)
    if share < expected + limits.share_rise or deviations < limits.deviations:
        return None
    return Finding(
        signal="negative_share",
        window_start=at - LONG_SPAN * BUCKET,
        window_end=at,
        observed=share,
        expected=expected,
        deviations=deviations,
        negative_share=share,
        baseline_negative_share=expected,
    )


def history_ranges(*, at: dt.datetime, since: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The time ranges `detect` reads at `at`: the windows now and their baselines."""
    ranges = [(at - LONG_SPAN * BUCKET, at)]
    for span in (SHORT_SPAN, LONG_SPAN):
        for end in sample_ends(at=at, since=since, span=span):
            ranges.append((end - span * BUCKET, end))
    ranges.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
