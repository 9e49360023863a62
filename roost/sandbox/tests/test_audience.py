"""The audience simulator and the crisis scenario on the demo's sandbox channels."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from roost.cli import main as roost
from roost.core.demo import seed_demo
from roost.sandbox.audience import audience_simulate_slot, expected_messages, sandbox_crisis_start
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.models import AudienceTick, SandboxInbound

MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(db):
    org = seed_demo()
    seed_demo_channels(org)
    return org


def test_rhythm_peaks_in_the_evening_and_dips_at_night_and_weekends():
    monday = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    evening, night = monday.replace(hour=19), monday.replace(hour=4)
    sunday_evening = evening + dt.timedelta(days=6)
    assert expected_messages(evening) > 5 * expected_messages(night)
    assert expected_messages(evening) > expected_messages(sunday_evening)


@pytest.mark.django_db
def test_a_day_of_slots_brings_a_mix_of_kinds_and_languages(demo):
    for n in range(12 * 24):
        audience_simulate_slot(slot=MONDAY_EVENING + n * dt.timedelta(minutes=5))
    inbound = SandboxInbound.objects.all()
    assert inbound.count() > 200
    assert set(inbound.values_list("language", flat=True)) >= {"en", "pl"}
    assert set(inbound.values_list("kind", flat=True)) >= {"mention", "direct_message"}
    texts = " ".join(inbound.values_list("text", flat=True))
    assert "?" in texts
    assert "DM me" in texts or "priv" in texts


@pytest.mark.django_db
def test_a_slot_is_simulated_once(demo):
    first = audience_simulate_slot(slot=MONDAY_EVENING)
    total = SandboxInbound.objects.count()
    assert audience_simulate_slot(slot=MONDAY_EVENING) == 0
    assert SandboxInbound.objects.count() == total == first
    assert AudienceTick.objects.filter(slot=MONDAY_EVENING).count() > 0


@pytest.mark.django_db
def test_crisis_surges_angry_mentions_on_the_brands_channels(demo):
    count = sandbox_crisis_start(brand_name="Northwind EMEA", topic="the recall", count=60)
    assert count == 60
    mentions = SandboxInbound.objects.filter(kind="mention")
    # Each in its own language: the English name the topic, the Polish its Polish name.
    english = mentions.filter(text__contains="the recall").count()
    polish = mentions.filter(text__contains="wycofanie produktu").count()
    assert english + polish == mentions.count() == 60
    assert english > 0
    assert polish > 0
    networks = set(mentions.values_list("account__network", flat=True))
    assert networks <= {"instagram", "facebook", "tiktok"}


@pytest.mark.django_db
def test_crisis_cli_names_an_unknown_brand(demo):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = roost(["sandbox", "crisis", "--brand", "Nowhere Inc."])
    assert code == 2
    assert "Nowhere Inc." in err.getvalue()
    with redirect_stdout(out), redirect_stderr(err):
        assert roost(["sandbox", "crisis", "--brand", "Northwind Global", "--count", "5"]) == 0
    assert "5 angry mentions" in out.getvalue()


@pytest.mark.django_db
def test_knobs_page_injects_a_failure_the_health_check_sees(demo, signed_in):
    from django.urls import reverse

    from roost.channels.models import Channel
    from roost.core.models import User

    ada = User.objects.get(email="ada@northwind.example")
    channel = Channel.objects.get(network="x", handle="northwind")
    client = signed_in(ada)
    page = client.get(reverse("sandbox:knobs", args=[channel.pk]))
    assert page.status_code == 200
    bad = client.post(reverse("sandbox:knobs", args=[channel.pk]), {"latency_ms": "-5"})
    assert bad.status_code == 400
    response = client.post(
        reverse("sandbox:knobs", args=[channel.pk]),
        {"latency_ms": 0, "fail_mode": "server_error", "fail_remaining": 1, "retry_after_s": 30},
    )
    assert response.status_code == 302
    client.post(reverse("channels:check", args=[channel.pk]))
    channel.refresh_from_db()
    assert "503 Service Unavailable" in channel.last_error
    viewer = User.objects.get(email="victor@northwind.example")
    assert signed_in(viewer).get(reverse("sandbox:knobs", args=[channel.pk])).status_code == 404


@pytest.mark.django_db
def test_activity_page_shows_what_the_audience_sent(demo, signed_in):
    from django.urls import reverse

    from roost.channels.models import Channel
    from roost.core.models import User
    from roost.sandbox.models import SandboxAccount
    from roost.sandbox.services import sandbox_inbound_add

    channel = Channel.objects.get(network="x", handle="northwind")
    account = SandboxAccount.objects.get(network="x", handle="northwind")
    sandbox_inbound_add(account=account, kind="mention", author_handle="kasia77", text="Cześć!")
    viewer = User.objects.get(email="victor@northwind.example")
    client = signed_in(viewer)
    page = client.get(reverse("sandbox:activity", args=[channel.pk]))
    assert page.status_code == 200
    assert "kasia77" in page.content.decode() and "Cześć!" in page.content.decode()
    partial = client.get(reverse("sandbox:activity", args=[channel.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
