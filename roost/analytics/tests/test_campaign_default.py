"""With no campaign chosen, the campaign dashboard shows the one most recently
released (which has figures), not one still waiting for its release."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roost.analytics.dashboard import Period, dashboard_build
from roost.publishing.models import Campaign


@pytest.mark.django_db
def test_the_campaign_dashboard_opens_on_the_latest_released_campaign(
    org, admin, channel, write_history
):
    released = Campaign.objects.create(
        organization=org, name="Spring jackets", created_by=admin,
        release_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), status=Campaign.Status.RELEASED,
    )  # fmt: skip
    write_history(channel, days=20, campaign=released)
    Campaign.objects.create(
        organization=org, name="Older", created_by=admin,
        release_at=dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), status=Campaign.Status.RELEASED,
    )  # fmt: skip
    Campaign.objects.create(
        organization=org, name="Next launch", created_by=admin,
        release_at=timezone.now() + dt.timedelta(days=5),
    )  # fmt: skip
    period = Period(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 28))
    board = dashboard_build("campaign", viewer=admin, period=period)
    assert "Spring jackets" in board.title
    engagements = next(f for f in board.figures if f.key == "engagements")
    assert engagements.value
