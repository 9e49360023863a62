"""The one clock paging reads. Every due time, lateness and link expiry is measured
against `now()`, so tests and benchmarks can run the escalation on a clock they move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone

_source: Callable[[], dt.datetime] = timezone.now


def now() -> dt.datetime:
    return _source()


def clock_use(source: Callable[[], dt.datetime]) -> None:
    """Read time from `source` from now on (a test's or a benchmark's clock)."""
    global _source
    _source = source


@contextmanager
def clock_used(source: Callable[[], dt.datetime]) -> Iterator[None]:
    previous = _source
    clock_use(source)
    try:
        yield
    finally:
        clock_use(previous)


class ControlledClock:
    """A clock that stands still until moved."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at
