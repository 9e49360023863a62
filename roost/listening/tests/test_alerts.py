"""From matches to an alert to an incident: the alert says what rose, by how much, the
top terms and example posts; it opens an incident from the alert, and a later alert of
the same monitor adds to that incident's timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.core.models import AuditEvent
from roost.crisis.models import Incident, IncidentConversation, IncidentStatus, TimelineKind
from roost.listening.alerts import monitors_evaluate
from roost.listening.detection import COOLDOWN
from roost.listening.matching import inbox_scan
from roost.listening.models import Alert, AlertSignal, Match, MatchSource, Monitor
from roost.listening.tests.conftest import deliver

ANGRY = [
    "@acme the kettle recall is a disaster, I am furious #kettlegate",
    "@acme your kettle burned my hand, this is dangerous #kettlegate",
    "@acme kettle recall and still no refund, awful service #kettlegate",
]


def seed_history(monitor: Monitor, *, now: dt.datetime, weeks: int = 3) -> None:
    """Two matches an hour for weeks, one in ten negative: the monitor's usual."""
    start = now - dt.timedelta(weeks=weeks)
    Monitor.objects.filter(pk=monitor.pk).update(created_at=start)
    monitor.refresh_from_db()
    rows, moment, n = [], start, 0
    while moment < now - dt.timedelta(minutes=30):
        rows.append(
            Match(
                organization_id=monitor.organization_id, monitor=monitor,
                source=MatchSource.BLUESKY, external_id=f"history-{n}", text="kettle talk",
                sentiment="negative" if n % 10 == 0 else "neutral", at=moment,
            )
        )  # fmt: skip
        moment += dt.timedelta(minutes=30)
        n += 1
    Match.objects.bulk_create(rows)


@pytest.mark.django_db
def test_a_spike_raises_an_alert_that_opens_an_incident_and_later_ones_join_it(
    brand, channel, make_monitor
):
    monitor = make_monitor(brand, "kettle")
    now = timezone.now()
    seed_history(monitor, now=now)
    assert monitors_evaluate(now=now) == 0  # the usual raises nothing

    deliver(channel, ANGRY * 10, at=now)
    inbox_scan()
    assert monitors_evaluate(now=now) == 1

    alert = Alert.objects.get()
    assert alert.signal == AlertSignal.VOLUME
    assert alert.observed >= 30 and alert.expected <= 2
    assert alert.factor >= 10
    assert "kettle" in alert.summary.lower() or monitor.name in alert.summary
    terms = [term for term, _ in alert.top_terms]
    assert "#kettlegate" in terms and "kettle" in terms
    assert all(not str(term).startswith("@") for term in terms)
    examples = list(alert.examples.all())
    assert 1 <= len(examples) <= 3 and all(e.sentiment == "negative" for e in examples)

    incident = Incident.objects.get()
    assert alert.incident == incident
    assert (incident.source, incident.brand, incident.organization) == (
        "alert",
        brand,
        brand.organization,
    )
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 1
    # The conversations behind the alert's inbox matches are linked to the incident.
    assert IncidentConversation.objects.filter(incident=incident).count() == 30
    assert AuditEvent.objects.filter(action="listening.alert.raised").count() == 1

    # Within the cool-down nothing more; after it, the same incident's timeline grows.
    assert monitors_evaluate(now=now + dt.timedelta(minutes=5)) == 0
    later = now + COOLDOWN + dt.timedelta(minutes=1)
    deliver(channel, ANGRY * 15, at=later)
    inbox_scan()
    assert monitors_evaluate(now=later) == 1
    assert Incident.objects.count() == 1
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 2
    assert Alert.objects.filter(incident=incident).count() == 2


@pytest.mark.django_db
def test_an_alert_after_the_incident_was_resolved_opens_a_new_one(brand, channel, make_monitor):
    monitor = make_monitor(brand, "kettle")
    now = timezone.now()
    seed_history(monitor, now=now)
    deliver(channel, ANGRY * 10, at=now)
    inbox_scan()
    monitors_evaluate(now=now)
    Incident.objects.update(status=IncidentStatus.RESOLVED)

    later = now + COOLDOWN + dt.timedelta(minutes=1)
    deliver(channel, ANGRY * 15, at=later)
    inbox_scan()
    monitors_evaluate(now=later)

    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_viral_praise_raises_no_alert(brand, channel, make_monitor):
    monitor = make_monitor(brand, "kettle")
    now = timezone.now()
    seed_history(monitor, now=now)
    deliver(
        channel,
        ["I love my new Acme kettle, wonderful!", "Best kettle ever, thank you"] * 20,
        at=now,
    )
    inbox_scan()
    assert Match.objects.filter(monitor=monitor, at__gte=now).count() == 40
    assert monitors_evaluate(now=now) == 0
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_new_monitor_with_no_history_does_not_alert(brand, channel, make_monitor):
    make_monitor(brand, "kettle")
    deliver(channel, ANGRY * 10)
    inbox_scan()
    assert monitors_evaluate() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expected", "says"),
    [(4.0, "10.0× the usual 4"), (0.3, "usually fewer than one"), (0.0, "usually none")],
)
def test_an_alert_says_how_far_above_the_usual_volume_it_is(make_monitor, brand, expected, says):
    from roost.listening.alerts import alert_raise
    from roost.listening.detection import Finding

    at = timezone.now()
    finding = Finding(
        signal="volume", window_start=at - dt.timedelta(minutes=5), window_end=at,
        observed=40, expected=expected, deviations=9.0, negative_share=0.8,
        baseline_negative_share=0.15,
    )  # fmt: skip
    alert = alert_raise(monitor=make_monitor(brand=brand, query="recall"), finding=finding)
    assert says in alert.summary and "40 posts in 5 minutes" in alert.summary
