"""Raising alerts: the detector run over each monitor's stored matches, and what an
alert says (what rose, by how much, the top terms, example posts).

The worker's clock runs `monitors_evaluate` every minute. It evaluates the 5-minute
bucket in progress as well as the finished ones: a count so far can only grow, so a
bucket that already stands out is an alert now rather than at its end.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from roost.core import audit
from roost.core.actors import SYSTEM
from roost.listening.detection import (
    BUCKET,
    COOLDOWN,
    Counts,
    Finding,
    History,
    bucket_of,
    detect,
    history_ranges,
)
from roost.listening.incidents import alert_escalate
from roost.listening.models import Alert, AlertSignal, Match, Monitor

logger = logging.getLogger(__name__)
EXAMPLES = 3
TOP_TERMS = 5
NEGATIVE = "negative"

_WORD = re.compile(r"[#@]?[\w][\w.'-]*\w|[#@]?\w", re.UNICODE)
_STOP = frozenset(
    word
    for line in (Path(__file__).parent / "stopwords.txt").read_text().splitlines()
    if not line.startswith("#")
    for word in line.split()
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")


def top_terms(texts: Sequence[str], *, limit: int = TOP_TERMS) -> list[list[object]]:
    """The words and hashtags most posts share, as [term, posts], mentions and common
    words left out (each post counts a word once)."""
    counted: Counter[str] = Counter()
    for text in texts:
        words = {
            word
            for word in (_fold(w) for w in _WORD.findall(text))
            if not word.startswith("@")
            and not word.startswith("http")
            and len(word.lstrip("#")) >= 3
            and word.lstrip("#") not in _STOP
            and not word.isdigit()
        }
        counted.update(words)
    return [[term, posts] for term, posts in counted.most_common(limit) if posts > 1]


def monitor_history(monitor: Monitor, *, at: dt.datetime, since: dt.datetime) -> History:
    """The monitor's matches counted per bucket, over the windows `detect` reads."""
    within = Q()
    for start, end in history_ranges(at=at, since=since):
        within |= Q(at__gte=start, at__lt=end)
    counts: dict[dt.datetime, list[int]] = {}
    for moment, sentiment in Match.objects.filter(within, monitor=monitor).values_list(
        "at", "sentiment"
    ):
        found = counts.setdefault(bucket_of(moment), [0, 0])
        found[0] += 1
        found[1] += sentiment == NEGATIVE
    return History({start: Counts(total, negative) for start, (total, negative) in counts.items()})


def _summary(monitor: Monitor, finding: Finding) -> str:
    if finding.signal == AlertSignal.VOLUME:
        if finding.expected >= 1:
            usual = f"{finding.factor:.1f}× the usual {finding.expected:.0f}"
        else:
            # "150 times the usual 0" says nothing: a quiet window is named as such.
            usual = "usually none" if finding.expected < 0.05 else "usually fewer than one"
        return (
            f"{monitor.name}: {finding.observed:.0f} posts in {finding.minutes} minutes, "
            f"{usual}; {finding.negative_share:.0%} negative"
        )
    return (
        f"{monitor.name}: {finding.negative_share:.0%} of the last hour's posts negative, "
        f"usually {finding.baseline_negative_share:.0%}"
    )


def alert_raise(*, monitor: Monitor, finding: Finding) -> Alert:
    """Store the alert with its top terms and examples, audited, and open an incident
    for it or add it to the monitor's open one (`roost.listening.incidents`)."""
    window = Match.objects.filter(
        monitor=monitor, at__gte=finding.window_start, at__lt=finding.window_end
    )
    texts = list(window.values_list("text", flat=True)[:2000])
    examples = list(window.filter(sentiment=NEGATIVE)[:EXAMPLES]) or list(window[:EXAMPLES])
    factor = (
        finding.factor
        if finding.signal == AlertSignal.VOLUME
        else finding.observed / max(finding.expected, 0.01)
    )
    with transaction.atomic():
        alert = Alert.objects.create(
            organization_id=monitor.organization_id,
            monitor=monitor,
            signal=finding.signal,
            window_start=finding.window_start,
            window_end=finding.window_end,
            observed=finding.observed,
            expected=finding.expected,
            factor=factor,
            negative_share=finding.negative_share,
            baseline_negative_share=finding.baseline_negative_share,
            summary=_summary(monitor, finding)[:400],
            top_terms=top_terms(texts),
        )
        alert.examples.set(examples)
        audit.record(
            organization=monitor.organization,
            actor=SYSTEM,
            action="listening.alert.raised",
            target=alert,
            after={
                "monitor": monitor.pk,
                "signal": alert.signal,
                "observed": alert.observed,
                "expected": alert.expected,
                "top_terms": alert.top_terms,
            },
        )
        alert_escalate(alert=alert)
    return alert


def monitor_evaluate(*, monitor: Monitor, now: dt.datetime | None = None) -> Alert | None:
    """Run the detector on the monitor now; raise an alert if something rose and the
    monitor has not alerted within the cool-down."""
    now = now or timezone.now()
    recent = Alert.objects.filter(monitor=monitor, raised_at__gt=now - COOLDOWN).exists()
    if recent:
        return None
    at = bucket_of(now) + BUCKET  # the bucket in progress, counted so far
    since = monitor.created_at
    history = monitor_history(monitor, at=at, since=since)
    finding = detect(history, at=at, since=since, sensitivity=monitor.sensitivity)
    if finding is None:
        return None
    return alert_raise(monitor=monitor, finding=finding)


def monitors_evaluate(*, now: dt.datetime | None = None) -> int:
    """Evaluate every active monitor; return how many alerts were raised."""
    raised = 0
    for monitor in Monitor.objects.filter(active=True).select_related("organization", "brand"):
        try:
            raised += monitor_evaluate(monitor=monitor, now=now) is not None
        except Exception:
            logger.exception("evaluating monitor %s failed", monitor.pk)
    return raised
