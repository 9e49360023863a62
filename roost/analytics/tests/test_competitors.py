"""Competitors: added and removed by leads and analysts (audited), read once a day through
a channel of the same network, and compared with the organisation's own channels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.analytics.competitors import (
    competitor_add,
    competitor_comparison,
    competitor_get,
    competitor_read,
    competitor_remove,
    competitors_read_due,
)
from roost.analytics.models import Competitor, CompetitorDay
from roost.analytics.record import PostReading, channel_reading_record, post_reading_record
from roost.channels.connectors.base import ChannelStats
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import FailMode, SandboxAccount
from roost.sandbox.public_profiles import public_profile
from roost.sandbox.services import sandbox_knobs_set

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 10, 7, tzinfo=dt.UTC)


@pytest.fixture
def bluesky_channel(admin, make_channel):
    channel = make_channel(network="bluesky", handle="acme.bsky.social", group="Corporate")
    return sandbox_channel_connect(actor=admin, channel=channel)


@pytest.fixture
def analyst(org, make_user):
    return make_user(org, Role.ANALYST)


@pytest.fixture
def at_now(monkeypatch):
    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_now(NOW)
    return set_now


def test_an_analyst_adds_a_competitor_read_through_a_channel_of_that_network(
    org, analyst, bluesky_channel
):
    competitor = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="  @Globex.bsky.social "
    )

    assert (competitor.handle, competitor.via_channel) == ("globex.bsky.social", bluesky_channel)
    event = AuditEvent.objects.get(organization=org, action="analytics.competitor.added")
    assert event.actor_id == analyst.pk
    assert event.after["handle"] == "globex.bsky.social"
    with pytest.raises(ApplicationError) as twice:
        competitor_add(
            actor=analyst, organization=org, network="bluesky", handle="GLOBEX.bsky.social"
        )
    assert (twice.value.code, twice.value.field) == (ErrorCode.CONFLICT, "handle")
    assert Competitor.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize(
    "handle", ["", "   ", "@", "two words", "<script>", "a" * 201, "name@@host", "x\x00y"]
)
def test_a_handle_that_is_no_handle_is_refused_and_nothing_stored(
    org, analyst, bluesky_channel, handle
):
    with pytest.raises(ApplicationError) as refused:
        competitor_add(actor=analyst, organization=org, network="bluesky", handle=handle)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "handle")
    assert not Competitor.objects.exists()
    assert not AuditEvent.objects.filter(action="analytics.competitor.added").exists()


def test_no_channel_on_the_network_or_no_role_is_refused(org, make_user, analyst, bluesky_channel):
    for network in ("mastodon", "", "x" * 300):
        with pytest.raises(ApplicationError) as refused:
            competitor_add(actor=analyst, organization=org, network=network, handle="globex")
        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, "network")
    for role in (Role.VIEWER, Role.PUBLISHER, Role.COMMUNITY_MANAGER):
        with pytest.raises(ApplicationError) as denied:
            competitor_add(
                actor=make_user(org, role), organization=org, network="bluesky", handle="globex"
            )
        assert denied.value.code is ErrorCode.PERMISSION_DENIED
    assert not Competitor.objects.exists()


def test_another_organisations_competitor_cannot_be_seen_or_removed(
    org, other_org, make_user, analyst, bluesky_channel
):
    competitor = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="globex.bsky.social"
    )
    stranger = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as hidden:
        competitor_get(viewer=stranger, competitor_id=competitor.pk)
    assert hidden.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ApplicationError):
        competitor_remove(actor=stranger, competitor=competitor)
    assert Competitor.objects.filter(pk=competitor.pk).exists()


def test_removing_forgets_the_history_and_is_audited(org, analyst, bluesky_channel, at_now):
    competitor = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="globex.bsky.social"
    )
    assert competitor_read(competitor=competitor)

    competitor_remove(actor=analyst, competitor=competitor)

    assert not CompetitorDay.objects.exists()
    event = AuditEvent.objects.get(organization=org, action="analytics.competitor.removed")
    assert event.before == {"network": "bluesky", "handle": "globex.bsky.social"}


def test_one_reading_a_day_with_the_networks_figures(org, analyst, bluesky_channel, at_now):
    competitor = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="globex.bsky.social"
    )

    assert competitors_read_due() == 1
    assert competitors_read_due() == 0  # read already today
    at_now(NOW + dt.timedelta(hours=5))
    assert competitor_read(competitor=competitor)  # read again by hand: the day is replaced
    at_now(NOW + dt.timedelta(days=1))
    assert competitors_read_due() == 1

    days = list(CompetitorDay.objects.filter(competitor=competitor).order_by("day"))
    assert [day.day for day in days] == [NOW.date(), NOW.date() + dt.timedelta(days=1)]
    for day in days:
        expected = public_profile(network="bluesky", handle="globex.bsky.social", now=day.read_at)
        assert (day.followers, day.posts, day.posts_that_day, day.engagements_that_day) == (
            expected.followers,
            expected.posts,
            expected.posts_last_day,
            expected.engagements_last_day,
        )
    assert days[0].read_at == NOW + dt.timedelta(hours=5)
    assert days[1].followers != days[0].followers  # the account moves from day to day
    competitor.refresh_from_db()
    assert (competitor.display_name, competitor.last_error) == ("Globex Bsky Social", "")


def test_a_failing_channel_stops_only_its_competitor(
    org, admin, analyst, make_channel, bluesky_channel, at_now
):
    mastodon = sandbox_channel_connect(
        actor=admin, channel=make_channel(network="mastodon", handle="@acme@social.example")
    )
    broken = competitor_add(
        actor=analyst, organization=org, network="mastodon", handle="globex@m.example"
    )
    working = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="globex.bsky.social"
    )
    account = SandboxAccount.objects.get(organization_id=org.pk, network="mastodon")
    sandbox_knobs_set(account=account, fail_mode=FailMode.REVOKED)

    assert competitors_read_due() == 1

    broken.refresh_from_db()
    assert "cannot sign in" in broken.last_error and mastodon.handle in broken.last_error
    assert not CompetitorDay.objects.filter(competitor=broken).exists()
    assert CompetitorDay.objects.filter(competitor=working).count() == 1
    sandbox_knobs_set(account=account, fail_mode=FailMode.NONE)
    assert competitors_read_due() == 1  # the day not read yet is tried again
    broken.refresh_from_db()
    assert broken.last_error == ""


def test_side_by_side_with_hand_computed_figures(
    org, analyst, make_user, make_published, bluesky_channel
):
    competitor = competitor_add(
        actor=analyst, organization=org, network="bluesky", handle="globex.bsky.social"
    )
    today = NOW.date()
    for days_ago, followers, posts, engaged in (
        (40, 900, 9, 99),
        (29, 1000, 2, 30),
        (0, 1100, 1, 20),
    ):
        CompetitorDay.objects.create(
            organization=org, competitor=competitor, day=today - dt.timedelta(days=days_ago),
            read_at=NOW, followers=followers, posts=500, posts_that_day=posts,
            engagements_that_day=engaged,
        )  # fmt: skip
    for days_ago, followers in ((40, 200), (29, 210), (0, 260)):
        channel_reading_record(
            channel=bluesky_channel,
            stats=ChannelStats(followers=followers),
            read_at=NOW - dt.timedelta(days=days_ago),
        )
    for days_ago, likes in ((3, 10), (10, 4), (45, 100)):
        variant = make_published(bluesky_channel, NOW - dt.timedelta(days=days_ago))
        post_reading_record(
            variant=variant,
            reading=PostReading(likes=likes, comments=1, shares=1),
            read_at=NOW - dt.timedelta(days=days_ago) + dt.timedelta(hours=1),
        )

    month = competitor_comparison(viewer=analyst, network="bluesky", days=30, today=today)

    ours, theirs = month.rows
    assert (month.start, month.end) == (today - dt.timedelta(days=29), today)
    assert (ours.own, ours.followers, ours.growth, ours.posts, ours.engagements) == (
        True, 260, 60, 2, (10 + 2) + (4 + 2),
    )  # fmt: skip
    assert ours.engagement_per_post == pytest.approx(9.0)
    assert (theirs.own, theirs.followers, theirs.growth, theirs.posts, theirs.engagements) == (
        False, 1100, 200, 3, 50,
    )  # fmt: skip
    # Growth counts from the last reading before the period, as our channels' does.
    assert theirs.growth_percent == pytest.approx(200 / 900 * 100)
    quarter = competitor_comparison(viewer=analyst, network="bluesky", days=90, today=today)
    assert [row.posts for row in quarter.rows] == [3, 12]
    assert [row.growth for row in quarter.rows] == [60, 200]

    # Someone who sees only another group's figures sees the competitor, not our channel.
    elsewhere = ChannelGroup.objects.create(organization=org, name="Elsewhere")
    outsider = make_user(org, Role.VIEWER, channel_group=elsewhere)
    only = competitor_comparison(viewer=outsider, network="bluesky", days=30, today=today)
    assert [row.own for row in only.rows] == [False]
    with pytest.raises(ApplicationError) as bad_period:
        competitor_comparison(viewer=analyst, network="bluesky", days=7)
    assert bad_period.value.code is ErrorCode.INVALID


def test_the_sandbox_reads_the_same_figures_all_day(bluesky_channel, at_now):
    from roost.channels.health import connector_for

    connector = connector_for(bluesky_channel, purpose="test")
    morning = connector.profile_stats("globex.bsky.social")
    at_now(NOW + dt.timedelta(hours=10))
    evening = connector.profile_stats("@globex.bsky.social")
    at_now(NOW + dt.timedelta(days=30))
    later = connector.profile_stats("globex.bsky.social")
    other = connector.profile_stats("initech.bsky.social")

    assert morning == evening
    assert morning.followers and later.followers and later.followers > morning.followers
    assert other.followers != morning.followers


# The page.


def test_the_page_compares_and_lets_analysts_add_and_remove(
    org, analyst, make_user, bluesky_channel, signed_in, at_now
):
    client = signed_in(analyst)
    url = reverse("analytics:competitors")

    refused = client.post(url, {"network": "bluesky", "handle": "two words"})
    assert refused.status_code == 422
    assert "is not a handle" in refused.content.decode()
    unknown = client.post(url, {"network": "facebook", "handle": "globex"})
    assert unknown.status_code == 400
    assert not Competitor.objects.exists()

    added = client.post(url, {"network": "bluesky", "handle": "@globex.bsky.social"})
    assert added.status_code == 302
    competitor = Competitor.objects.get()
    competitors_read_due()
    page = client.get(url, {"network": "bluesky", "days": "90"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="competitor-comparison"' in html
    assert "acme.bsky.social (ours)" in html and "Globex Bsky Social" in html
    assert "Track an account" in html
    awkward = client.get(url, {"network": "<b>", "days": "9999"})
    assert awkward.status_code == 200

    viewer = make_user(org, Role.VIEWER)
    as_viewer = signed_in(viewer)
    assert "Track an account" not in as_viewer.get(url).content.decode()
    assert as_viewer.post(url, {"network": "bluesky", "handle": "initech"}).status_code == 403
    remove = reverse("analytics:competitor_remove", args=[competitor.pk])
    assert as_viewer.post(remove).status_code == 403

    assert signed_in(analyst).post(remove).status_code == 302
    assert not Competitor.objects.exists()


def test_the_demo_seed_gives_sixty_days_ending_in_todays_reading(
    org, bluesky_channel, at_now, analyst
):
    from roost.analytics.competitors_demo import HISTORY_DAYS, seed_demo_competitors

    assert seed_demo_competitors(org) == 2  # no Mastodon channel: its competitor is skipped
    assert seed_demo_competitors(org) == 0  # seeding again adds nothing

    for competitor in Competitor.objects.filter(organization=org):
        days = list(CompetitorDay.objects.filter(competitor=competitor).order_by("day"))
        assert len(days) == HISTORY_DAYS
        assert days[-1].day == NOW.date()
        assert days[0].day == NOW.date() - dt.timedelta(days=HISTORY_DAYS - 1)
        followers = [day.followers for day in days]
        assert followers == sorted(followers) and followers[0] < followers[-1]
    comparison = competitor_comparison(viewer=analyst, network="bluesky", days=30)
    assert [row.own for row in comparison.rows] == [True, False, False]
    assert all(row.growth is not None and row.growth > 0 for row in comparison.rows[1:])
