"""The monitor pages cost the same queries however many monitors, matches and alerts
there are (a change here should be a decision, not an accident)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roost.listening.alerts import alert_raise
from roost.listening.detection import Finding
from roost.listening.models import Match, MatchSource

# Session and person, the viewer's grants, the monitors (with their match counts), the
# recent alerts with their incidents, the brands for the form, the messages shown.
LIST_QUERIES = 7
DETAIL_QUERIES = 8


def grow(brand, make_monitor, count: int) -> list:
    monitors = [make_monitor(brand, f"kettle{n}") for n in range(count)]
    now = timezone.now()
    for monitor in monitors:
        Match.objects.bulk_create(
            Match(
                organization_id=monitor.organization_id,
                monitor=monitor,
                source=MatchSource.FEED,
                external_id=f"{monitor.pk}-{n}",
                text=f"kettle{n}",
                at=now - dt.timedelta(minutes=n),
            )
            for n in range(count)
        )
        alert_raise(
            monitor=monitor,
            finding=Finding(
                signal="volume", window_start=now - dt.timedelta(minutes=5), window_end=now,
                observed=count, expected=1, deviations=6, negative_share=0.5,
                baseline_negative_share=0.1,
            ),
        )  # fmt: skip
    return monitors


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_monitor_pages_cost_the_same_for_2_or_6_monitors(signed_in, lead, brand, make_monitor):
    client = signed_in(lead)
    few = grow(brand, make_monitor, 2)
    client.get(reverse("listening:monitors"))  # the session's first request does more
    small = {
        "list": queries(client, reverse("listening:monitors")),
        "detail": queries(client, reverse("listening:monitor", args=[few[0].pk])),
    }
    many = grow(brand, make_monitor, 6)
    large = {
        "list": queries(client, reverse("listening:monitors")),
        "detail": queries(client, reverse("listening:monitor", args=[many[-1].pk])),
    }
    assert small == large == {"list": LIST_QUERIES, "detail": DETAIL_QUERIES}
