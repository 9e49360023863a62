"""The sandbox's figures: realistic curves, deterministic per post, reported per network
as the real APIs report them, and the same whether read live or for a demo's history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from roost.channels.connectors.base import ChannelRef, PermanentError, PublishRequest
from roost.core.errors import ApplicationError
from roost.sandbox.connector import SandboxConnector
from roost.sandbox.figures import channel_figures, followers_at, post_figures
from roost.sandbox.models import SandboxPost
from roost.sandbox.services import sandbox_account_open, sandbox_post_backdate

# A Tuesday, 17:00 UTC: a good hour.
PUBLISHED = dt.datetime(2026, 3, 3, 17, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def post(
    external_id: str = "p-launch", *, at: dt.datetime = PUBLISHED, link: str = ""
) -> SandboxPost:
    return SandboxPost(external_id=external_id, created_at=at, link=link)


def figures(
    item: SandboxPost, after: dt.timedelta, *, network: str = "linkedin", placement: str = "post"
) -> dict[str, int | None]:
    metrics = post_figures(
        post=item,
        network=network,
        handle="northwind",
        placement=placement,
        at=item.created_at + after,
    )
    return dataclasses.asdict(metrics)


def test_figures_rise_fast_then_flatten_over_days() -> None:
    item = post()
    ages = [HOUR, 3 * HOUR, 6 * HOUR, DAY, 2 * DAY, 4 * DAY, 7 * DAY, 14 * DAY, 30 * DAY]
    readings = [figures(item, age) for age in ages]

    for earlier, later in itertools.pairwise(readings):
        assert all((later[name] or 0) >= (earlier[name] or 0) for name in earlier)  # never fall
    impressions = [reading["impressions"] for reading in readings]
    final = impressions[-1]
    assert final > 1000
    assert impressions[3] > 0.6 * final  # most of it in the first day
    assert impressions[7] - impressions[6] < 0.02 * final  # barely moving after a week
    assert figures(item, -HOUR) == figures(item, dt.timedelta(0)) == figures(item, -DAY)
    assert figures(item, dt.timedelta(0))["impressions"] == 0


def test_engagement_is_a_share_of_reach() -> None:
    reading = figures(post(link="https://northwind.example/aurora"), 10 * DAY)
    reach = reading["reach"]
    assert isinstance(reach, int)
    assert 0 < reading["likes"] < reach * 0.1
    assert 0 < reading["link_clicks"] < reach * 0.05  # type: ignore[operator]
    assert reading["replies"] < reading["likes"]
    assert reach < reading["impressions"]  # type: ignore[operator]


def test_same_post_same_figures_other_post_other_figures() -> None:
    assert figures(post(), DAY) == figures(post(), DAY)
    others = {figures(post(f"p-{n}"), DAY)["impressions"] for n in range(20)}
    assert len(others) == 20
    spread = sorted(value for value in others if value is not None)
    assert spread[-1] > 2 * spread[0]  # some posts do much better than others


def test_time_of_day_matters() -> None:
    evening = figures(post(at=PUBLISHED), 5 * DAY)
    night = figures(post(at=PUBLISHED.replace(hour=3)), 5 * DAY)
    assert night["impressions"] < 0.8 * evening["impressions"]  # type: ignore[operator]


def test_each_network_reports_what_its_api_offers() -> None:
    item = post(link="https://northwind.example/aurora")
    bluesky = figures(item, DAY, network="bluesky")
    assert [bluesky[name] for name in ("impressions", "reach", "saves", "link_clicks")] == [
        None,
        None,
        None,
        None,
    ]
    assert bluesky["likes"] > 0 and bluesky["quotes"] > 0
    instagram = figures(item, DAY, network="instagram", placement="square")
    assert instagram["saves"] is not None and instagram["link_clicks"] is None
    assert instagram["video_views"] is None  # a photo placement
    reels = figures(item, DAY, network="instagram", placement="reels")
    assert reels["video_views"] is not None and reels["video_views"] > 0
    x = figures(item, DAY, network="x")
    assert x["reach"] is None and x["impressions"] > 0
    linkedin = figures(item, DAY, network="linkedin")
    assert linkedin["quotes"] == 0  # LinkedIn posts do not quote
    assert figures(post(), DAY)["link_clicks"] == 0  # no link, no clicks


def test_networks_differ_in_how_fast_posts_settle() -> None:
    item = post()

    def share_after_three_hours(network: str) -> float:
        early = figures(item, 3 * HOUR, network=network)["impressions"]
        late = figures(item, 60 * DAY, network=network)["impressions"]
        assert isinstance(early, int) and isinstance(late, int)
        return early / late

    assert share_after_three_hours("x") > 0.6
    assert share_after_three_hours("youtube") < 0.1


def test_followers_grow_and_profile_views_never_fall() -> None:
    days = [PUBLISHED + n * DAY for n in range(0, 60)]
    followers = [followers_at(network="linkedin", handle="northwind", at=day) for day in days]
    assert followers[-1] > followers[0]
    views = [
        channel_figures(network="linkedin", handle="northwind", at=day).profile_views
        for day in days
    ]
    assert all(
        later >= earlier  # type: ignore[operator]
        for earlier, later in itertools.pairwise(views)
    )
    assert followers_at(network="linkedin", handle="other", at=PUBLISHED) != followers[0]


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_connector_reads_the_curve_at_the_moment_it_is_asked() -> None:
    account, secret = sandbox_account_open(organization_id=1, network="linkedin", handle="acme")
    ref = ChannelRef(id=1, organization_id=1, network="linkedin", placement="post", handle="acme")
    connector = SandboxConnector(channel=ref, secret=secret)
    published = connector.publish(PublishRequest(text="Aurora is back", idempotency_key="k"))
    stored = sandbox_post_backdate(
        account=account,
        external_id=published.external_id,
        created_at=timezone.now() - 3 * DAY,
    )

    before = timezone.now()
    read = connector.metrics(published.external_id)
    after = timezone.now()

    def at(moment: dt.datetime) -> int:
        value = post_figures(
            post=stored, network="linkedin", handle="acme", placement="post", at=moment
        ).impressions
        assert value is not None
        return value

    assert read.impressions is not None and at(before) <= read.impressions <= at(after)
    assert read.impressions > 0
    stats = connector.channel_stats()
    assert stats.followers == followers_at(network="linkedin", handle="acme", at=after) or (
        stats.followers == followers_at(network="linkedin", handle="acme", at=before)
    )


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_post_can_only_be_dated_earlier() -> None:
    account, secret = sandbox_account_open(organization_id=1, network="x", handle="acme")
    ref = ChannelRef(id=1, organization_id=1, network="x", placement="post", handle="acme")
    published = SandboxConnector(channel=ref, secret=secret).publish(
        PublishRequest(text="Hello", idempotency_key="k")
    )
    with pytest.raises(ApplicationError):
        sandbox_post_backdate(
            account=account, external_id=published.external_id, created_at=timezone.now() + DAY
        )
    with pytest.raises(PermanentError):
        sandbox_post_backdate(account=account, external_id="p-nothing", created_at=PUBLISHED)
    moved = sandbox_post_backdate(
        account=account, external_id=published.external_id, created_at=PUBLISHED
    )
    assert SandboxPost.objects.get(pk=moved.pk).created_at == PUBLISHED
