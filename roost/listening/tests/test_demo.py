"""The demo: each brand has a monitor with weeks of history, nothing alerts on a calm
start, and `roost sandbox crisis --brand "Northwind EMEA"` raises an alert and opens an
incident after one round of the worker's minutely jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.crisis.models import Incident
from roost.demo import seed_demo_organization
from roost.inbox.ingest import channels_ingest_all
from roost.listening.alerts import monitors_evaluate
from roost.listening.demo import HISTORY
from roost.listening.matching import inbox_scan
from roost.listening.models import Alert, Match, Monitor
from roost.sandbox.audience import sandbox_crisis_start


def minutely_jobs(now: dt.datetime) -> int:
    """What the worker's clock runs every minute, in order: fetch the inbox, scan it
    through the monitors, evaluate them."""
    channels_ingest_all()
    inbox_scan(now=now)
    return monitors_evaluate(now=now)


@pytest.mark.django_db
def test_sandbox_crisis_raises_an_alert_within_minutes_of_starting():
    org = seed_demo_organization()
    monitors = {m.brand.name: m for m in Monitor.objects.filter(organization=org)}
    assert {"Northwind EMEA", "Northwind Americas", "Northwind Global"} <= set(monitors)
    emea = monitors["Northwind EMEA"]
    oldest = Match.objects.filter(monitor=emea).order_by("at").first()
    assert oldest is not None and timezone.now() - oldest.at > HISTORY - dt.timedelta(days=1)
    assert Match.objects.filter(monitor=emea).count() > 500

    assert minutely_jobs(timezone.now()) == 0  # a calm start: no alert
    seed_demo_organization()  # seeding again adds nothing
    assert Monitor.objects.filter(organization=org).count() == len(monitors)

    sandbox_crisis_start(brand_name="Northwind EMEA", topic="the data leak")
    rounds = 0
    while rounds < 3 and not Alert.objects.exists():
        minutely_jobs(timezone.now())
        rounds += 1
    assert Alert.objects.count() == 1, f"no alert after {rounds} rounds of the minutely jobs"

    alert = Alert.objects.get()
    assert alert.monitor == emea
    assert "leak" in [term for term, _ in alert.top_terms]
    incident = Incident.objects.get(organization=org)
    assert incident.source == "alert" and incident.brand == emea.brand
    assert alert.incident == incident
