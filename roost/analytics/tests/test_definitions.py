"""The engagement-rate definitions against hand-computed figures, first-response time in
business hours, and the organisation's choice of definitions (leads only, audited)."""

from __future__ import annotations

import datetime as dt

import pytest

from roost.analytics.definitions import (
    analytics_settings_update,
    calendar_of,
    engagement_rate,
    engagements,
    first_response_seconds,
    settings_of,
)
from roost.analytics.models import AnalyticsSettings
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, Role

# One post, as a network might report it.
POST = {
    "impressions": 12_500, "reach": 8_000, "likes": 210, "comments": 34, "shares": 18,
    "saves": 9, "link_clicks": 29, "video_views": 4_000,
}  # fmt: skip


def test_engagements_count_what_people_did_not_what_they_saw():
    assert engagements(POST) == 210 + 34 + 18 + 9 + 29 == 300


@pytest.mark.parametrize(
    ("basis", "expected"),
    [("impressions", 2.4), ("reach", 3.75), ("followers", 12.0)],  # 300/12,500; /8,000; /2,500
)
def test_engagement_rate_by_each_basis(basis, expected):
    rate = engagement_rate(
        engaged=engagements(POST), basis=basis, impressions=POST["impressions"],
        reach=POST["reach"], followers=2_500,
    )  # fmt: skip
    assert rate == pytest.approx(expected)


@pytest.mark.parametrize("basis", ["impressions", "reach", "followers"])
def test_no_rate_without_a_basis(basis):
    assert engagement_rate(engaged=5, basis=basis, impressions=0, reach=0, followers=None) is None


@pytest.mark.django_db
def test_first_response_time_counts_only_business_hours(org):
    settings = AnalyticsSettings(
        organization=org, time_zone="Europe/Berlin",
        business_hours={str(day): ["09:00-17:00"] for day in range(5)},
    )  # fmt: skip
    # Friday 16:30 to Monday 09:45 in Berlin: 30 minutes on Friday, 45 on Monday.
    asked = dt.datetime(2026, 3, 20, 15, 30, tzinfo=dt.UTC)
    answered = dt.datetime(2026, 3, 23, 8, 45, tzinfo=dt.UTC)
    assert first_response_seconds(calendar_of(settings), asked, answered) == 75 * 60
    around_the_clock = AnalyticsSettings(organization=org)
    assert (
        first_response_seconds(calendar_of(around_the_clock), asked, answered)
        == (answered - asked).total_seconds()
    )


@pytest.mark.django_db
def test_a_lead_chooses_the_definitions_and_the_change_is_audited(org, admin):
    analytics_settings_update(
        actor=admin, organization=org, engagement_basis="reach", time_zone="Europe/Paris",
        business_hours={0: ["09:00-12:00", "13:00-17:00"], 4: ["09:00-15:00"], 6: [" "]},
    )  # fmt: skip
    chosen = settings_of(org.pk)
    assert chosen.engagement_basis == "reach"
    assert chosen.business_hours == {"0": ["09:00-12:00", "13:00-17:00"], "4": ["09:00-15:00"]}
    event = AuditEvent.objects.get(organization=org, action="analytics.settings.updated")
    assert event.before["engagement_basis"] == "impressions"
    assert event.after["engagement_basis"] == "reach"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"engagement_basis": "vibes"}, "engagement_basis"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"business_hours": {0: ["17:00-09:00"]}}, None),
        ({"business_hours": {0: ["9am to 5pm"]}}, "hours_0"),
        ({"business_hours": {0: ["09:00-13:00", "12:00-17:00"]}}, None),
        ({"business_hours": {9: ["09:00-17:00"]}}, None),
    ],
)
def test_awkward_definitions_are_refused_and_nothing_is_stored(org, admin, changes, field):
    arguments = {
        "engagement_basis": "impressions", "time_zone": "UTC", "business_hours": {},
        **changes,
    }  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        analytics_settings_update(actor=admin, organization=org, **arguments)
    assert refused.value.code is ErrorCode.INVALID
    if field:
        assert refused.value.field == field
    assert not AnalyticsSettings.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.filter(action="analytics.settings.updated").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.ANALYST, Role.VIEWER])
def test_only_leads_choose_the_definitions(org, make_user, role, signed_in):
    person = make_user(org, role)
    with pytest.raises(ApplicationError) as refused:
        analytics_settings_update(
            actor=person, organization=org, engagement_basis="reach", time_zone="UTC",
            business_hours={},
        )  # fmt: skip
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    response = signed_in(person).post(
        "/analytics/definitions/", {"engagement_basis": "reach", "time_zone": "UTC"}
    )
    assert response.status_code == 403
    assert not AnalyticsSettings.objects.filter(organization=org).exists()


@pytest.mark.django_db
def test_the_definitions_page_saves_and_shows_a_field_error(org, admin, signed_in):
    client = signed_in(admin)
    page = client.get("/analytics/definitions/").content.decode()
    assert "Engagements divided by impressions" in page
    response = client.post(
        "/analytics/definitions/",
        {
            "engagement_basis": "followers",
            "time_zone": "UTC",
            "hours_0": "08:00-11:00, 12:00-16:00",
        },
    )
    assert response.status_code == 302
    assert settings_of(org.pk).business_hours == {"0": ["08:00-11:00", "12:00-16:00"]}
    refused = client.post(
        "/analytics/definitions/",
        {"engagement_basis": "followers", "time_zone": "UTC", "hours_1": "all day"},
    )
    assert refused.status_code == 200
    assert "Tuesday: write hours like 09:00-17:00" in refused.content.decode()
    assert settings_of(org.pk).business_hours == {"0": ["08:00-11:00", "12:00-16:00"]}
