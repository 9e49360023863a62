"""The publishing calendar: month, week and list views, filters, each viewer's own time
zone, moving a post by drag and drop, and the personal iCalendar feed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import icalendar
import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.conftest import TEST_PASSWORD
from roost.core.feed_tokens import feed_token_issue, feed_token_revoke
from roost.core.models import AuditEvent, Brand, ChannelGroup, FeedToken, Organization, Role, User
from roost.publishing import campaigns, services
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.approvals import decisions, workflows
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.ics import calendar_feed
from roost.publishing.models import Campaign, Post, PostState, Variant, VariantState

WARSAW = "Europe/Warsaw"
JSON = {"HTTP_ACCEPT": "application/json"}
VARIANT_STATE = {
    PostState.DRAFT: VariantState.DRAFT,
    PostState.IN_APPROVAL: VariantState.IN_APPROVAL,
    PostState.SCHEDULED: VariantState.SCHEDULED,
    PostState.PUBLISHED: VariantState.PUBLISHED,
}


# Helpers ----------------------------------------------------------------------------------


def utc(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def mid_month_ahead() -> dt.date:
    """The 15th of a month well in the future, so a whole month grid lies ahead of now."""
    today = timezone.now().astimezone(dt.UTC).date()
    return (today.replace(day=1) + dt.timedelta(days=70)).replace(day=15)


def calendar_url(**params: object) -> str:
    return f"{reverse('publishing:calendar')}?{urlencode(params)}"


def page(client: Client, **params: object) -> str:
    response = client.get(calendar_url(**params))
    assert response.status_code == 200
    return response.content.decode()


def day_cell(html: str, day: dt.date) -> str:
    """The inside of one day of the month or week grid."""
    found = re.search(rf'data-testid="day-{day.isoformat()}">(.*?)</td>', html, re.S)
    assert found is not None, f"no cell for {day}"
    return found.group(1)


def list_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None, "no list table"
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)


def move(client: Client, post: Post | int | str, day: dt.date | str, **headers: str) -> Any:
    target = post.pk if isinstance(post, Post) else post
    when = day.isoformat() if isinstance(day, dt.date) else day
    return client.post(
        reverse("publishing:calendar_move"), {"post": target, "date": when}, **headers
    )


def moves_recorded(org: Organization) -> int:
    return AuditEvent.objects.filter(organization=org, action="publishing.post.rescheduled").count()


def unfolded(body: str) -> list[str]:
    """The content lines of an iCalendar body, folding undone (RFC 5545 section 3.1)."""
    assert body.endswith("\r\n")
    return body.replace("\r\n ", "").split("\r\n")[:-1]


def events(body: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for line in unfolded(body):
        if line == "BEGIN:VEVENT":
            found.append({})
        elif found and line != "END:VEVENT" and ":" in line:
            name, _, value = line.partition(":")
            found[-1].setdefault(name, value)
    return found


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def feed_token(user: User) -> str:
    return feed_token_issue(user=user)


def feed_url(token: str) -> str:
    return reverse("publishing:calendar_feed", args=[token])


# Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def plan(org: Organization, publisher: User) -> Callable[..., Post]:
    """A post on the calendar, put straight into `state` (approval is tested elsewhere)."""

    def make(
        channels: list[Channel],
        when: dt.datetime,
        title: str,
        *,
        state: PostState = PostState.SCHEDULED,
        author: User | None = None,
        campaign: Campaign | None = None,
        text: str = "",
    ) -> Post:
        post = services.post_create(
            actor=author or publisher,
            organization=org,
            channels=channels,
            title=title,
            master_text=text or f"{title} text",
            scheduled_at=when,
            campaign=campaign,
        )
        Post.objects.filter(pk=post.pk).update(state=state)
        Variant.objects.filter(post=post).update(state=VARIANT_STATE[state])
        return Post.objects.get(pk=post.pk)

    return make


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("x", "post", "acme")


@pytest.fixture
def foreign_post(other_org: Organization, make_user: Callable[..., User]) -> Post:
    """A scheduled post of another organisation, in the month the tests look at."""
    other_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Globex social")
    channel = channel_services.channel_create(
        actor=other_admin,
        organization=other_org,
        network="x",
        placement="post",
        handle="globex",
        channel_group=group,
        primary_owner=other_admin,
    )
    post = services.post_create(
        actor=other_admin,
        organization=other_org,
        channels=[channel],
        title="Globex secret launch",
        master_text="Globex secret launch text",
        scheduled_at=utc(mid_month_ahead(), 12),
    )
    Post.objects.filter(pk=post.pk).update(state=PostState.SCHEDULED)
    Variant.objects.filter(post=post).update(state=VariantState.SCHEDULED)
    return Post.objects.get(pk=post.pk)


# Month, week and list ---------------------------------------------------------------------


@pytest.mark.django_db
def test_month_view_shows_the_posts_of_its_grid_and_no_others(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    anchor = mid_month_ahead()
    inside = plan([channel], utc(anchor.replace(day=3), 9), "Aurora in the month")
    last_day = anchor.replace(day=28)
    late = plan([channel], utc(last_day, 18, 45), "Borealis late in the month")
    outside = plan([channel], utc(anchor + dt.timedelta(days=62)), "Comet two months on")
    before = plan([channel], utc(anchor - dt.timedelta(days=62)), "Dawn two months back")

    html = page(signed_in(admin), view="month", date=anchor.isoformat())

    assert "Aurora in the month" in day_cell(html, anchor.replace(day=3))
    assert "09:00" in day_cell(html, anchor.replace(day=3))
    assert "Borealis late in the month" in day_cell(html, last_day)
    assert "18:45" in day_cell(html, last_day)
    assert str(outside) not in html and str(before) not in html
    assert f'data-post="{inside.pk}"' in html and f'data-post="{late.pk}"' in html
    assert anchor.strftime("%B %Y") in html


@pytest.mark.django_db
def test_week_view_shows_seven_days_from_monday_and_only_their_posts(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    anchor = mid_month_ahead()
    monday = anchor - dt.timedelta(days=anchor.weekday())
    sunday = monday + dt.timedelta(days=6)
    plan([channel], utc(monday, 8), "Monday morning")
    plan([channel], utc(sunday, 20), "Sunday evening")
    plan([channel], utc(sunday + dt.timedelta(days=1), 8), "Next Monday")
    plan([channel], utc(monday - dt.timedelta(days=1), 20), "Last Sunday")

    html = page(signed_in(admin), view="week", date=anchor.isoformat())

    days = re.findall(r'data-testid="day-(\d{4}-\d{2}-\d{2})"', html)
    assert days == [(monday + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert "Monday morning" in day_cell(html, monday)
    assert "Sunday evening" in day_cell(html, sunday)
    assert "Next Monday" not in html and "Last Sunday" not in html


@pytest.mark.django_db
def test_list_view_shows_the_month_scheduled_and_published_and_not_the_next_month(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    anchor = mid_month_ahead()
    next_first = (anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    plan([channel], utc(anchor.replace(day=1), 0, 5), "First of the month")
    plan([channel], utc(anchor, 10), "Went out", state=PostState.PUBLISHED)
    plan([channel], utc(next_first, 0, 5), "First of next month")

    html = page(signed_in(admin), view="list", date=anchor.isoformat())

    rows = list_rows(html)
    assert len(rows) == 2
    assert "First of the month" in rows[0] and "Scheduled" in rows[0]
    assert "Went out" in rows[1] and "Published" in rows[1]
    assert "First of next month" not in html
    assert "2 scheduled or published" in html


@pytest.mark.django_db
def test_list_view_of_an_empty_month_says_so(admin: User, signed_in: Callable[..., Client]) -> None:
    html = page(signed_in(admin), view="list", date=mid_month_ahead().isoformat())
    assert "Nothing scheduled." in html


@pytest.mark.django_db
def test_a_post_already_published_shows_on_its_day(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    sent_at = timezone.now().astimezone(dt.UTC) - dt.timedelta(hours=1)
    plan([channel], sent_at, "Out an hour ago", state=PostState.PUBLISHED)

    client = signed_in(admin)
    cell = day_cell(page(client, view="month", date=sent_at.date().isoformat()), sent_at.date())

    assert "Out an hour ago" in cell
    assert "state-published" in cell


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"date": "not-a-date"},
        {"date": "2025-02-30"},
        {"view": "fortnight"},
        {"view": "week", "date": ""},
        {"view": "list", "date": "0001-01-01"},
        {"view": "list", "date": "9999-12-31"},
    ],
)
def test_odd_dates_and_views_still_render(
    admin: User, signed_in: Callable[..., Client], params: dict[str, str]
) -> None:
    response = signed_in(admin).get(calendar_url(**params))
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_calendar_needs_a_signed_in_person(client: Client) -> None:
    response = client.get(calendar_url())
    assert response.status_code == 302
    assert "/calendar/" not in urlsplit(response["Location"]).path


@pytest.mark.django_db
def test_the_month_costs_the_same_queries_with_one_post_or_many(
    admin: User,
    make_channel: Callable[..., Channel],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    anchor = mid_month_ahead()
    channels = [make_channel("x", "post", "acme"), make_channel("bluesky", "post", "acme.bsky")]
    plan(channels[:1], utc(anchor, 9), "The only one")
    client = signed_in(admin)
    client.get(calendar_url(date=anchor.isoformat()))  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        page(client, date=anchor.isoformat())
    for n in range(6):
        plan(channels, utc(anchor + dt.timedelta(days=n - 3), 10 + n), f"More {n}")
    with CaptureQueriesContext(connection) as many:
        html = page(client, date=anchor.isoformat())
    assert html.count("calendar-item") >= 13
    assert len(many.captured_queries) == len(one.captured_queries)


# Filters ----------------------------------------------------------------------------------


@pytest.fixture
def two_kinds(
    org: Organization,
    admin: User,
    group: ChannelGroup,
    publisher: User,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
) -> dict[str, tuple[Post, str, str]]:
    """Two posts in one month that differ in channel, brand, campaign, status and author.

    Maps each filter to (the first post, its value, the second post's value)."""
    nordics = Brand.objects.create(organization=org, name="Acme Nordics")
    other_channel = channel_services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="acme.nordics",
        channel_group=group,
        primary_owner=publisher,
        brand=nordics,
    )
    colleague = make_user(org, Role.PUBLISHER, channel_group=group)
    launch = campaigns.campaign_create(
        actor=admin, organization=org, name="Spring launch", release_at=None
    )
    anchor = mid_month_ahead()
    first = plan([channel], utc(anchor, 9), "Alpha post", campaign=launch)
    plan(
        [other_channel],
        utc(anchor + dt.timedelta(days=1), 9),
        "Bravo post",
        state=PostState.PUBLISHED,
        author=colleague,
    )
    assert channel.brand_id is not None and channel.brand_id != nordics.pk
    return {
        "channel": (first, str(channel.pk), str(other_channel.pk)),
        "brand": (first, str(channel.brand_id), str(nordics.pk)),
        "campaign": (first, str(launch.pk), ""),
        "status": (first, VariantState.SCHEDULED.value, VariantState.PUBLISHED.value),
        "author": (first, str(publisher.pk), str(colleague.pk)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["channel", "brand", "campaign", "status", "author"])
@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_each_filter_narrows_the_calendar(
    admin: User,
    two_kinds: dict[str, tuple[Post, str, str]],
    signed_in: Callable[..., Client],
    name: str,
    view: str,
) -> None:
    client = signed_in(admin)
    anchor = mid_month_ahead()
    unfiltered = page(client, view=view, date=anchor.isoformat())
    assert "Alpha post" in unfiltered and "Bravo post" in unfiltered

    _, first_value, second_value = two_kinds[name]
    html = page(client, view=view, date=anchor.isoformat(), **{name: first_value})
    assert "Alpha post" in html
    assert "Bravo post" not in html
    if second_value:
        html = page(client, view=view, date=anchor.isoformat(), **{name: second_value})
        assert "Bravo post" in html
        assert "Alpha post" not in html


@pytest.mark.django_db
def test_filters_combine(
    admin: User, two_kinds: dict[str, tuple[Post, str, str]], signed_in: Callable[..., Client]
) -> None:
    client = signed_in(admin)
    anchor = mid_month_ahead().isoformat()
    _, alpha_channel, _ = two_kinds["channel"]
    _, _, published = two_kinds["status"]
    html = page(client, view="list", date=anchor, channel=alpha_channel, status=published)
    assert "Alpha post" not in html and "Bravo post" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["channel", "brand", "campaign", "author"])
@pytest.mark.parametrize("value", ["abc", "1.5", "-", "1 OR 1=1"])
def test_a_malformed_filter_is_a_clear_answer_not_a_server_error(
    admin: User,
    two_kinds: dict[str, tuple[Post, str, str]],
    signed_in: Callable[..., Client],
    name: str,
    value: str,
) -> None:
    url = calendar_url(view="list", date=mid_month_ahead().isoformat(), **{name: value})
    response = signed_in(admin).get(url)
    assert response.status_code == 422
    html = response.content.decode()
    assert "filter takes a number" in html
    assert "Alpha post" not in html and "Bravo post" not in html


@pytest.mark.django_db
def test_an_unknown_status_shows_nothing(
    admin: User, two_kinds: dict[str, tuple[Post, str, str]], signed_in: Callable[..., Client]
) -> None:
    html = page(signed_in(admin), view="list", date=mid_month_ahead().isoformat(), status="lost")
    assert "Alpha post" not in html and "Bravo post" not in html


# Each viewer's time zone ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_late_evening_post_lands_on_the_next_day_in_warsaw_and_on_its_day_in_utc(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    day = mid_month_ahead()
    if day.weekday() == 6:  # keep the next day in the same week
        day -= dt.timedelta(days=1)
    when = utc(day, 23, 30)
    plan([channel], when, "Midnight drop")
    local = when.astimezone(zoneinfo.ZoneInfo(WARSAW))
    assert local.date() == day + dt.timedelta(days=1)
    in_warsaw = make_user(org, Role.VIEWER, channel_group=group, time_zone=WARSAW)
    in_utc = make_user(org, Role.VIEWER, channel_group=group, time_zone="UTC")

    for view in ("month", "week"):
        warsaw_html = page(signed_in(in_warsaw), view=view, date=day.isoformat())
        assert "Midnight drop" in day_cell(warsaw_html, local.date())
        assert f"{local:%H:%M}" in day_cell(warsaw_html, local.date())
        assert "Midnight drop" not in day_cell(warsaw_html, day)
        assert f"({WARSAW})" in warsaw_html

        utc_html = page(signed_in(in_utc), view=view, date=day.isoformat())
        assert "Midnight drop" in day_cell(utc_html, day)
        assert "23:30" in day_cell(utc_html, day)
        assert "(UTC)" in utc_html

    warsaw_list = page(signed_in(in_warsaw), view="list", date=day.isoformat())
    assert f"{local:%H:%M}" in list_rows(warsaw_list)[0]
    assert local.strftime("%a %-d %b") in list_rows(warsaw_list)[0]


@pytest.mark.django_db
def test_the_month_ends_at_midnight_in_the_viewers_own_zone(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    anchor = mid_month_ahead()
    next_first = (anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last_day = next_first - dt.timedelta(days=1)
    plan([channel], utc(last_day, 23, 30), "Month-end drop")
    in_warsaw = make_user(org, Role.VIEWER, channel_group=group, time_zone=WARSAW)
    in_utc = make_user(org, Role.VIEWER, channel_group=group, time_zone="UTC")

    assert "Month-end drop" not in page(signed_in(in_warsaw), view="list", date=anchor.isoformat())
    assert "Month-end drop" in page(signed_in(in_warsaw), view="list", date=next_first.isoformat())
    assert "Month-end drop" in page(signed_in(in_utc), view="list", date=anchor.isoformat())
    assert "Month-end drop" not in page(signed_in(in_utc), view="list", date=next_first.isoformat())


# Moving a post ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dragging_a_post_to_another_day_keeps_its_time_and_is_audited(
    org: Organization,
    publisher: User,
    channel: Channel,
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 10, 15), "Moving day")
    target = start + dt.timedelta(days=4)

    response = move(signed_in(publisher), post, target, **JSON)

    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    post.refresh_from_db()
    assert post.scheduled_at == utc(target, 10, 15)
    assert set(post.variants.values_list("scheduled_at", flat=True)) == {utc(target, 10, 15)}
    event = AuditEvent.objects.get(organization=org, action="publishing.post.rescheduled")
    assert event.actor_id == publisher.pk and event.target_id == str(post.pk)
    assert event.before is not None and event.after is not None
    assert dt.datetime.fromisoformat(event.before["scheduled_at"]) == utc(start, 10, 15)
    assert dt.datetime.fromisoformat(event.after["scheduled_at"]) == utc(target, 10, 15)


@pytest.mark.django_db
def test_a_dropped_form_redirects_to_the_new_day_with_a_message(
    publisher: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 7), "Dropped by mouse")
    target = start + dt.timedelta(days=2)
    client = signed_in(publisher)

    response = move(client, post, target)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('publishing:calendar')}?date={target.isoformat()}"
    post.refresh_from_db()
    assert post.scheduled_at == utc(target, 7)
    html = client.get(response["Location"]).content.decode()
    assert f"Moved to {target:%a %d %b}" in html
    assert "Dropped by mouse" in day_cell(html, target)


@pytest.mark.django_db
def test_a_move_keeps_the_local_time_of_day_for_a_viewer_in_warsaw(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    zone = zoneinfo.ZoneInfo(WARSAW)
    start = mid_month_ahead()
    post = plan([channel], utc(start, 23, 30), "Past midnight in Warsaw")
    local = utc(start, 23, 30).astimezone(zone)
    mover = make_user(org, Role.PUBLISHER, channel_group=group, time_zone=WARSAW)
    target = local.date() + dt.timedelta(days=3)

    response = move(signed_in(mover), post, target, **JSON)

    assert response.status_code == 200, response.content
    post.refresh_from_db()
    expected = dt.datetime.combine(target, local.time(), zone)
    assert post.scheduled_at == expected
    assert timezone.localtime(post.scheduled_at, zone).date() == target


@pytest.mark.django_db
def test_a_move_across_a_clock_change_keeps_the_wall_clock_time(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    zone = zoneinfo.ZoneInfo(WARSAW)
    year = timezone.now().year + 1
    winter, summer = dt.date(year, 1, 14), dt.date(year, 7, 14)
    post = plan([channel], dt.datetime.combine(winter, dt.time(10, 0), zone), "Ten in Warsaw")
    mover = make_user(org, Role.PUBLISHER, channel_group=group, time_zone=WARSAW)

    assert move(signed_in(mover), post, summer, **JSON).status_code == 200

    post.refresh_from_db()
    assert timezone.localtime(post.scheduled_at, zone).time() == dt.time(10, 0)
    assert post.scheduled_at == utc(summer, 8, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("as_json", [True, False])
def test_a_move_into_the_past_is_refused_and_changes_nothing(
    org: Organization,
    publisher: User,
    channel: Channel,
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
    as_json: bool,
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 10), "Not into the past")
    yesterday = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
    client = signed_in(publisher)

    response = move(client, post, yesterday, **(JSON if as_json else {}))

    if as_json:
        assert response.status_code == 422
        assert response.json()["ok"] is False and "past" in response.json()["error"]
    else:
        assert response.status_code == 302
        assert "past" in client.get(response["Location"]).content.decode()
    post.refresh_from_db()
    assert post.scheduled_at == utc(start, 10)
    assert set(post.variants.values_list("scheduled_at", flat=True)) == {utc(start, 10)}
    assert moves_recorded(org) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day", ["", "tomorrow", "2025-02-30", "15/03/2030", "2030-13-01", "0001-01-01", "9999-12-31"]
)
def test_a_bad_day_is_refused_and_changes_nothing(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
    day: str,
) -> None:
    start = mid_month_ahead()
    los_angeles = zoneinfo.ZoneInfo("America/Los_Angeles")
    evening = dt.datetime.combine(start, dt.time(22, 0), los_angeles)
    post = plan([channel], evening, "Stays put")
    # far west of UTC, so the last day there runs past the end of the calendar in UTC
    mover = make_user(org, Role.PUBLISHER, channel_group=group, time_zone="America/Los_Angeles")

    response = move(signed_in(mover), post, day, **JSON)

    assert response.status_code == 422
    assert response.json()["ok"] is False and response.json()["error"]
    post.refresh_from_db()
    assert post.scheduled_at == evening
    assert moves_recorded(org) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("post_id", ["", "abc", "-1", "1.0", "٣", "0", "999999", "9" * 30])
def test_an_unknown_post_is_not_found(
    org: Organization, publisher: User, signed_in: Callable[..., Client], post_id: str
) -> None:
    response = move(signed_in(publisher), post_id, mid_month_ahead(), **JSON)
    assert response.status_code == 404
    assert moves_recorded(org) == 0


@pytest.mark.django_db
def test_a_published_post_cannot_be_moved(
    org: Organization,
    publisher: User,
    channel: Channel,
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    sent = utc(mid_month_ahead(), 9)
    post = plan([channel], sent, "Already out", state=PostState.PUBLISHED)

    response = move(signed_in(publisher), post, mid_month_ahead() + dt.timedelta(days=1), **JSON)

    assert response.status_code == 409
    post.refresh_from_db()
    assert post.scheduled_at == sent
    assert moves_recorded(org) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("reapprove", [True, False])
def test_a_move_reopens_approval_only_when_the_workflow_says_so(
    org: Organization,
    admin: User,
    group: ChannelGroup,
    publisher: User,
    channel: Channel,
    make_user: Callable[..., User],
    signed_in: Callable[..., Client],
    reapprove: bool,
) -> None:
    approver = make_user(org, Role.APPROVER, channel_group=group)
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer review",
        channel_group=group,
        reapprove_on_reschedule=reapprove,
        steps=[StepSpec(name="Review", approver_users=[approver])],
    )
    start = mid_month_ahead()
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[channel],
        title="Needs a yes",
        master_text="Needs a yes",
        scheduled_at=utc(start, 9),
    )
    decisions.post_submit(post=post, actor=publisher)
    decisions.post_approve(post=Post.objects.get(pk=post.pk), approver=approver)
    assert Post.objects.get(pk=post.pk).state == PostState.SCHEDULED

    target = start + dt.timedelta(days=2)
    assert move(signed_in(publisher), post, target, **JSON).status_code == 200

    post.refresh_from_db()
    assert post.scheduled_at == utc(target, 9)
    pending = ApprovalRequest.objects.filter(post=post, status=ApprovalRequest.Status.PENDING)
    states = set(post.variants.values_list("state", flat=True))
    if reapprove:
        assert post.state == PostState.IN_APPROVAL
        assert states == {VariantState.IN_APPROVAL}
        assert pending.count() == 1
    else:
        assert post.state == PostState.SCHEDULED
        assert states == {VariantState.SCHEDULED}
        assert not pending.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("as_json", [True, False])
def test_another_organisations_post_cannot_be_moved(
    other_org: Organization,
    publisher: User,
    foreign_post: Post,
    signed_in: Callable[..., Client],
    as_json: bool,
) -> None:
    before = foreign_post.scheduled_at

    response = move(
        signed_in(publisher),
        foreign_post,
        mid_month_ahead() + dt.timedelta(days=3),
        **(JSON if as_json else {}),
    )

    assert response.status_code == 404
    foreign_post.refresh_from_db()
    assert foreign_post.scheduled_at == before
    assert moves_recorded(other_org) == 0


@pytest.mark.django_db
def test_a_person_who_may_only_look_cannot_move(
    org: Organization,
    group: ChannelGroup,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 9), "Hands off")
    onlooker = make_user(org, Role.VIEWER, channel_group=group)
    client = signed_in(onlooker)
    assert "Hands off" in page(client, date=start.isoformat())

    response = move(client, post, start + dt.timedelta(days=1), **JSON)

    assert response.status_code == 403
    post.refresh_from_db()
    assert post.scheduled_at == utc(start, 9)
    assert moves_recorded(org) == 0


@pytest.mark.django_db
def test_a_publisher_of_another_channel_group_can_neither_see_nor_move(
    org: Organization,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 9), "Consumer only")
    corporate = ChannelGroup.objects.create(organization=org, name="Corporate")
    outsider = make_user(org, Role.PUBLISHER, channel_group=corporate)
    client = signed_in(outsider)

    assert "Consumer only" not in page(client, date=start.isoformat())
    assert move(client, post, start + dt.timedelta(days=1), **JSON).status_code == 404
    post.refresh_from_db()
    assert post.scheduled_at == utc(start, 9)


@pytest.mark.django_db
def test_moving_needs_a_signed_in_person_a_post_and_a_csrf_token(
    org: Organization, publisher: User, channel: Channel, plan: Callable[..., Post]
) -> None:
    start = mid_month_ahead()
    post = plan([channel], utc(start, 9), "Guarded")
    target = start + dt.timedelta(days=1)

    assert move(Client(), post, target).status_code == 302  # to the sign-in page
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(publisher)
    assert move(strict, post, target).status_code == 403
    assert strict.get(reverse("publishing:calendar_move")).status_code == 405

    post.refresh_from_db()
    assert post.scheduled_at == utc(start, 9)
    assert moves_recorded(org) == 0


# The iCalendar feed -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feed_has_an_event_per_scheduled_or_published_variant_and_no_drafts(
    org: Organization,
    admin: User,
    make_channel: Callable[..., Channel],
    plan: Callable[..., Post],
    signed_in: Callable[..., Client],
    foreign_post: Post,
) -> None:
    x, bluesky = make_channel("x", "post", "acme"), make_channel("bluesky", "post", "acme.bsky")
    soon = timezone.now().astimezone(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    scheduled = plan([x, bluesky], soon, "Launch day")
    sent_at = soon - dt.timedelta(days=5)
    published = plan([x], sent_at, "Went out", state=PostState.PUBLISHED)
    plan([x], soon + dt.timedelta(days=1), "Still a draft", state=PostState.DRAFT)

    # the link Settings hands out (once), fetched by a calendar app without a session
    browser = signed_in(admin)
    assert (
        f"{reverse('core:settings')}#calendar-feed" in browser.get(calendar_url()).content.decode()
    )
    browser.post(reverse("core:feed_issue"))
    link = browser.get(reverse("core:settings")).context["new_feed_url"]
    assert browser.get(reverse("core:settings")).context["new_feed_url"] == ""
    response = Client().get(urlsplit(link).path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    lines = unfolded(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    found = {event["UID"]: event for event in events(body)}
    wanted = {
        f"variant-{v.pk}@roost": v
        for v in Variant.objects.filter(post__in=[scheduled, published]).select_related("channel")
    }
    assert set(found) == set(wanted) and len(found) == 3
    for uid, variant in wanted.items():
        event = found[uid]
        assert variant.scheduled_at is not None
        assert event["DTSTART"] == stamp(variant.scheduled_at)
        assert event["SUMMARY"] == f"{variant.channel.network}: {variant.post}"
        expected_status = "CONFIRMED" if variant.post_id == published.pk else "TENTATIVE"
        assert event["STATUS"] == expected_status
    assert "Still a draft" not in body
    assert "Globex" not in body and f"variant-{foreign_post.variants.get().pk}@" not in body


@pytest.mark.django_db
def test_each_organisation_gets_only_its_own_posts_in_its_feed(
    org: Organization,
    admin: User,
    other_org: Organization,
    channel: Channel,
    plan: Callable[..., Post],
    foreign_post: Post,
) -> None:
    ours = plan([channel], timezone.now() + dt.timedelta(days=3), "Acme only")
    foreign_post.scheduled_at = timezone.now() + dt.timedelta(days=3)
    foreign_post.save(update_fields=["scheduled_at"])
    foreign_post.variants.update(scheduled_at=foreign_post.scheduled_at)
    theirs = User.objects.get(organization=other_org)

    our_feed = Client().get(feed_url(feed_token(admin))).content.decode()
    their_feed = Client().get(feed_url(feed_token(theirs))).content.decode()

    assert "Acme only" in our_feed and "Globex secret launch" not in our_feed
    assert "Globex secret launch" in their_feed and "Acme only" not in their_feed
    assert f"variant-{ours.variants.get().pk}@roost" not in their_feed


@pytest.mark.django_db
def test_the_feed_follows_the_persons_channel_groups(
    org: Organization,
    channel: Channel,
    make_user: Callable[..., User],
    plan: Callable[..., Post],
) -> None:
    plan([channel], timezone.now() + dt.timedelta(days=3), "Consumer news")
    corporate = ChannelGroup.objects.create(organization=org, name="Corporate")
    outsider = make_user(org, Role.PUBLISHER, channel_group=corporate)

    body = Client().get(feed_url(feed_token(outsider))).content.decode()

    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" not in body


@pytest.mark.django_db
def test_a_wrong_or_unknown_feed_token_is_not_found(
    admin: User, channel: Channel, plan: Callable[..., Post], make_user: Callable[..., User]
) -> None:
    plan([channel], timezone.now() + dt.timedelta(days=3), "Private plans")
    good = feed_token(admin)
    gone = make_user(admin.organization, Role.PUBLISHER)
    gone_token = feed_token(gone)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    for token in [
        "nonsense",
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        signing.dumps(admin.pk),  # signed for something else
        signing.dumps(admin.pk, salt="roost.other-purpose"),
        "A" * 43,  # nobody's
        gone_token,
        # what the link used to be: the person's id signed with the secret key
        signing.dumps(admin.pk, salt="roost.publishing.calendar-feed"),
    ]:
        response = Client().get(feed_url(token))
        assert response.status_code == 404, token
        assert b"Private plans" not in response.content

    assert Client().get(feed_url(good)).status_code == 200


@pytest.mark.django_db
def test_feed_links_are_stored_as_digests_rotated_and_revoked(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    plan([channel], timezone.now() + dt.timedelta(days=3), "Private plans")
    first = feed_token(admin)
    assert Client().get(feed_url(first)).status_code == 200
    stored = FeedToken.objects.get(user=admin)
    assert (
        first not in stored.digest and stored.digest == hashlib.sha256(first.encode()).hexdigest()
    )
    assert stored.last_used_at is not None

    browser = signed_in(admin)
    browser.post(reverse("core:feed_issue"))
    second = urlsplit(browser.get(reverse("core:settings")).context["new_feed_url"]).path
    assert Client().get(second).status_code == 200
    assert Client().get(feed_url(first)).status_code == 404
    assert FeedToken.objects.filter(user=admin, revoked_at__isnull=True).count() == 1

    page = browser.get(reverse("core:settings")).content.decode()
    assert "Revoke the link" in page and second not in page
    browser.post(reverse("core:feed_revoke"))
    assert Client().get(second).status_code == 404
    assert not FeedToken.objects.filter(user=admin, revoked_at__isnull=True).exists()
    assert feed_token_revoke(user=admin, actor=admin) is False
    actions = list(
        AuditEvent.objects.filter(actor=admin, action__startswith="core.feed_token.")
        .order_by("occurred_at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "core.feed_token.issued",
        "core.feed_token.issued",
        "core.feed_token.revoked",
    ]


@pytest.mark.django_db
def test_feed_text_is_escaped_as_rfc_5545_says(
    org: Organization, admin: User, channel: Channel, plan: Callable[..., Post]
) -> None:
    title = "Sale, today; only\\now"
    text = "Line one, with comma;\nline two\r\nline three"
    plan([channel], timezone.now() + dt.timedelta(days=3), title, text=text)

    body = Client().get(feed_url(feed_token(admin))).content.decode()

    (event,) = events(body)
    assert event["SUMMARY"] == "x: Sale\\, today\\; only\\\\now"
    assert event["DESCRIPTION"] == "Line one\\, with comma\\;\\nline two\\nline three"


def _variant(text: str, title: str = "Title", pk: int = 7) -> Variant:
    post = Post(pk=pk, title=title)
    variant = Variant(
        pk=pk,
        post=post,
        channel=Channel(network="bluesky"),
        text=text,
        scheduled_at=dt.datetime(2030, 3, 1, 9, 30, tzinfo=dt.UTC),
        state=VariantState.SCHEDULED,
    )
    return variant


def test_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    text = "Zażółć gęślą jaźń 🚀 " * 12
    body = calendar_feed(variants=[_variant(text)], name="Acme", zone=zoneinfo.ZoneInfo("UTC"))

    for line in body.split("\r\n"):
        assert len(line.encode()) <= 75
    (event,) = events(body)
    assert event["DESCRIPTION"] == text
    assert event["DTSTART"] == "20300301T093000Z" and event["DTEND"] == "20300301T094500Z"


def test_no_bare_control_characters_reach_the_feed() -> None:
    body = calendar_feed(
        variants=[_variant("one\rtwo\x00three\x1bfour\tfive")],
        name="Acme\r\nEvil:1",
        zone=zoneinfo.ZoneInfo("UTC"),
    )

    content = body.replace("\r\n", "")
    assert "\r" not in content and "\n" not in content
    assert not any(ord(char) < 32 and char != "\t" for char in content)
    (event,) = events(body)
    assert event["DESCRIPTION"].startswith("one\\ntwo")
    assert "X-WR-CALNAME:Acme\\nEvil:1" in unfolded(body)


def test_an_event_without_a_time_is_left_out() -> None:
    variant = _variant("No time yet")
    variant.scheduled_at = None
    body = calendar_feed(variants=[variant], name="Acme", zone=zoneinfo.ZoneInfo("UTC"))
    assert "BEGIN:VEVENT" not in body and body.endswith("END:VCALENDAR\r\n")


# Tenancy on the pages ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_another_organisations_posts_never_show(
    admin: User,
    other_org: Organization,
    channel: Channel,
    plan: Callable[..., Post],
    foreign_post: Post,
    signed_in: Callable[..., Client],
    view: str,
) -> None:
    anchor = mid_month_ahead()
    plan([channel], utc(anchor, 15), "Acme's own")
    foreign_channel = foreign_post.variants.get().channel_id
    client = signed_in(admin)

    html = page(client, view=view, date=anchor.isoformat())
    assert "Globex secret launch" not in html and "Acme&#x27;s own" in html
    # naming the other organisation's channel in a filter shows nothing of theirs either
    html = page(client, view=view, date=anchor.isoformat(), channel=foreign_channel)
    assert "Globex secret launch" not in html and "Acme&#x27;s own" not in html

    theirs = signed_in(User.objects.get(organization=other_org))
    html = page(theirs, view=view, date=anchor.isoformat())
    assert "Globex secret launch" in html and "Acme&#x27;s own" not in html


@pytest.mark.django_db
def test_post_titles_are_escaped_on_the_calendar(
    admin: User, channel: Channel, plan: Callable[..., Post], signed_in: Callable[..., Client]
) -> None:
    anchor = mid_month_ahead()
    plan([channel], utc(anchor, 15), "<script>alert(1)</script>")
    for view in ("month", "list"):
        html = page(signed_in(admin), view=view, date=anchor.isoformat())
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# The filter menus ------------------------------------------------------------------------


def menu(html: str, name: str) -> dict[str, str]:
    """The options of one filter menu: value -> text, with the chosen one marked '*'."""
    found = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
    assert found, f"no {name} menu"
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', found.group(1))
    return {value: text + ("*" if chosen else "") for value, chosen, text in options}


@pytest.mark.django_db
def test_the_filter_menus_offer_the_organisations_own_choices_and_keep_the_chosen_one(
    admin: User,
    publisher: User,
    org: Organization,
    channel: Channel,
    plan: Callable[..., Post],
    foreign_post: Post,
    signed_in: Callable[..., Client],
) -> None:
    brand = Brand.objects.create(organization=org, name="Acme Outdoors")
    theirs = Brand.objects.create(organization=foreign_post.organization, name="Globex Labs")
    launch = Campaign.objects.create(
        organization=org,
        name="Autumn drop",
        release_at=utc(mid_month_ahead(), 12),
        created_by=admin,
    )
    foreign_channel = foreign_post.variants.get().channel
    anchor = mid_month_ahead()
    html = page(signed_in(admin), view="week", date=anchor.isoformat(), channel=channel.pk)

    channels = menu(html, "channel")
    assert channels[str(channel.pk)] == "acme (x)*"
    assert str(foreign_channel.pk) not in channels
    brands = menu(html, "brand")
    assert brands[str(brand.pk)] == "Acme Outdoors" and str(theirs.pk) not in brands
    assert menu(html, "campaign") == {"": "All", str(launch.pk): "Autumn drop"}
    assert str(publisher.pk) in menu(html, "author")
    assert not any(
        u.pk == int(v)
        for v in menu(html, "author")
        if v
        for u in User.objects.exclude(organization=org)
    )
    assert set(menu(html, "status")) == {"", *VariantState.values}
    # moving between views and periods keeps the filter
    assert f"view=list&amp;date={anchor.isoformat()}&amp;channel={channel.pk}" in html
    assert f'&amp;channel={channel.pk}">Later →' in html


def test_the_feed_reads_back_as_a_valid_calendar_with_what_was_written() -> None:
    """A calendar parser reads the feed back: the required properties are there, and the
    texts and times come back as they were, escaping and folding undone."""
    text = "Zażółć gęślą jaźń 🚀, one; two\\three\nnext line " * 4
    body = calendar_feed(
        variants=[_variant(text, title="Sale, today")],
        name="Roost · Acme",
        zone=zoneinfo.ZoneInfo("UTC"),
    )

    calendar = icalendar.Calendar.from_ical(body)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == (
        "2.0",
        "-//Roost//Publishing calendar//EN",
    )
    assert str(calendar["X-WR-CALNAME"]) == "Roost · Acme"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "variant-7@roost" and "DTSTAMP" in event
    assert str(event["SUMMARY"]) == "bluesky: Sale, today"
    assert str(event["DESCRIPTION"]) == text
    assert event.decoded("DTSTART") == dt.datetime(2030, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=15)
    assert not calendar.errors and not event.errors


@pytest.mark.browser
@pytest.mark.peer
@pytest.mark.django_db(transaction=True)
def test_the_month_grid_is_one_tab_stop_and_the_arrow_keys_move_between_days(
    browser_page: Any,
    live_server: Any,
    publisher: User,
    channel: Channel,
    plan: Callable[..., Post],
) -> None:
    anchor = mid_month_ahead()
    plan([channel], utc(anchor, 9), "First post")
    plan([channel], utc(anchor, 10), "Second post")
    page, base = browser_page, live_server.url
    page.goto(f"{base}/signin/")
    page.get_by_label("E-mail").fill(publisher.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(base + calendar_url(date=anchor.isoformat()))
    page.get_by_role("grid").wait_for()

    def focused() -> str:
        return str(
            page.evaluate(
                "document.activeElement.dataset.date || document.activeElement.textContent"
            )
        )

    # One stop in the Tab order, on the month's first day (today is not in the month).
    assert page.locator("td[data-date][tabindex='0']").count() == 1
    assert page.locator(".calendar-item[tabindex='-1']").count() == 2
    page.locator("td[data-date][tabindex='0']").focus()
    first = anchor.replace(day=1)
    assert focused() == first.isoformat()
    for key, days in (("ArrowRight", 1), ("ArrowDown", 8), ("ArrowLeft", 7), ("ArrowUp", 0)):
        page.keyboard.press(key)
        assert focused() == (first + dt.timedelta(days=days)).isoformat(), key
    page.keyboard.press("Home")  # the Monday of that week
    assert dt.date.fromisoformat(focused()).weekday() == 0

    # Enter goes to the day's posts, the arrows move between them, Escape goes back.
    page.locator(f"td[data-date='{anchor.isoformat()}']").focus()
    page.keyboard.press("Enter")
    assert "First post" in focused()
    page.keyboard.press("ArrowDown")
    assert "Second post" in focused()
    page.keyboard.press("Escape")
    assert focused() == anchor.isoformat()
    assert (
        page.locator("td[data-date][tabindex='0']").get_attribute("data-date") == anchor.isoformat()
    )
    # Tab leaves the grid: its posts are not stops of their own.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[data-calendar-grid]') === null")
