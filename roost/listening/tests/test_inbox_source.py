"""Every inbound message is run through its own organisation's monitors, once."""

from __future__ import annotations

import pytest

from roost.inbox.models import Message
from roost.listening.matching import INBOX_CURSOR, inbox_scan
from roost.listening.models import Match, MatchSource, SourceCursor
from roost.listening.tests.conftest import deliver


@pytest.mark.django_db
def test_inbound_messages_are_matched_with_source_and_link_and_stored_once(
    brand, channel, make_monitor
):
    recall = make_monitor(brand, '"product recall" OR #recall')
    polish = make_monitor(brand, "zażółć AND lang:pl")
    deliver(channel, ["Is there a Product Recall on the kettle?", "Nice weather", "#recall now"])

    assert inbox_scan() == 2
    assert inbox_scan() == 0  # read again: nothing doubles
    matches = Match.objects.filter(monitor=recall).order_by("text")
    assert [m.text for m in matches] == ["#recall now", "Is there a Product Recall on the kettle?"]
    message = Message.objects.get(text="#recall now")
    stored = matches.get(text="#recall now")
    assert (stored.source, stored.external_id, stored.url) == (
        MatchSource.INBOX,
        str(message.pk),
        message.url,
    )
    assert stored.at == message.created_at
    assert not Match.objects.filter(monitor=polish).exists()
    assert SourceCursor.objects.get(name=INBOX_CURSOR).position == Message.objects.latest("pk").pk


@pytest.mark.django_db
def test_another_organisations_monitor_never_sees_this_ones_messages(
    brand, other_brand, channel, other_channel, make_monitor, make_user, other_org
):
    from roost.core.models import Role

    ours = make_monitor(brand, "recall")
    theirs = make_monitor(other_brand, "recall", actor=make_user(other_org, Role.ADMIN))
    deliver(channel, ["recall announced for our kettle"])
    deliver(other_channel, ["their recall too", "and another recall"])

    inbox_scan()

    assert [m.text for m in Match.objects.filter(monitor=ours)] == [
        "recall announced for our kettle"
    ]
    assert Match.objects.filter(monitor=theirs).count() == 2
    assert set(Match.objects.filter(monitor=theirs).values_list("organization_id", flat=True)) == {
        other_brand.organization_id
    }


@pytest.mark.django_db
def test_a_message_committed_after_a_later_one_was_read_is_still_matched(
    brand, channel, make_monitor
):
    monitor = make_monitor(brand, "recall")
    deliver(channel, ["recall one", "recall two"])
    first, _second = Message.objects.order_by("pk")
    # As if the first message's transaction committed only after the scan read the second.
    Message.objects.filter(pk=first.pk).update(direction="outbound")
    inbox_scan()
    Message.objects.filter(pk=first.pk).update(direction="inbound")

    inbox_scan()

    assert Match.objects.filter(monitor=monitor).count() == 2


@pytest.mark.django_db
def test_a_paused_monitor_matches_nothing(brand, channel, make_monitor, lead):
    from roost.listening import services

    monitor = make_monitor(brand, "recall")
    services.monitor_update(actor=lead, monitor=monitor, active=False)
    deliver(channel, ["recall"])
    inbox_scan()
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_a_new_monitor_finds_what_the_inbox_had_in_the_last_week(
    brand, channel, make_monitor, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    deliver(channel, ["recall last month"], at=timezone.now() - timedelta(days=30))
    deliver(channel, ["recall two days ago"], at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        monitor = make_monitor(brand, "recall")  # the backfill runs once it is saved
    assert [m.text for m in Match.objects.filter(monitor=monitor)] == ["recall two days ago"]
