"""SLA attainment reports on hand-built conversations, with every expected figure worked
out by hand in the comments."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Role, Team
from roost.inbox.classify import Priority
from roost.inbox.models import Conversation, ConversationEvent, SlaPolicy
from roost.inbox.sla.reports import (
    ReportPeriod,
    attainment_csv,
    default_period,
    duration_text,
    sla_attainment,
)
from roost.inbox.sla.services import policy_among, policy_for

# Wednesday 25 November 2026, noon UTC.
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
NOVEMBER = ReportPeriod(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 25), time_zone="UTC")


def at(day, hour, minute=0, month=11):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def conversation(channel, key, *events, team=None, assignee=None, **fields):
    """A conversation whose first event is its first customer message."""
    first = events[0][1]
    made = Conversation.objects.create(
        organization_id=channel.organization_id, channel=channel, key=key, kind="mention",
        author_handle=key, first_message_at=first, last_message_at=first, team=team,
        assignee=assignee, **fields,
    )  # fmt: skip
    ConversationEvent.objects.create(
        organization_id=channel.organization_id, conversation=made, kind="opened", at=first
    )
    for kind, moment in events:
        ConversationEvent.objects.create(
            organization_id=channel.organization_id, conversation=made, kind=kind, at=moment
        )
    return made


def customer(moment):
    return ("customer_message", moment)


def reply(moment):
    return ("agent_reply", moment)


def closed(moment):
    return ("closed", moment)


@pytest.fixture
def office_channel(org, channel):
    """A second channel, with a business-hours policy of its own."""
    return channel_services.channel_create(
        actor=SYSTEM, organization=org, network="x", placement="post", handle="acme_help",
        channel_group=channel.channel_group, primary_owner=channel.primary_owner,
    )  # fmt: skip


@pytest.fixture
def world(org, other_org, channel, office_channel, make_user, admin):
    """Six conversations in November plus one before it and one in another organisation.

    Policies: every conversation, 24/7, first response 60 min, resolution 240 min; the
    office channel, Monday to Friday 09:00-17:00 UTC, 60 and 480 min.
    """
    SlaPolicy.objects.create(
        organization=org, name="Around the clock", first_response_minutes=60,
        resolution_minutes=240,
    )  # fmt: skip
    SlaPolicy.objects.create(
        organization=org, name="Office", channel=office_channel, first_response_minutes=60,
        resolution_minutes=480, time_zone="UTC",
        business_hours={str(day): ["09:00-17:00"] for day in range(5)},
    )  # fmt: skip
    care = Team.objects.create(organization=org, name="Care")
    night = Team.objects.create(organization=org, name="Night")
    pia = make_user(org, Role.COMMUNITY_MANAGER)
    pia.name = "Pia"
    pia.save(update_fields=["name"])
    tom = make_user(org, Role.COMMUNITY_MANAGER)
    tom.name = "Tom"
    tom.save(update_fields=["name"])
    # c1: reply after 30 min (met), closed after 2 h (met).
    conversation(channel, "c1", customer(at(10, 10)), reply(at(10, 10, 30)),
                 closed(at(10, 12)), team=care, assignee=pia)  # fmt: skip
    # c2: reply after 90 min (missed), closed after 6 h (missed): breached.
    conversation(channel, "c2", customer(at(11, 10)), reply(at(11, 11, 30)),
                 closed(at(11, 16)), team=care, assignee=pia)  # fmt: skip
    # c3: reply after 45 min (met), still open two weeks on (resolution missed): breached.
    conversation(channel, "c3", customer(at(12, 10)), reply(at(12, 10, 45)),
                 team=care, assignee=tom)  # fmt: skip
    # c4: arrived 30 min ago, no reply: both clocks within target, so neither met nor missed.
    conversation(channel, "c4", customer(at(25, 11, 30)), team=night)
    # c5: closed after 20 min without a reply: no first response needed; resolution met.
    conversation(channel, "c5", customer(at(13, 10)), closed(at(13, 10, 20)), assignee=tom)
    # c8, office hours: Friday 16:30, reply Monday 09:20 = 30 + 20 = 50 business minutes
    # (met; 64 h 50 min on the wall clock), closed Monday 10:00 = 90 business minutes (met).
    conversation(office_channel, "c8", customer(at(20, 16, 30)), reply(at(23, 9, 20)),
                 closed(at(23, 10)), team=night, assignee=pia)  # fmt: skip
    # Outside the period, and in another organisation: left out.
    conversation(channel, "october", customer(at(20, 10, month=10)), team=care)
    outsider = make_user(other_org, Role.ADMIN)
    their_channel = channel_services.channel_create(
        actor=outsider, organization=other_org, network="x", placement="post", handle="globex",
        channel_group=ChannelGroup.objects.create(organization=other_org, name="G"),
        primary_owner=outsider,
    )  # fmt: skip
    conversation(their_channel, "theirs", customer(at(10, 10)))
    return {"care": care, "night": night, "pia": pia, "tom": tom}


def rows_by_label(rows):
    return {row.label: row for row in rows}


@pytest.mark.django_db
def test_totals_are_counted_as_worked_out_by_hand(admin, world):
    report = sla_attainment(viewer=admin, period=NOVEMBER, now=NOW)
    total = report.total
    assert total.conversations == 6  # c1, c2, c3, c4, c5, c8
    # First response: met c1, c3, c8; missed c2 -> 3 of 4.
    assert (total.first_response_met, total.first_response_missed) == (3, 1)
    assert total.first_response_attainment == 75.0
    # Resolution: met c1, c5, c8; missed c2, c3 -> 3 of 5.
    assert (total.resolution_met, total.resolution_missed) == (3, 2)
    assert total.resolution_attainment == 60.0
    assert total.breached == 2  # c2, c3
    # Replies after 30, 90, 45 and 50 business minutes: the median is 47.5 minutes.
    assert total.median_first_response_seconds == 47.5 * 60


@pytest.mark.django_db
def test_by_team_by_channel_and_by_person(admin, world):
    report = sla_attainment(viewer=admin, period=NOVEMBER, now=NOW)
    teams = rows_by_label(report.by_team)
    assert [row.label for row in report.by_team] == ["Care", "Night", "No team"]
    # Care: c1, c2, c3. First response 2 of 3; resolution 1 of 3; median of 30, 90, 45.
    care = teams["Care"]
    assert (care.conversations, care.breached) == (3, 2)
    assert round(care.first_response_attainment, 1) == 66.7
    assert round(care.resolution_attainment, 1) == 33.3
    assert care.median_first_response_seconds == 45 * 60
    # Night: c4 (undecided) and c8 (met both).
    night = teams["Night"]
    assert (night.conversations, night.first_response_attainment) == (2, 100.0)
    assert (night.resolution_attainment, night.breached) == (100.0, 0)
    assert night.median_first_response_seconds == 50 * 60
    # No team: c5, no first response decided.
    lone = teams["No team"]
    assert (lone.first_response_attainment, lone.resolution_attainment) == (None, 100.0)
    assert lone.median_first_response_seconds is None

    people = rows_by_label(report.by_person)
    assert [row.label for row in report.by_person] == ["Pia", "Tom", "Unassigned"]
    # Pia: c1, c2, c8. First response 2 of 3, resolution 2 of 3, median of 30, 90, 50.
    pia = people["Pia"]
    assert round(pia.first_response_attainment, 1) == 66.7
    assert round(pia.resolution_attainment, 1) == 66.7
    assert (pia.breached, pia.median_first_response_seconds) == (1, 50 * 60)
    # Tom: c3, c5. First response 1 of 1; resolution c5 met, c3 missed.
    tom = people["Tom"]
    assert (tom.first_response_attainment, tom.resolution_attainment, tom.breached) == (
        100.0,
        50.0,
        1,
    )
    assert people["Unassigned"].conversations == 1  # c4

    channels = rows_by_label(report.by_channel)
    # acme: c1-c5. First response 2 of 3; resolution 2 of 4 (c1, c5 met; c2, c3 missed).
    acme = channels["acme (x)"]
    assert (acme.conversations, round(acme.first_response_attainment, 1)) == (5, 66.7)
    assert (acme.resolution_attainment, acme.breached) == (50.0, 2)
    office = channels["acme_help (x)"]
    assert (office.first_response_attainment, office.resolution_attainment) == (100.0, 100.0)


@pytest.mark.django_db
def test_the_period_is_read_in_the_viewers_time_zone(admin, world):
    # c4 arrived 25 November 11:30 UTC, which is 26 November 00:30 in Auckland.
    auckland = ReportPeriod(NOVEMBER.start, NOVEMBER.end, "Pacific/Auckland")
    assert sla_attainment(viewer=admin, period=auckland, now=NOW).total.conversations == 5
    admin.time_zone = "Pacific/Auckland"
    period = default_period(viewer=admin, now=NOW)
    assert (period.start, period.end) == (dt.date(2026, 10, 28), dt.date(2026, 11, 26))


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_conversations(
    admin, world, channel, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        small = sla_attainment(viewer=admin, period=NOVEMBER, now=NOW)
    for n in range(60):
        conversation(
            channel, f"bulk{n}", customer(at(3, 8, n % 60)), reply(at(3, 9, n % 60)),
            team=world["care"], assignee=world["tom"],
        )  # fmt: skip
    with django_assert_max_num_queries(4):
        large = sla_attainment(viewer=admin, period=NOVEMBER, now=NOW)
    assert large.total.conversations == small.total.conversations + 60


@pytest.mark.django_db
def test_reports_are_for_leads_and_analysts_on_their_own_channel_groups(
    org, world, channel, make_user
):
    with pytest.raises(ApplicationError) as refused:
        sla_attainment(viewer=make_user(org, Role.COMMUNITY_MANAGER), period=NOVEMBER, now=NOW)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    elsewhere = ChannelGroup.objects.create(organization=org, name="Elsewhere")
    analyst_elsewhere = make_user(org, Role.ANALYST, channel_group=elsewhere)
    report = sla_attainment(viewer=analyst_elsewhere, period=NOVEMBER, now=NOW)
    assert report.total.conversations == 0
    analyst_here = make_user(org, Role.ANALYST, channel_group=channel.channel_group)
    assert sla_attainment(viewer=analyst_here, period=NOVEMBER, now=NOW).total.conversations == 6


@pytest.mark.django_db
def test_the_report_chooses_the_same_policy_as_the_sla_service(org, channel, office_channel):
    for name, fields in (
        ("any", {}),
        ("urgent", {"priority": Priority.URGENT}),
        ("complaints", {"intent": "complaint"}),
        ("urgent complaints", {"priority": Priority.URGENT, "intent": "complaint"}),
        ("office", {"channel": office_channel}),
    ):
        SlaPolicy.objects.create(organization=org, name=name, **fields)
    policies = list(SlaPolicy.objects.all())
    for n, (where, priority, intent) in enumerate(
        [
            (channel, "normal", "question"),
            (channel, "urgent", "question"),
            (channel, "normal", "complaint"),
            (channel, "urgent", "complaint"),
            (office_channel, "urgent", "complaint"),
        ]
    ):
        made = conversation(where, f"p{n}", customer(at(2, 9)), priority=priority, intent=intent)
        chosen = policy_among(
            policies, channel_id=where.pk, priority=priority, intent=intent, vip=made.vip
        )
        assert chosen == policy_for(made), (priority, intent)


@pytest.mark.django_db
def test_the_page_shows_three_tables_and_the_csv_exports_them(admin, world, signed_in):
    client = signed_in(admin)
    page = client.get(reverse("inbox:reports"), {"start": "2026-11-01", "end": "2026-11-25"})
    text = page.content.decode()
    assert page.status_code == 200
    for heading in ("By team", "By channel", "By person", "Export CSV"):
        assert heading in text
    assert "Care" in text and "Pia" in text and "acme_help (x)" in text
    export = client.get(reverse("inbox:reports_csv"), {"start": "2026-11-01", "end": "2026-11-25"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    groupings = [row["grouping"] for row in rows]
    assert groupings.count("team") == 3 and groupings.count("person") == 3
    assert groupings.count("channel") == 2 and groupings.count("total") == 1
    care = next(row for row in rows if row["grouping"] == "team" and row["name"] == "Care")
    assert care["conversations"] == "3" and care["first_response_attainment_percent"] == "66.7"
    assert care["median_first_response_minutes"] == "45.0"


@pytest.mark.django_db
def test_the_page_defaults_to_the_last_30_days(admin, signed_in):
    page = signed_in(admin).get(reverse("inbox:reports"))
    assert page.status_code == 200
    assert "No conversations in this period." in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday", "end": "2026-11-25"},
        {"start": "2026-11-25", "end": "2026-11-01"},
        {"start": "2020-01-01", "end": "2026-11-25"},
        {"start": "2026-11-01"},
    ],
)
def test_a_bad_period_gets_a_400_not_a_report(admin, signed_in, query):
    client = signed_in(admin)
    page = client.get(reverse("inbox:reports"), query)
    assert page.status_code == 400 and "By team" not in page.content.decode()
    assert client.get(reverse("inbox:reports_csv"), query).status_code == 400


@pytest.mark.django_db
def test_the_page_refuses_people_without_report_rights(org, make_user, signed_in):
    client = signed_in(make_user(org, Role.COMMUNITY_MANAGER))
    assert client.get(reverse("inbox:reports")).status_code == 403
    assert client.get(reverse("inbox:reports_csv")).status_code == 403


@pytest.mark.django_db
def test_csv_cells_that_look_like_formulas_stay_text(admin, org, channel):
    team = Team.objects.create(organization=org, name="=HYPERLINK(1)")
    conversation(channel, "f", customer(at(5, 10)), reply(at(5, 10, 5)), team=team)
    report = sla_attainment(viewer=admin, period=NOVEMBER, now=NOW)
    assert "'=HYPERLINK(1)" in attainment_csv(report)


def test_durations_read_plainly():
    assert [duration_text(s) for s in (None, 45 * 60, 3 * 3600 + 300, 3600, 52 * 3600)] == [
        "—",
        "45 min",
        "3 h 05 min",
        "1 h",
        "2 d 4 h",
    ]
