"""Managing SLA policies: the services (validation, permissions, audit), the stored hours
driving the SLA clocks, and the Inbox → Settings → SLA policies pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.inbox import ingest
from roost.inbox.models import Conversation, SlaPolicy
from roost.inbox.sla.business_hours import add_business_seconds
from roost.inbox.sla.policies import (
    SlaPolicySpec,
    policy_calendar,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_update,
)
from roost.inbox.sla.services import policy_for, target_for
from roost.inbox.tests.conftest import account
from roost.sandbox.services import sandbox_inbound_add

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
OFFICE = {day: ["09:00-17:00"] for day in range(5)}


def spec(**fields):
    values = {
        "name": "EMEA office hours",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
        "time_zone": "Europe/Warsaw",
        "business_hours": OFFICE,
        **fields,
    }
    return SlaPolicySpec(**values)


def refused(code, call, **kwargs):
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    assert error.value.code is code
    return error.value


@pytest.mark.django_db
def test_create_stores_normalised_hours_and_holidays_and_audits(admin):
    policy = sla_policy_create(
        actor=admin,
        spec=spec(
            business_hours={0: ["13:00-17:00 ", " 09:00 - 12:00"], 4: ["09:00-24:00"], 5: [""]},
            holidays=["2026-12-25", "", "2026-12-24", "2026-12-25"],
        ),
    )
    assert policy.business_hours == {"0": ["09:00-12:00", "13:00-17:00"], "4": ["09:00-24:00"]}
    assert policy.holidays == ["2026-12-24", "2026-12-25"]
    event = AuditEvent.objects.get(action="inbox.sla_policy.created", target_id=str(policy.pk))
    assert event.after["business_hours"] == policy.business_hours
    calendar = policy_calendar(policy)
    assert dt.date(2026, 12, 24) in calendar.holidays


@pytest.mark.django_db
def test_a_saved_policy_times_conversations_in_its_business_hours(admin, channel):
    sla_policy_create(actor=admin, spec=spec())
    sandbox_inbound_add(account=account(), kind="mention", author_handle="ola", text="Hej?")
    ingest.channel_ingest(channel=channel)
    conversation = Conversation.objects.get()
    assert policy_for(conversation).name == "EMEA office hours"
    target = target_for(conversation)
    # Friday 16:30 in Warsaw plus one business hour is Monday 09:30 in Warsaw.
    friday = dt.datetime(2026, 11, 27, 16, 30, tzinfo=WARSAW)
    due = add_business_seconds(target.calendar, friday, target.first_response_seconds)
    assert due.astimezone(WARSAW) == dt.datetime(2026, 11, 30, 9, 30, tzinfo=WARSAW)


@pytest.mark.django_db
def test_twenty_four_seven_is_no_hours(admin):
    policy = sla_policy_create(actor=admin, spec=spec(name="Always", business_hours=None))
    assert policy.business_hours == {}
    assert policy_calendar(policy).has_hours


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": ""}, "name", "name"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"first_response_minutes": 0}, "first_response_minutes", "above 0"),
        ({"resolution_minutes": -5}, "resolution_minutes", "above 0"),
        ({"resolution_minutes": 10**9}, "resolution_minutes", "At most"),
        ({"business_hours": {1: ["9-17"]}}, "hours_1", "Tuesday: write hours like 09:00-17:00"),
        ({"business_hours": {2: ["17:00-09:00"]}}, "hours_2", "ends before it starts"),
        ({"business_hours": {3: ["09:00-12:00", "11:00-13:00"]}}, "hours_3", "overlap at 11:00"),
        ({"business_hours": {4: ["09:00-25:00"]}}, "hours_4", "not a time of day"),
        ({"business_hours": {0: ["09:61-10:00"]}}, "hours_0", "not a time of day"),
        ({"business_hours": {0: [""], 1: []}}, "hours_0", "at least one day"),
        ({"holidays": ["24/12/2026"]}, "holidays", "not a date"),
        ({"holidays": ["2026-02-30"]}, "holidays", "not a date"),
        ({"business_hours": None, "holidays": ["2026-12-24"]}, "holidays", "24/7"),
        ({"priority": "critical"}, "priority", "Unknown priority"),
        ({"intent": "gossip"}, "intent", "Unknown intent"),
    ],
)
def test_bad_values_are_refused_naming_the_field(admin, fields, field, words):
    error = refused(ErrorCode.INVALID, sla_policy_create, actor=admin, spec=spec(**fields))
    assert error.field == field and words in error.message
    assert not SlaPolicy.objects.exists()


@pytest.mark.django_db
def test_a_channel_of_another_organisation_is_refused(admin, other_org, make_user):
    outsider = make_user(other_org, Role.ADMIN)
    their_channel = channel_services.channel_create(
        actor=outsider, organization=other_org, network="x", placement="post", handle="globex",
        channel_group=ChannelGroup.objects.create(organization=other_org, name="G"),
        primary_owner=outsider,
    )  # fmt: skip
    error = refused(
        ErrorCode.INVALID, sla_policy_create, actor=admin, spec=spec(channel=their_channel)
    )
    assert error.field == "channel"


@pytest.mark.django_db
def test_two_policies_with_the_same_conditions_are_refused(admin, channel):
    sla_policy_create(actor=admin, spec=spec(channel=channel, priority="high"))
    error = refused(
        ErrorCode.CONFLICT,
        sla_policy_create,
        actor=admin,
        spec=spec(name="Twin", channel=channel, priority="high"),
    )
    assert "EMEA office hours" in error.message
    assert sla_policy_create(
        actor=admin, spec=spec(name="Urgent", channel=channel, priority="urgent")
    )


@pytest.mark.django_db
def test_update_records_before_and_after_and_delete_audits(admin):
    policy = sla_policy_create(actor=admin, spec=spec())
    sla_policy_update(actor=admin, policy=policy, spec=spec(first_response_minutes=30))
    policy.refresh_from_db()
    assert policy.first_response_minutes == 30
    event = AuditEvent.objects.get(action="inbox.sla_policy.updated")
    assert (event.before["first_response_minutes"], event.after["first_response_minutes"]) == (
        60,
        30,
    )
    sla_policy_delete(actor=admin, policy=policy)
    assert not SlaPolicy.objects.exists()
    assert AuditEvent.objects.get(action="inbox.sla_policy.deleted").before["name"] == (
        "EMEA office hours"
    )


@pytest.mark.django_db
def test_permissions_and_tenancy(org, admin, other_org, make_user):
    policy = sla_policy_create(actor=admin, spec=spec())
    helper = make_user(org, Role.COMMUNITY_MANAGER)
    refused(ErrorCode.PERMISSION_DENIED, sla_policy_create, actor=helper, spec=spec(name="Mine"))
    refused(ErrorCode.PERMISSION_DENIED, sla_policy_delete, actor=helper, policy=policy)
    outsider = make_user(other_org, Role.ADMIN)
    refused(ErrorCode.NOT_FOUND, sla_policy_update, actor=outsider, policy=policy, spec=spec())
    refused(ErrorCode.NOT_FOUND, sla_policy_delete, actor=outsider, policy=policy)
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


# Pages


def policy_form(**fields):
    data = {
        "name": "EMEA office hours",
        "first_response_minutes": "60",
        "resolution_minutes": "480",
        "time_zone": "Europe/Warsaw",
        "hours_0": "09:00-12:00, 13:00-17:00",
        "hours_4": "09:00-15:00",
        "holidays": "2026-12-24\n2026-12-25\n",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_adding_a_policy_through_the_page_with_weekday_rows_and_holidays(signed_in, admin):
    client = signed_in(admin)
    form_page = client.get(reverse("inbox:settings_policy_create")).content.decode()
    assert "Monday" in form_page and "Sunday" in form_page and "24/7" in form_page
    response = client.post(reverse("inbox:settings_policy_create"), policy_form())
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.business_hours == {"0": ["09:00-12:00", "13:00-17:00"], "4": ["09:00-15:00"]}
    assert policy.holidays == ["2026-12-24", "2026-12-25"]
    listing = client.get(reverse("inbox:settings_policies")).content.decode()
    assert "Monday 09:00-12:00, 13:00-17:00" in listing and "Europe/Warsaw" in listing
    assert "auto-reply from a routing rule does not stop it" in listing


@pytest.mark.django_db
def test_the_24_7_box_and_editing(signed_in, admin):
    client = signed_in(admin)
    client.post(
        reverse("inbox:settings_policy_create"),
        policy_form(name="Always", always_open="on", holidays=""),
    )
    policy = SlaPolicy.objects.get()
    assert policy.business_hours == {}
    edit = reverse("inbox:settings_policy_edit", args=[policy.pk])
    assert "checked" in client.get(edit).content.decode()
    assert client.post(edit, policy_form(name="Office")).status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Office" and policy.business_hours["0"] == ["09:00-12:00", "13:00-17:00"]
    client.post(reverse("inbox:settings_policy_delete", args=[policy.pk]))
    assert not SlaPolicy.objects.exists()


@pytest.mark.django_db
def test_bad_form_input_gets_a_4xx_naming_the_day_and_saves_nothing(signed_in, admin):
    client = signed_in(admin)
    url = reverse("inbox:settings_policy_create")
    response = client.post(url, policy_form(hours_1="9 to 5"))
    assert response.status_code == 422
    assert "Tuesday: write hours like 09:00-17:00" in response.content.decode()
    response = client.post(url, policy_form(holidays="Christmas"))
    assert response.status_code == 422 and "not a date" in response.content.decode()
    assert client.post(url, policy_form(first_response_minutes="0")).status_code == 400
    assert client.post(url, policy_form(first_response_minutes="soon")).status_code == 400
    assert client.post(url, policy_form(time_zone="Nowhere/Land")).status_code == 400
    assert not SlaPolicy.objects.exists()


@pytest.mark.django_db
def test_pages_refuse_people_who_cannot_configure_and_other_organisations(
    org, admin, other_org, make_user, signed_in
):
    policy = sla_policy_create(actor=admin, spec=spec())
    helper = signed_in(make_user(org, Role.COMMUNITY_MANAGER))
    assert "EMEA office hours" in helper.get(reverse("inbox:settings_policies")).content.decode()
    assert helper.get(reverse("inbox:settings_policy_create")).status_code == 403
    assert helper.post(reverse("inbox:settings_policy_delete", args=[policy.pk])).status_code == 403
    outsider = signed_in(make_user(other_org, Role.ADMIN))
    assert (
        "EMEA office hours" not in outsider.get(reverse("inbox:settings_policies")).content.decode()
    )
    assert outsider.get(reverse("inbox:settings_policy_edit", args=[policy.pk])).status_code == 404
    delete = reverse("inbox:settings_policy_delete", args=[policy.pk])
    assert outsider.post(delete).status_code == 404
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()
