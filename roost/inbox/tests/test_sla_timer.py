"""The countdown beside each conversation."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.inbox.templatetags.sla_timer import time_left

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "delta, shown",
    [
        (dt.timedelta(minutes=42), "due in 42 min"),
        (dt.timedelta(seconds=20), "due in 1 min"),
        (dt.timedelta(hours=1, minutes=5), "due in 1 h 5 min"),
        (dt.timedelta(days=2, hours=3), "due in 2 d 3 h"),
        (-dt.timedelta(minutes=10), "overdue by 10 min"),
        (-dt.timedelta(hours=3, minutes=1), "overdue by 3 h 1 min"),
    ],
)
def test_the_countdown_reads_as_people_say_it(delta, shown):
    assert time_left(NOW + delta, NOW) == shown


def test_no_due_time_shows_nothing():
    assert time_left(None, NOW) == ""
