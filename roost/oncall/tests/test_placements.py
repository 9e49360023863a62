"""Who is on call now, and who backs them up, where people work: on Today (with their own
shifts), on an incident's page and beside the inbox's open conversation; for the
viewer's organisation only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.core.models import User
from roost.core.panels import panel_keys
from roost.core.today import today_card_keys, today_cards
from roost.crisis.services import incident_open
from roost.demo import seed_demo_organization
from roost.oncall.demo import REGIONS, ROTATION_EPOCH, SCHEDULE
from roost.oncall.models import Layer, LayerMember, Schedule
from roost.oncall.schedules.selectors import on_call_at
from roost.oncall.today import today_on_call, today_own_shifts

pytestmark = pytest.mark.django_db

# 10:00 UTC on a winter Wednesday: 11:00 in Warsaw, the EMEA layer alone is on call.
MORNING = dt.datetime(2027, 1, 13, 10, tzinfo=dt.UTC)


@pytest.fixture
def demo():
    org = seed_demo_organization()
    people = {u.email.split("@")[0]: u for u in User.objects.filter(organization=org)}
    return org, people


def _emea_person(people: dict[str, User], at: dt.datetime) -> User:
    emea = next(region for region in REGIONS if region.name == "EMEA")
    return people[emea.people[(at.date() - ROTATION_EPOCH).days % len(emea.people)]]


def test_the_cards_and_panels_are_declared():
    keys = today_card_keys()
    assert keys.index("incidents") < keys.index("on_call") < keys.index("own_shifts")
    assert "on_call" in panel_keys("crisis.incident")
    assert "on_call" in panel_keys("inbox.conversation")


def test_today_shows_who_is_on_call_and_who_backs_them_up(demo):
    org, people = demo
    on_call = _emea_person(people, MORNING)
    schedule = Schedule.objects.get(organization=org, name=SCHEDULE)
    assert on_call_at(schedule=schedule, at=MORNING) == [on_call]
    cards = {c.key: c for c in today_cards(viewer=people["victor"], now=MORNING)}
    card = cards["on_call"]
    labels = [item.label for item in card.items]
    assert f"{SCHEDULE}: {on_call.name}" in labels
    assert any(
        "step 2: Marco Manager" in label and "step 3: Ada Admin" in label for label in labels
    )
    # Victor has no shift: no card of his own shifts.
    assert "own_shifts" not in cards


def test_a_persons_own_shifts_are_on_their_today(demo):
    _, people = demo
    on_call = _emea_person(people, MORNING)
    card = {c.key: c for c in today_cards(viewer=on_call, now=MORNING)}["own_shifts"]
    first = card.items[0]
    assert first.badge == "on call now" and first.label == f"{SCHEDULE} · EMEA"
    # Shown in the person's own zone: the EMEA window is 08:00-17:00 in Warsaw.
    local = {"Europe/Warsaw": "08:00–17:00", "Europe/London": "07:00–16:00",
             "Europe/Paris": "08:00–17:00", "Europe/Berlin": "08:00–17:00"}  # fmt: skip
    assert first.detail.endswith(local[on_call.time_zone])
    # Over the coming week the daily rotation of four gives them one or two more days.
    assert 2 <= card.total <= 3


def test_the_incident_page_shows_who_is_on_call(demo, signed_in):
    org, people = demo
    incident = incident_open(
        organization=org, title="Jacket recall rumours", severity="sev2", actor=people["marco"]
    )
    page = signed_in(people["marco"]).get(reverse("crisis:incident", args=[incident.pk]))
    html = page.content.decode()
    assert 'data-testid="on-call-now"' in html
    now_on_call = on_call_at(
        schedule=Schedule.objects.get(organization=org, name=SCHEDULE), at=timezone.now()
    )
    for person in now_on_call:
        assert person.name in html
    assert "Marco Manager" in html and "Ada Admin" in html  # the backups


def test_beside_the_inbox_the_panel_loads_itself(demo, signed_in):
    org, people = demo
    from roost.inbox.models import Conversation

    conversation = Conversation.objects.filter(organization=org, assignee=people["chloe"]).first()
    assert conversation is not None
    client = signed_in(people["chloe"])
    html = client.get(reverse("inbox:split_conversation", args=[conversation.pk])).content
    panel_url = reverse("oncall:now_panel")
    assert f'hx-get="{panel_url}?level=4"'.encode() in html
    panel = client.get(f"{panel_url}?level=4").content.decode()
    assert '<h4 id="on-call-inbox">On call now</h4>' in panel
    assert SCHEDULE in panel and "Ada Admin" in panel


def test_another_organisation_sees_none_of_it(demo, other_org, make_user, signed_in):
    stranger = make_user(other_org)
    panel = signed_in(stranger).get(reverse("oncall:now_panel")).content.decode()
    assert SCHEDULE not in panel and "Nobody is scheduled on call." in panel
    keys = {c.key for c in today_cards(viewer=stranger, now=MORNING)}
    assert "on_call" not in keys and "own_shifts" not in keys


def _another_schedule(org, person: User, name: str) -> None:
    schedule = Schedule.objects.create(organization=org, name=name, time_zone="UTC")
    layer = Layer.objects.create(
        organization=org, schedule=schedule, name="All day", time_zone="UTC",
        rotation_start=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), shift="weekly",
        handoff_time=dt.time(0),
    )  # fmt: skip
    LayerMember.objects.create(organization=org, layer=layer, person=person, position=0)


# What the two cards cost together, whatever the number of schedules: the schedules with
# their layers, members, overrides and time off; the people; the default policy with its
# steps; the viewer's own schedules and what they are built from. A change here should be
# a decision, not an accident.
ON_CALL_CARDS_QUERIES = 21


def test_the_cards_cost_the_same_queries_however_many_schedules(demo, django_assert_num_queries):
    org, people = demo
    viewer = _emea_person(people, MORNING)
    today_on_call(viewer=viewer, now=MORNING)  # warm: content types and the like
    with django_assert_num_queries(ON_CALL_CARDS_QUERIES):
        assert today_on_call(viewer=viewer, now=MORNING) is not None
        assert today_own_shifts(viewer=viewer, now=MORNING) is not None
    for n in range(3):
        _another_schedule(org, viewer, f"Weekend cover {n}")
    with django_assert_num_queries(ON_CALL_CARDS_QUERIES):
        assert len(today_on_call(viewer=viewer, now=MORNING).items) == 5  # 4 and the backups
        assert today_own_shifts(viewer=viewer, now=MORNING).total > 3
