"""Bad input to publishing, over the API and the pages: a clear 4xx, nothing stored, no 500."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.utils import timezone

from roost.channels.models import Channel
from roost.core.models import AuditEvent, User
from roost.publishing import services
from roost.publishing.campaigns import campaign_create
from roost.publishing.models import Post
from roost.publishing.tests.test_api import Api, is_problem

WRITER_SCOPES = ["posts:read", "posts:write", "media:read"]
HUGE = 2**64 + 1
AWKWARD = ["a\x00b", "\ud800", "ok \udfff"]


@pytest.fixture
def writer(publisher: User) -> Api:
    return Api(publisher, WRITER_SCOPES)


@pytest.fixture
def bluesky(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("bluesky", "post", "acme.bsky")


def _raw_post(api: Api, path: str, raw: str, method: str = "post") -> object:
    send = getattr(api.client, method)
    return send("/api/v1" + path, raw, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["master_text", "title"])
@pytest.mark.parametrize("value", AWKWARD)
def test_text_that_cannot_be_stored_is_refused_with_422_and_nothing_is_stored(
    writer, bluesky, field, value
):
    body = {"channel_ids": [bluesky.pk], field: value}
    # json.dumps writes a lone surrogate as the escape "\ud800", as a client would.
    response = _raw_post(writer, "/posts", json.dumps(body))
    problem = is_problem(response, 422, "invalid_text")
    assert problem["field"] == f"body.{field}"
    assert not Post.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", AWKWARD)
def test_a_patch_with_unstorable_text_changes_nothing(writer, bluesky, value):
    post = writer.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "Spring"}).json()
    response = _raw_post(
        writer, f"/posts/{post['id']}", json.dumps({"master_text": value}), method="patch"
    )
    is_problem(response, 422, "invalid_text")
    assert Post.objects.get(pk=post["id"]).master_text == "Spring"


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["state", "scheduled_from"])
def test_a_nul_in_a_query_parameter_is_refused(writer, param):
    is_problem(writer.get("/posts", {param: "x\x00"}), 422, "invalid_text")


@pytest.mark.django_db
def test_a_ten_megabyte_body_answers_413(writer, bluesky):
    body = json.dumps({"channel_ids": [bluesky.pk], "master_text": "x" * 10_000_000})
    is_problem(_raw_post(writer, "/posts", body), 413, "body_too_large")
    # The same for a body that does not even claim to be JSON.
    response = writer.client.post("/api/v1/posts", "x" * 10_000_000, content_type="text/plain")
    is_problem(response, 413, "body_too_large")
    assert not Post.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["offset", "campaign", "channel", "limit"])
def test_integers_beyond_64_bits_in_the_query_are_422(writer, param):
    is_problem(writer.get("/posts", {param: str(HUGE)}), 422, "invalid")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["media_ids", "channel_ids"])
def test_integers_beyond_64_bits_in_the_body_are_422(writer, bluesky, field):
    body = {"channel_ids": [bluesky.pk], "media_ids": [], field: [HUGE]}
    is_problem(writer.post("/posts", body), 422, "invalid")
    assert not Post.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"/posts/{HUGE}", f"/posts/{HUGE}/variants"])
def test_a_path_id_beyond_64_bits_is_404(writer, path):
    assert writer.get(path).status_code in (404, 422)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"master_text": 5},
        {"paid_partnership": "yes"},
        {"paid_partnership": 1},
        {"title": ["a"]},
    ],
)
def test_bodies_of_the_wrong_type_are_422(writer, bluesky, body):
    post = writer.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "Spring"}).json()
    is_problem(writer.patch(f"/posts/{post['id']}", body), 422, "invalid")
    assert Post.objects.get(pk=post["id"]).master_text == "Spring"


@pytest.mark.django_db
def test_channel_ids_of_the_wrong_type_are_422(writer, bluesky):
    for ids in ([True], [str(bluesky.pk)], [1.5]):
        is_problem(writer.post("/posts", {"channel_ids": ids}), 422, "invalid")
    assert not Post.objects.exists()


def _about_scheduled_at(problem: dict[str, object]) -> bool:
    """The service names the field; the schema names the place in the body."""
    places = [error["location"] for error in problem.get("errors", [])]  # type: ignore[attr-defined]
    return problem.get("field") == "scheduled_at" or ["body", "payload", "scheduled_at"] in places


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2200-01-01T00:00:00+14:00"]
)
def test_a_schedule_time_far_from_now_is_refused(writer, bluesky, moment):
    post = writer.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "Spring"}).json()
    response = writer.post(f"/posts/{post['id']}/schedule", {"scheduled_at": moment})
    assert _about_scheduled_at(is_problem(response, 422, "invalid"))
    assert Post.objects.get(pk=post["id"]).scheduled_at is None
    create = writer.post(
        "/posts", {"channel_ids": [bluesky.pk], "master_text": "x", "scheduled_at": moment}
    )
    assert _about_scheduled_at(is_problem(create, 422, "invalid"))
    assert Post.objects.count() == 1


@pytest.mark.django_db
def test_a_schedule_time_within_the_window_is_taken(writer, bluesky):
    soon = timezone.now() + services.MAX_SCHEDULE_AHEAD - dt.timedelta(days=1)
    post = writer.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "Spring"}).json()
    response = writer.post(f"/posts/{post['id']}/schedule", {"scheduled_at": soon.isoformat()})
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_campaign_action_with_a_post_that_is_not_a_number_is_400(org, admin, signed_in):
    campaign = campaign_create(actor=admin, organization=org, name="Spring", release_at=None)
    client = signed_in(admin)
    before = AuditEvent.objects.count()
    url = f"/publish/campaigns/{campaign.pk}/action/"
    for value in ("abc", str(HUGE), "", "-1"):
        response = client.post(url, {"action": "add", "post": value})
        assert 400 <= response.status_code < 500, (value, response.status_code)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_pages_render_the_furthest_schedule_time_in_the_furthest_time_zones(
    publisher, bluesky, signed_in, zone
):
    """The latest time the window allows, seen from UTC+14 and UTC-11."""
    furthest = timezone.now() + services.MAX_SCHEDULE_AHEAD - dt.timedelta(seconds=1)
    post = services.post_create(
        actor=publisher,
        organization=publisher.organization,
        channels=[bluesky],
        master_text="Far away",
        scheduled_at=furthest,
    )
    publisher.time_zone = zone
    publisher.save(update_fields=["time_zone"])
    client = signed_in(publisher)
    day = furthest.date().isoformat()
    for url in [
        "/publish/",
        f"/publish/posts/{post.pk}/",
        "/publish/approvals/",
        f"/publish/calendar/?date={day}",
        f"/publish/calendar/?view=week&date={day}",
        f"/publish/calendar/?view=list&date={day}",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]
)
def test_list_filters_at_the_ends_of_the_calendar_are_not_a_500(writer, moment):
    for param in ("scheduled_from", "scheduled_to"):
        response = writer.get("/posts", {param: moment})
        assert response.status_code in (200, 422), (param, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stored",
    [
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
    ],
)
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_pages_render_a_time_stored_at_the_ends_of_the_calendar_in_any_zone(
    publisher, bluesky, signed_in, stored, zone
):
    """A time stored before the window existed (written here straight to the database):
    in a zone where it does not fit, it is shown in UTC, and the pages still render."""
    post = services.post_create(
        actor=publisher,
        organization=publisher.organization,
        channels=[bluesky],
        master_text="Far away",
    )
    Post.objects.filter(pk=post.pk).update(scheduled_at=stored)
    post.variants.update(scheduled_at=stored)
    publisher.time_zone = zone
    publisher.save(update_fields=["time_zone"])
    client = signed_in(publisher)
    for url in [
        "/publish/",
        f"/publish/posts/{post.pk}/",
        "/publish/approvals/",
        "/publish/calendar/",
        "/publish/calendar/?view=list",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert f"{stored:%Y}" in client.get(f"/publish/posts/{post.pk}/").content.decode()
