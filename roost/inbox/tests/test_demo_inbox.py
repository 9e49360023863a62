"""The demo's inbox set-up: regional teams, routing rules, SLA policies and conversations
close to breach; seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.demo import seed_demo
from roost.core.models import Team, User
from roost.demo import seed_demo_near_breach
from roost.inbox import ingest, services
from roost.inbox.demo import AMERICAS, EMEA, seed_demo_inbox
from roost.inbox.models import Conversation, Message, RoutingRule, SlaPolicy
from roost.inbox.routing import route as routing
from roost.inbox.routing.auto_reply import AUTO_REPLY_KIND
from roost.inbox.selectors import Queue, conversation_list
from roost.inbox.sla.services import policy_for
from roost.sandbox.channels import seed_demo_channels
from roost.sandbox.selectors import sandbox_account_find
from roost.sandbox.services import sandbox_inbound_add

# Tuesday 24 November 2026, 08:00 UTC: 09:00 in Warsaw and Paris, 03:00 in New York.
EMEA_MORNING = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo(db):
    org = seed_demo()
    seed_demo_channels(org)
    seed_demo_inbox(org)
    seed_demo_near_breach(org)
    return org


def counts(org):
    return (
        Team.objects.filter(organization=org).count(),
        RoutingRule.objects.filter(organization=org).count(),
        SlaPolicy.objects.filter(organization=org).count(),
        Conversation.objects.filter(organization=org).count(),
    )


def people(org):
    return {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}


@pytest.mark.django_db
def test_seeding_twice_adds_nothing(demo):
    before = counts(demo)
    # 3 earlier teams + 2 support teams; 4 + 4 + 2 policies; 3 near breach + 2 assigned
    assert before == (5, 5, 10, 5)
    seed_demo_inbox(demo)
    seed_demo_near_breach(demo)
    assert counts(demo) == before


@pytest.mark.django_db
def test_regional_teams_work_in_their_own_time_zones(demo):
    emea = Team.objects.get(organization=demo, name=EMEA)
    americas = Team.objects.get(organization=demo, name=AMERICAS)
    assert sorted(emea.members.values_list("time_zone", flat=True)) == [
        "Europe/Paris",
        "Europe/Warsaw",
    ]
    assert sorted(americas.members.values_list("time_zone", flat=True)) == [
        "America/Los_Angeles",
        "America/New_York",
    ]
    assert not any(routing.is_working(person, EMEA_MORNING) for person in americas.members.all())
    assert all(routing.is_working(person, EMEA_MORNING) for person in emea.members.all())


@pytest.mark.django_db
def test_breaching_soon_is_alive_on_first_sign_in(demo):
    breaching = list(conversation_list(viewer=people(demo)["ada"], queue=Queue.BREACHING))
    assert len(breaching) == 3
    now = timezone.now()
    for conversation in breaching:
        assert conversation.sla_state == "warning"
        assert now < conversation.sla_due_at <= now + dt.timedelta(hours=1)
    # They exist on the sandbox network too, so a reply reaches it.
    complaint = next(c for c in breaching if c.author_handle == "hikerjoe")
    assert complaint.team.name in (AMERICAS, EMEA)  # EMEA when nobody in the Americas works
    assert complaint.priority == "high" and "complaint" in complaint.tags


@pytest.mark.django_db
def test_a_reply_to_a_near_breach_conversation_reaches_the_network(demo):
    ada = people(demo)["ada"]
    conversation = Conversation.objects.get(organization=demo, author_handle="dana_ledger")
    services.conversation_reply(actor=ada, conversation=conversation, text="We will call you.")
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None


@pytest.mark.django_db
def test_regional_policies_have_business_hours_and_the_rest_is_around_the_clock(demo):
    facebook = Channel.objects.get(organization=demo, network="facebook")
    pinterest = Channel.objects.get(organization=demo, network="pinterest")
    corporate = Channel.objects.get(organization=demo, network="bluesky")
    emea_policy = SlaPolicy.objects.get(organization=demo, channel=facebook)
    assert emea_policy.time_zone == "Europe/Warsaw"
    assert (
        emea_policy.business_hours["0"] == ["09:00-17:00"] and "5" not in emea_policy.business_hours
    )
    assert SlaPolicy.objects.get(organization=demo, channel=pinterest).time_zone == (
        "America/New_York"
    )
    stored = Conversation.objects.get(organization=demo, channel=corporate)
    assert policy_for(stored).business_hours == {}


def deliver(org, network, handle, author, text, language):
    channel = Channel.objects.get(organization=org, network=network, handle=handle)
    account = sandbox_account_find(organization_id=org.pk, network=network, handle=handle)
    sandbox_inbound_add(
        account=account, kind="mention", author_handle=author, text=text, language=language
    )
    ingest.channel_ingest(channel=channel)
    return Conversation.objects.get(channel=channel, author_handle=author)


@pytest.mark.django_db
def test_the_demo_rules_route_by_region_and_fall_back_out_of_hours(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    real = routing.conversation_route
    monkeypatch.setattr(ingest, "conversation_route", lambda **kw: real(now=EMEA_MORNING, **kw))
    with django_capture_on_commit_callbacks(execute=True):
        polish = deliver(
            demo, "facebook", "NorthwindEurope", "ola", "Kiedy wysyłacie zamówienia?", "pl"
        )
    assert polish.team.name == EMEA
    assert Message.objects.filter(conversation=polish, kind=AUTO_REPLY_KIND).exists()
    # 03:00 in New York: nobody in the Americas works, so the fallback team (EMEA) has it.
    english = deliver(demo, "x", "northwind_us", "liam", "When do you ship orders?", "en")
    assert english.team.name == EMEA and english.assignee is None


@pytest.mark.django_db
def test_the_settings_and_reports_pages_open_on_the_demo(demo, signed_in):
    client = signed_in(people(demo)["ada"])
    rules_page = client.get(reverse("inbox:settings_rules")).content.decode()
    assert "English to the Americas; EMEA out of hours" in rules_page
    assert client.get(reverse("inbox:settings_policies")).status_code == 200
    report = client.get(reverse("inbox:reports"))
    assert report.status_code == 200
    # Which regional team has them depends on the hour the demo was seeded at.
    teams = {c.team.name for c in Conversation.objects.filter(organization=demo)}
    assert teams and all(name in report.content.decode() for name in teams)
