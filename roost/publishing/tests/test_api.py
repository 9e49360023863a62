"""Posts and variants over the API: the page's flow through tokens, scopes, tenancy and
problem+json on bad input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from roost.channels import services as channel_services
from roost.channels.models import Channel
from roost.core.api_access.tokens import token_create
from roost.core.models import AuditEvent, ChannelGroup, Organization, Role, User
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_image
from roost.publishing.api import MAX_TEXT
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.approvals import workflows
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.campaigns import campaign_add_post, campaign_create
from roost.publishing.models import Post, PostState, Variant, VariantState

WRITER_SCOPES = ["posts:read", "posts:write", "media:read"]
JSON = "application/json"


class Api:
    """A client that sends JSON with a personal access token."""

    def __init__(self, user: User, scopes: list[str]) -> None:
        secret = token_create(user=user, name="api", scopes=scopes).secret
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get("/api/v1" + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post("/api/v1" + path, body or {}, content_type=JSON)

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch("/api/v1" + path, body, content_type=JSON)

    def put(self, path: str, body: Any) -> Any:
        return self.client.put("/api/v1" + path, body, content_type=JSON)


def is_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["detail"]
    return body


@pytest.fixture
def bluesky(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("bluesky", "post", "acme.bsky")


@pytest.fixture
def x_channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("x", "post", "acme_x")


@pytest.fixture
def approver(org: Organization, group: ChannelGroup, make_user: Callable[..., User]) -> User:
    return make_user(org, Role.APPROVER, channel_group=group, email="ana@acme.example")


@pytest.fixture
def review(org: Organization, admin: User, group: ChannelGroup, approver: User) -> None:
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Consumer review",
        channel_group=group,
        steps=[StepSpec(name="Review", approver_users=[approver])],
    )


@pytest.fixture
def writer(publisher: User) -> Api:
    return Api(publisher, WRITER_SCOPES)


@pytest.fixture
def checker(approver: User) -> Api:
    return Api(approver, ["posts:read", "posts:approve"])


@pytest.fixture
def stranger(make_org: Callable[..., Organization], make_user: Callable[..., User]) -> Api:
    """An admin of another organisation, with every publishing scope."""
    other = make_user(make_org("Globex"), Role.ADMIN)
    return Api(other, [*WRITER_SCOPES, "posts:approve", "media:write"])


def create(api: Api, channels: list[Channel], **fields: Any) -> dict[str, Any]:
    body = {"channel_ids": [c.pk for c in channels], "master_text": "Spring sale", **fields}
    response = api.post("/posts", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def submitted(writer: Api, bluesky: Channel) -> dict[str, Any]:
    post = create(writer, [bluesky], scheduled_at="2028-05-01T09:00:00+02:00")
    response = writer.post(f"/posts/{post['id']}/submit")
    assert response.status_code == 200, response.content
    return dict(response.json())


# The flow ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("review")
def test_create_schedule_submit_and_approve_as_another_person_schedules_the_variant(
    writer, checker, bluesky, publisher, approver
):
    post = create(writer, [bluesky], link="https://acme.example/sale")
    assert post["state"] == "draft" and post["author_id"] == publisher.pk
    [variant] = post["variants"]
    assert variant["channel_handle"] == "acme.bsky" and variant["text"] == "Spring sale"
    assert variant["checks"] == {
        "blocked": False,
        "used": 11,
        "limit": 300,
        "unit": "graphemes",
    } | {"problems": []}

    scheduled = writer.post(
        f"/posts/{post['id']}/schedule", {"scheduled_at": "2028-05-01T09:00:00+02:00"}
    ).json()
    assert scheduled["scheduled_at"] == "2028-05-01T07:00:00Z"

    pending = writer.post(f"/posts/{post['id']}/submit").json()
    assert pending["state"] == "in_approval"
    assert pending["approval"]["status"] == "pending"
    assert pending["approval"]["current_step"] == "Review"

    approved = checker.post(
        f"/posts/{post['id']}/approve", {"comment": "Good to go", "version": pending["version"]}
    )
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["state"] == "scheduled"
    assert body["approval"]["status"] == "approved"
    assert body["approval"]["decisions"][0]["approver_id"] == approver.pk
    stored = Variant.objects.get(post_id=post["id"])
    assert stored.state == VariantState.SCHEDULED
    assert stored.scheduled_at == dt.datetime(2028, 5, 1, 7, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(
        action="publishing.approval.completed", actor=approver
    ).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("review")
def test_a_rejection_needs_a_comment_and_sends_the_post_back_to_draft(writer, checker, bluesky):
    post = submitted(writer, bluesky)

    without = checker.post(f"/posts/{post['id']}/reject", {"comment": "  "})
    assert is_problem(without, 422, "invalid")["field"] == "comment"
    assert Post.objects.get(pk=post["id"]).state == PostState.IN_APPROVAL

    rejected = checker.post(f"/posts/{post['id']}/reject", {"comment": "Name the end date."})
    assert rejected.status_code == 200, rejected.content
    body = rejected.json()
    assert body["state"] == "draft"
    assert body["approval"]["status"] == "rejected"
    assert [(d["decision"], d["comment"]) for d in body["approval"]["decisions"]] == [
        ("reject", "Name the end date.")
    ]
    assert {v["state"] for v in body["variants"]} == {"draft"}


@pytest.mark.django_db
@pytest.mark.usefixtures("review")
def test_an_edit_after_approval_opens_approval_again_and_guards_the_old_version(
    writer, checker, bluesky
):
    post = submitted(writer, bluesky)
    checker.post(f"/posts/{post['id']}/approve", {"version": post["version"]})
    assert Post.objects.get(pk=post["id"]).state == PostState.SCHEDULED

    edited = writer.patch(f"/posts/{post['id']}", {"master_text": "Spring sale, now to May"})
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["state"] == "in_approval"
    assert body["version"] == post["version"] + 1
    assert body["approval"] | {"due_at": None, "decisions": []} == {
        "status": "pending",
        "version": post["version"] + 1,
        "current_step": "Review",
        "due_at": None,
        "decisions": [],
    }
    assert body["variants"][0]["text"] == "Spring sale, now to May"
    assert body["variants"][0]["state"] == "in_approval"

    stale = checker.post(f"/posts/{post['id']}/approve", {"version": post["version"]})
    assert "changed" in is_problem(stale, 409, "conflict")["detail"]
    assert Post.objects.get(pk=post["id"]).state == PostState.IN_APPROVAL
    assert ApprovalRequest.objects.filter(post_id=post["id"]).count() == 2


@pytest.mark.django_db
def test_without_a_workflow_submitting_approves_and_schedules_at_once(writer, bluesky):
    post = submitted(writer, bluesky)
    assert post["state"] == "scheduled" and post["approval"] is None
    assert post["variants"][0]["state"] == "scheduled"


@pytest.mark.django_db
def test_one_channels_copy_is_tailored_and_kept_when_the_master_changes(writer, bluesky, x_channel):
    post = create(writer, [bluesky, x_channel])
    variants = writer.get(f"/posts/{post['id']}/variants").json()
    assert [v["channel_id"] for v in variants] == [bluesky.pk, x_channel.pk]

    tailored = writer.patch(f"/variants/{variants[0]['id']}", {"text": "Spring sale 🌷"})
    assert tailored.status_code == 200, tailored.content
    assert tailored.json()["text_edited"] is True
    assert tailored.json()["checks"]["used"] == 13

    writer.patch(f"/posts/{post['id']}", {"master_text": "Spring sale ends Sunday"})
    texts = {v["channel_id"]: v["text"] for v in writer.get(f"/posts/{post['id']}/variants").json()}
    assert texts == {bluesky.pk: "Spring sale 🌷", x_channel.pk: "Spring sale ends Sunday"}


@pytest.mark.django_db
def test_a_text_too_long_for_a_network_is_a_blocking_check_and_cannot_be_submitted(writer, bluesky):
    post = create(writer, [bluesky], master_text="a" * 301)
    [check] = [v["checks"] for v in post["variants"]]
    assert post["blocked"] is True and check["blocked"] is True
    assert [(p["level"], p["code"]) for p in check["problems"]] == [("block", "too_long")]
    assert "1 too many" in check["problems"][0]["message"]

    refused = writer.post(f"/posts/{post['id']}/submit")
    assert "Fix before submitting" in is_problem(refused, 422, "invalid")["detail"]
    assert Post.objects.get(pk=post["id"]).state == PostState.DRAFT
    assert not ApprovalRequest.objects.exists()


@pytest.mark.django_db
def test_the_list_filters_by_state_channel_campaign_and_time_and_pages(
    org, admin, writer, bluesky, x_channel
):
    early = create(writer, [bluesky], scheduled_at="2028-05-01T09:00:00+00:00")
    late = create(writer, [bluesky, x_channel], scheduled_at="2028-06-01T09:00:00+00:00")
    loose = create(writer, [x_channel])
    writer.post(f"/posts/{early['id']}/submit")  # no workflow: scheduled at once
    campaign = campaign_create(actor=admin, organization=org, name="May", release_at=None)
    campaign_add_post(actor=admin, campaign=campaign, post=Post.objects.get(pk=late["id"]))

    def ids(**params: Any) -> list[int]:
        response = writer.get("/posts", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert sorted(ids()) == sorted([early["id"], late["id"], loose["id"]])
    assert ids(state="scheduled") == [early["id"]]
    assert sorted(ids(channel=x_channel.pk)) == sorted([late["id"], loose["id"]])
    assert ids(campaign=campaign.pk) == [late["id"]]
    window = {"scheduled_from": "2028-05-15T00:00:00+02:00", "scheduled_to": "2028-07-01T00:00Z"}
    assert ids(**window) == [late["id"]]
    page = writer.get("/posts", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 3 and len(page["items"]) == 1 and page["offset"] == 2
    assert page["items"][0]["channel_ids"]

    naive = writer.get("/posts", {"scheduled_from": "2028-05-15T00:00:00"})
    assert "timezone" in json.dumps(is_problem(naive, 422, "invalid")["errors"])
    is_problem(writer.get("/posts", {"state": "exploded"}), 422, "invalid")
    is_problem(writer.get("/posts", {"limit": 0}), 422, "invalid")


@pytest.mark.django_db
def test_the_lists_query_count_does_not_grow_with_its_posts(writer, bluesky, x_channel):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert writer.get("/posts").status_code == 200
        return len(captured)

    create(writer, [bluesky])
    few = queries()
    for _ in range(5):
        create(writer, [bluesky, x_channel])
    assert queries() == few


# Media on posts ---------------------------------------------------------------------------


@pytest.fixture
def photos(org: Organization, publisher: User) -> list[Any]:
    return [
        media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_image(800, 600), name=f"{name}.jpg"),
            alt_text=alt,
        )
        for name, alt in (("jacket", "A blue jacket"), ("shoes", ""))
    ]


@pytest.mark.django_db
def test_library_media_is_attached_in_order_and_checked(writer, bluesky, photos):
    jacket, shoes = photos
    post = create(writer, [bluesky], media_ids=[jacket.pk])
    assert post["media_ids"] == [jacket.pk]

    attached = writer.put(f"/posts/{post['id']}/media", {"media_ids": [shoes.pk, jacket.pk]})
    assert attached.status_code == 200, attached.content
    body = attached.json()
    assert body["media_ids"] == [shoes.pk, jacket.pk]
    assert body["version"] == post["version"] + 1
    [problem] = body["variants"][0]["checks"]["problems"]
    assert (problem["level"], problem["code"]) == ("warn", "alt_text_missing")
    assert "shoes.jpg" in problem["message"]

    twice = writer.put(f"/posts/{post['id']}/media", {"media_ids": [jacket.pk, jacket.pk]})
    is_problem(twice, 422, "invalid")
    too_many = writer.put(f"/posts/{post['id']}/media", {"media_ids": list(range(1, 12))})
    is_problem(too_many, 422, "invalid")
    cleared = writer.put(f"/posts/{post['id']}/media", {"media_ids": []}).json()
    assert cleared["media_ids"] == []


@pytest.mark.django_db
def test_a_new_post_whose_media_is_refused_is_not_created_either(org, publisher, writer, bluesky):
    many = [
        media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_image(64, 64), name=f"{n}.jpg"),
            alt_text="A square",
        ).pk
        for n in range(11)
    ]
    response = writer.post("/posts", {"channel_ids": [bluesky.pk], "media_ids": many})
    assert "At most 10" in is_problem(response, 422, "invalid")["detail"]
    assert not Post.objects.exists() and not Variant.objects.exists()
    assert not AuditEvent.objects.filter(action="publishing.post.created").exists()


# Scopes and roles -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_without_posts_write_gets_403_and_changes_nothing(publisher, writer, bluesky):
    post = create(writer, [bluesky])
    reader = Api(publisher, ["posts:read"])
    assert reader.get(f"/posts/{post['id']}").status_code == 200

    refused = reader.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "No"})
    assert "posts:write" in is_problem(refused, 403, "permission_denied")["detail"]
    for response in (
        reader.patch(f"/posts/{post['id']}", {"master_text": "Changed"}),
        reader.post(f"/posts/{post['id']}/schedule", {"scheduled_at": None}),
        reader.post(f"/posts/{post['id']}/submit"),
        reader.put(f"/posts/{post['id']}/media", {"media_ids": []}),
        reader.patch(f"/variants/{post['variants'][0]['id']}", {"text": "Changed"}),
    ):
        is_problem(response, 403, "permission_denied")
    stored = Post.objects.get()
    assert (stored.master_text, stored.state, stored.version) == ("Spring sale", "draft", 1)
    assert Variant.objects.get().text == "Spring sale"

    no_read = Api(publisher, ["posts:write"])
    assert "posts:read" in is_problem(no_read.get("/posts"), 403, "permission_denied")["detail"]


@pytest.mark.django_db
def test_the_token_page_offers_the_publishing_scopes_and_its_token_works(
    publisher, signed_in, bluesky
):
    client = signed_in(publisher)
    page = client.get("/settings/tokens/").content.decode()
    for scope in ("posts:read", "posts:write", "posts:approve", "media:read", "media:write"):
        assert f'value="{scope}"' in page, scope
    created = client.post(
        "/settings/tokens/", {"name": "Scheduler", "scopes": ["posts:read", "posts:write"]}
    )
    secret = created.content.decode().split('data-testid="new-token">')[1].split("<")[0]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        "/api/v1/posts", {"channel_ids": [bluesky.pk], "master_text": "Hi"}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    assert Post.objects.get().author == publisher


@pytest.mark.django_db
@pytest.mark.usefixtures("review")
def test_approving_needs_the_approve_scope_and_the_role(approver, writer, bluesky):
    post = submitted(writer, bluesky)
    without_scope = Api(approver, ["posts:read", "posts:write"])
    is_problem(without_scope.post(f"/posts/{post['id']}/approve"), 403, "permission_denied")
    author = Api(Post.objects.get().author, ["posts:approve"])
    is_problem(author.post(f"/posts/{post['id']}/approve"), 403, "permission_denied")
    assert Post.objects.get().state == PostState.IN_APPROVAL


@pytest.mark.django_db
def test_a_viewer_cannot_write_posts_whatever_the_token_says(
    org, group, make_user, writer, bluesky
):
    post = create(writer, [bluesky])
    viewer = Api(make_user(org, Role.VIEWER, channel_group=group), WRITER_SCOPES)
    assert viewer.get(f"/posts/{post['id']}").status_code == 200
    is_problem(
        viewer.post("/posts", {"channel_ids": [bluesky.pk], "master_text": "Mine"}),
        403,
        "permission_denied",
    )
    is_problem(
        viewer.patch(f"/posts/{post['id']}", {"master_text": "Mine"}), 403, "permission_denied"
    )
    assert list(Post.objects.values_list("master_text", flat=True)) == ["Spring sale"]


# Tenancy ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("review")
def test_another_organisations_posts_answer_404_and_stay_as_they_were(
    writer, stranger, bluesky, photos
):
    post = submitted(writer, bluesky)
    path = f"/posts/{post['id']}"
    variant_id = post["variants"][0]["id"]
    for response in (
        stranger.get(path),
        stranger.get(path + "/variants"),
        stranger.patch(path, {"master_text": "Hijacked"}),
        stranger.post(path + "/schedule", {"scheduled_at": None}),
        stranger.put(path + "/media", {"media_ids": []}),
        stranger.post(path + "/submit"),
        stranger.post(path + "/approve", {"comment": "ok"}),
        stranger.post(path + "/reject", {"comment": "no"}),
        stranger.patch(f"/variants/{variant_id}", {"text": "Hijacked"}),
    ):
        is_problem(response, 404, "not_found")
    assert stranger.get("/posts").json() == {"count": 0, "limit": 50, "offset": 0, "items": []}
    stored = Post.objects.get(pk=post["id"])
    assert (stored.master_text, stored.state, stored.version) == (
        "Spring sale",
        PostState.IN_APPROVAL,
        post["version"],
    )
    assert stored.scheduled_at is not None
    assert not ApprovalRequest.objects.exclude(status="pending").exists()


@pytest.mark.django_db
def test_another_organisations_channels_and_media_are_unknown_ids(
    make_org, make_user, writer, bluesky
):
    other_org = make_org("Initech")
    other_admin = make_user(other_org, Role.ADMIN)
    theirs = channel_services.channel_create(
        actor=other_admin,
        organization=other_org,
        network="bluesky",
        placement="post",
        handle="initech.bsky",
        channel_group=ChannelGroup.objects.create(organization=other_org, name="Main"),
        primary_owner=other_admin,
    )
    their_photo = media_upload(
        actor=other_admin, organization=other_org, file=as_upload(make_image(400, 300))
    )
    post = create(writer, [bluesky])

    channel = writer.post("/posts", {"channel_ids": [theirs.pk], "master_text": "Hi"})
    assert is_problem(channel, 422, "invalid")["field"] == "channel_ids"
    media = writer.post("/posts", {"channel_ids": [bluesky.pk], "media_ids": [their_photo.pk]})
    assert is_problem(media, 422, "invalid")["field"] == "media_ids"
    attach = writer.put(f"/posts/{post['id']}/media", {"media_ids": [their_photo.pk]})
    assert f"Unknown media id: {their_photo.pk}" in is_problem(attach, 422, "invalid")["detail"]
    assert Post.objects.count() == 1
    assert not Post.objects.get().media_items.exists()


# Bad input --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"channel_ids": [999_999], "master_text": "Hi"}, 422, "Unknown channel id: 999999"),
        ({"master_text": "No channels"}, 422, "channel_ids"),
        ({"channel_ids": [], "master_text": "Hi"}, 422, "at least 1"),
        ({"channel_ids": "all", "master_text": "Hi"}, 422, "valid list"),
        ({"channel_ids": ["{bluesky}", "{bluesky}"]}, 422, "listed once"),
        ({"channel_ids": ["{bluesky}"], "scheduled_at": "2028-05-01T09:00:00"}, 422, "timezone"),
        ({"channel_ids": ["{bluesky}"], "scheduled_at": "next Monday"}, 422, "datetime"),
        ({"channel_ids": ["{bluesky}"], "master_text": "a" * (MAX_TEXT + 1)}, 422, "at most"),
        ({"channel_ids": ["{bluesky}"], "link": "acme dot example"}, 422, "http"),
        ({"channel_ids": ["{bluesky}"], "text": "Misspelt field"}, 422, "Extra inputs"),
    ],
)
def test_a_bad_new_post_is_a_4xx_problem_and_creates_nothing(writer, bluesky, body, status, says):
    body = {
        key: [bluesky.pk if v == "{bluesky}" else v for v in value]
        if isinstance(value, list)
        else value
        for key, value in body.items()
    }
    response = writer.post("/posts", body)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert says in response.content.decode()
    assert not Post.objects.exists() and not Variant.objects.exists()


@pytest.mark.django_db
def test_bad_changes_to_a_post_are_4xx_problems_and_change_nothing(writer, bluesky):
    post = create(writer, [bluesky], scheduled_at="2028-05-01T09:00:00+00:00")
    path = f"/posts/{post['id']}"
    malformed = writer.client.post(
        f"/api/v1{path}/schedule", data='{"scheduled_at": ', content_type=JSON
    )
    is_problem(malformed, 400, "malformed_body")
    for response in (
        writer.post(path + "/schedule", {"scheduled_at": "2028-06-01T09:00:00"}),
        writer.post(path + "/schedule", {}),
        writer.patch(path, {"master_text": "a" * (MAX_TEXT + 1)}),
        writer.patch(path, {"link": "javascript:alert(1)"}),
        writer.patch(path, {"paid_partnership": "perhaps"}),
        writer.patch(f"/variants/{post['variants'][0]['id']}", {"text": "a" * (MAX_TEXT + 1)}),
        writer.patch(f"/variants/{post['variants'][0]['id']}", {}),
        writer.put(path + "/media", {"media_ids": "photo"}),
    ):
        is_problem(response, 422, "invalid")
    is_problem(writer.get("/posts/999999"), 404, "not_found")
    is_problem(writer.patch("/variants/999999", {"text": "x"}), 404, "not_found")
    stored = Post.objects.get()
    assert (stored.master_text, stored.link, stored.version) == ("Spring sale", "", 1)
    assert stored.scheduled_at == dt.datetime(2028, 5, 1, 9, tzinfo=dt.UTC)
    assert Variant.objects.get().text == "Spring sale"


@pytest.mark.django_db
def test_a_published_post_can_no_longer_be_edited(writer, bluesky):
    post = create(writer, [bluesky])
    Post.objects.filter(pk=post["id"]).update(state=PostState.PUBLISHED)
    refused = writer.patch(f"/posts/{post['id']}", {"master_text": "Too late"})
    is_problem(refused, 409, "conflict")
    assert Post.objects.get().master_text == "Spring sale"


@pytest.mark.django_db
def test_the_openapi_document_lists_the_publishing_paths(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/posts",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/{post_id}/schedule",
        "/api/v1/posts/{post_id}/media",
        "/api/v1/posts/{post_id}/submit",
        "/api/v1/posts/{post_id}/approve",
        "/api/v1/posts/{post_id}/reject",
        "/api/v1/posts/{post_id}/variants",
        "/api/v1/variants/{variant_id}",
    ):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/posts"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/posts/{post_id}"]) == {"get", "patch"}
