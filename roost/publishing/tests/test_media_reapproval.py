"""An edit of a library item on a post is an edit of the post: it needs the media-edit
right, and a post in approval or approved goes through approval again, with the change
in its new version's diff. Through the service, the API and the media page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roost.core.api_access.tokens import token_create
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import AuditEvent, ChannelGroup, Role
from roost.media.models import MediaAsset
from roost.media.services import media_update, media_upload
from roost.media.tests.conftest import as_upload, make_image
from roost.publishing import services
from roost.publishing.approval_models import ApprovalRequest
from roost.publishing.approvals import decisions, workflows
from roost.publishing.approvals import selectors as approval_selectors
from roost.publishing.approvals import versions as approval_versions
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.media_attach import post_media_set
from roost.publishing.models import Post, PostState

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def approver(org, admin, group, make_user):
    person = make_user(org, Role.APPROVER, channel_group=group)
    workflows.workflow_create(
        actor=admin,
        organization=org,
        name="Review",
        channel_group=group,
        steps=[StepSpec(name="Review", approver_users=[person])],
    )
    return person


@pytest.fixture
def photo(org, publisher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_image(1200, 900), "jacket.jpg"),
            alt_text="A blue jacket on a hook",
        )


@pytest.fixture
def approved_post(org, publisher, approver, make_channel, photo):
    """A scheduled post carrying the photo, approved at version 2 (1: text, 2: media)."""
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[make_channel("bluesky", "post", "acme.bsky")],
        master_text="New in: the Aurora jacket",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )
    post = post_media_set(actor=publisher, post=post, assets=[photo])
    decisions.post_submit(post=post, actor=publisher)
    decisions.post_approve(post=Post.objects.get(pk=post.pk), approver=approver)
    post = Post.objects.get(pk=post.pk)
    assert post.state == PostState.SCHEDULED
    return post


def api(user, scopes=("media:read", "media:write")) -> Client:
    secret = token_create(user=user, name="api", scopes=list(scopes)).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def unchanged(post: Post, photo: MediaAsset) -> None:
    stored = Post.objects.get(pk=post.pk)
    assert (stored.state, stored.version) == (PostState.SCHEDULED, post.version)
    assert MediaAsset.objects.get(pk=photo.pk).alt_text == "A blue jacket on a hook"
    assert not ApprovalRequest.objects.filter(
        post=post, status=ApprovalRequest.Status.PENDING
    ).exists()


def reopened_with_diff(post: Post, publisher: Any, new_alt: str) -> list[str]:
    stored = Post.objects.get(pk=post.pk)
    assert stored.state == PostState.IN_APPROVAL
    assert stored.version == post.version + 1
    request = ApprovalRequest.objects.get(post=post, status=ApprovalRequest.Status.PENDING)
    assert request.version == stored.version
    newest, previous = list(approval_selectors.post_versions(viewer=publisher, post=stored))[:2]
    assert newest.snapshot["media"][0]["alt_text"] == new_alt
    diff = approval_versions.version_diff(previous, newest)
    assert f"+++ version {newest.version}: media" in diff
    assert any(line.startswith("-") and "A blue jacket on a hook" in line for line in diff)
    assert any(line.startswith("+") and new_alt in line for line in diff)
    return diff


# The right to edit media --------------------------------------------------------------


def test_a_viewer_cannot_change_media_through_the_service(org, make_user, approved_post, photo):
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        media_update(actor=viewer, asset=photo, alt_text="Hijacked")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    unchanged(approved_post, photo)


def test_a_viewer_cannot_change_media_through_the_api(org, make_user, approved_post, photo):
    viewer = make_user(org, Role.VIEWER)
    response = api(viewer).patch(
        f"/api/v1/media/{photo.pk}", {"alt_text": "Hijacked"}, content_type=JSON
    )
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "permission_denied"
    unchanged(approved_post, photo)


def test_a_viewer_sees_the_media_page_without_a_form_and_cannot_post_it(
    org, make_user, signed_in, approved_post, photo
):
    viewer = make_user(org, Role.VIEWER)
    client = signed_in(viewer)
    url = reverse("media:detail", args=[photo.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="alt_text"' not in body and "data-read-only" in body
    assert "A blue jacket on a hook" in body
    library = client.get(reverse("media:library")).content.decode()
    assert reverse("media:upload") not in library
    posted = client.post(url, {"alt_text": "Hijacked", "tags": "", "focal_x": 0.5, "focal_y": 0.5})
    assert posted.status_code == 403
    unchanged(approved_post, photo)


def test_a_viewer_cannot_upload(org, make_user):
    viewer = make_user(org, Role.VIEWER)
    with pytest.raises(ApplicationError) as refused:
        media_upload(actor=viewer, organization=org, file=as_upload(make_image(64, 64)))
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert not MediaAsset.objects.exists()


def test_a_publisher_of_another_group_cannot_change_media_on_this_groups_post(
    org, make_user, approved_post, photo
):
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    outsider = make_user(org, Role.PUBLISHER, channel_group=elsewhere)
    with pytest.raises(ApplicationError) as refused:
        media_update(actor=outsider, asset=photo, alt_text="Not mine to change")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    unchanged(approved_post, photo)  # the asset's own change rolled back with the refusal


# Re-approval --------------------------------------------------------------------------


def test_new_alt_text_through_the_api_reopens_approval_with_the_change_in_the_diff(
    publisher, approved_post, photo
):
    response = api(publisher).patch(
        f"/api/v1/media/{photo.pk}", {"alt_text": "A red jacket on a chair"}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    reopened_with_diff(approved_post, publisher, "A red jacket on a chair")
    event = AuditEvent.objects.filter(action="publishing.post.media_edited").get()
    assert event.target_id == str(approved_post.pk)


def test_new_alt_text_on_the_media_page_reopens_approval(
    signed_in, publisher, approved_post, photo
):
    posted = signed_in(publisher).post(
        reverse("media:detail", args=[photo.pk]),
        {"alt_text": "A red jacket on a chair", "tags": "", "focal_x": 0.5, "focal_y": 0.5},
    )
    assert posted.status_code == 302
    reopened_with_diff(approved_post, publisher, "A red jacket on a chair")


def test_a_new_focal_point_reopens_approval_too(publisher, approved_post, photo):
    media_update(actor=publisher, asset=photo, focal_x=0.2)
    stored = Post.objects.get(pk=approved_post.pk)
    assert stored.state == PostState.IN_APPROVAL
    newest, previous = list(approval_selectors.post_versions(viewer=publisher, post=stored))[:2]
    diff = approval_versions.version_diff(previous, newest)
    assert any(line.startswith("+") and "focal point 0.20, 0.50" in line for line in diff)


def test_new_tags_only_sort_the_library_and_leave_the_post_approved(
    publisher, approved_post, photo
):
    media_update(actor=publisher, asset=photo, tags=["autumn"])
    stored = Post.objects.get(pk=approved_post.pk)
    assert (stored.state, stored.version) == (PostState.SCHEDULED, approved_post.version)


def test_media_on_a_post_in_approval_cancels_the_open_request(
    org, publisher, approver, make_channel, photo
):
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[make_channel("bluesky", "post", "acme.bsky")],
        master_text="Coming soon",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )
    post_media_set(actor=publisher, post=post, assets=[photo])
    decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=publisher)
    first = ApprovalRequest.objects.get(post=post)
    media_update(actor=publisher, asset=photo, alt_text="A jacket, seen from the side")
    first.refresh_from_db()
    assert first.status == ApprovalRequest.Status.CANCELLED
    pending = ApprovalRequest.objects.get(post=post, status=ApprovalRequest.Status.PENDING)
    assert pending.version == Post.objects.get(pk=post.pk).version == first.version + 1
    with pytest.raises(ApplicationError) as stale:
        decisions.post_approve(
            post=Post.objects.get(pk=post.pk), approver=approver, version=first.version
        )
    assert stale.value.code == ErrorCode.CONFLICT


def test_a_published_post_keeps_what_went_out(publisher, approved_post, photo):
    Post.objects.filter(pk=approved_post.pk).update(state=PostState.PUBLISHED)
    media_update(actor=publisher, asset=photo, alt_text="Described better, for later posts")
    stored = Post.objects.get(pk=approved_post.pk)
    assert (stored.state, stored.version) == (PostState.PUBLISHED, approved_post.version)
