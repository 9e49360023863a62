"""The demo organisation's monitors, one per brand, each with four weeks of the usual
chatter about it already matched, so that the detector knows each brand's normal hour
of the week and `roost sandbox crisis --brand NAME` stands out within minutes."""

from __future__ import annotations

import datetime as dt
import math
import random

from django.db import transaction
from django.utils import timezone

from roost.core.actors import SYSTEM
from roost.core.models import Brand, Organization
from roost.listening import services
from roost.listening.models import Match, MatchSource, Monitor

HISTORY = dt.timedelta(weeks=4)
# The brand's name, the monitor's name, its query and the usual posts an hour.
DEMO_MONITORS = [
    (
        "Northwind EMEA",
        "Northwind EMEA mentions",
        '@northwind.eu OR @NorthwindEurope OR @northwind_eu OR "northwind europe"',
        3.0,
    ),
    (
        "Northwind Americas",
        "Northwind Americas mentions",
        '@northwind_us OR @northwind.us OR @NorthwindUS OR "northwind us"',
        3.0,
    ),
    (
        "Northwind Global",
        "Northwind corporate and careers",
        '@northwind OR #northwind OR "northwind careers"',
        2.0,
    ),
]
CHATTER = [
    ("en", "neutral", "Anyone tried the new Northwind jacket yet?"),
    ("en", "positive", "Great service from Northwind today, thanks!"),
    ("en", "positive", "Loving my Northwind boots on this hike"),
    ("en", "negative", "Northwind delivery is late again, not happy"),
    ("en", "neutral", "Does Northwind ship to Norway?"),
    ("pl", "neutral", "Czy Northwind ma sklep w Krakowie?"),
    ("pl", "positive", "Świetna kurtka od Northwind, polecam"),
    ("pl", "negative", "Zamówienie z Northwind znowu się spóźnia"),
    ("de", "neutral", "Gibt es die Northwind Jacke auch in Grün?"),
]


def _usual_per_hour(moment: dt.datetime, per_hour: float) -> float:
    """Busier in the afternoon, quieter at night and at weekends."""
    daily = 1.0 + 0.7 * math.cos(2 * math.pi * (moment.hour - 15) / 24)
    return per_hour * daily * (0.5 if moment.weekday() >= 5 else 1.0)


def _history(monitor: Monitor, *, per_hour: float, now: dt.datetime) -> list[Match]:
    rng = random.Random(monitor.name)  # noqa: S311 - demo data, the same on every seed
    rows = []
    moment = now - HISTORY
    n = 0
    # Up to a quarter of an hour ago: what happens now is for the sources to bring.
    while moment < now - dt.timedelta(minutes=15):
        expected = _usual_per_hour(moment, per_hour) / 12
        count = sum(rng.random() < expected / 4 for _ in range(4))
        for _ in range(count):
            language, sentiment, text = rng.choice(CHATTER)
            n += 1
            rows.append(
                Match(
                    organization_id=monitor.organization_id,
                    monitor=monitor,
                    source=MatchSource.BLUESKY,
                    external_id=f"demo-history:{monitor.pk}:{n}",
                    text=text,
                    author=f"did:plc:demo{rng.randint(1000, 9999)}",
                    language=language,
                    sentiment=sentiment,
                    at=moment + dt.timedelta(seconds=rng.randint(0, 299)),
                )
            )
        moment += dt.timedelta(minutes=5)
    return rows


def seed_demo_listening(org: Organization, *, now: dt.datetime | None = None) -> None:
    """Add whichever demo monitor is missing, with its history."""
    now = now or timezone.now()
    brands = {b.name: b for b in Brand.objects.filter(organization=org)}
    have = set(Monitor.objects.filter(organization=org).values_list("name", flat=True))
    for brand_name, name, query, per_hour in DEMO_MONITORS:
        if name in have or brand_name not in brands:
            continue
        with transaction.atomic():
            monitor = services.monitor_create(
                actor=SYSTEM,
                organization=org,
                brand=brands[brand_name],
                name=name,
                query=query,
                public_stream=False,  # the demo runs offline
            )
            # The monitor has known the brand's chatter for as long as its history.
            Monitor.objects.filter(pk=monitor.pk).update(created_at=now - HISTORY)
            monitor.created_at = now - HISTORY
            Match.objects.bulk_create(_history(monitor, per_hour=per_hour, now=now))
