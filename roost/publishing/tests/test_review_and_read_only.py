"""The approver sees what they approve: each channel's preview with every attached image
and video as that channel receives it, and its alt text. A published post, or one being
published, reads as such: its links, and no control that would change it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from roost.channels import services as channel_services
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import ChannelGroup, Role
from roost.core.tests.test_browser import ARTIFACTS
from roost.media.models import Rendition, RenditionStatus
from roost.media.services import media_upload
from roost.media.tests.conftest import as_upload, make_clip, make_image
from roost.publishing import services
from roost.publishing.approvals import decisions, workflows
from roost.publishing.approvals.workflows import StepSpec
from roost.publishing.media_attach import post_media_previews, post_media_set, variant_media
from roost.publishing.models import Post, PostState, Variant, VariantState
from roost.publishing.tests.test_publishing_browser import sign_in
from roost.sandbox.channels import sandbox_channel_connect

pytestmark = pytest.mark.django_db


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
def media(org, publisher, django_capture_on_commit_callbacks):
    """A photo and a short clip, their renditions made."""
    with django_capture_on_commit_callbacks(execute=True):
        photo = media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_image(1600, 900), "jacket.jpg"),
            alt_text="A blue jacket on a hook",
        )
    with django_capture_on_commit_callbacks(execute=True):
        clip = media_upload(
            actor=publisher,
            organization=org,
            file=as_upload(make_clip(seconds=0.5), "walk.mp4", "video/mp4"),
            alt_text="Someone walking in the jacket through snow",
        )
    return photo, clip


@pytest.fixture
def in_review(org, publisher, approver, make_channel, media):
    """A post for LinkedIn (cut to its size) and Mastodon (sent as uploaded), awaiting review."""
    linkedin = make_channel("linkedin", "post", "acme-li")
    mastodon = make_channel("mastodon", "post", "@acme@social.example")
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[linkedin, mastodon],
        master_text="The Aurora jacket is back.",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )
    post_media_set(actor=publisher, post=post, assets=list(media))
    decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=publisher)
    return Post.objects.get(pk=post.pk)


def section_of(body: str, variant: Variant) -> str:
    found = re.search(rf'data-preview="{variant.pk}">(.*?)\n</div>', body, re.DOTALL)
    assert found, f"no preview for {variant.channel.handle}"
    return found.group(1)


def test_the_review_page_shows_each_channels_preview_with_every_item_it_receives(
    signed_in, approver, in_review, media
):
    photo, clip = media
    body = signed_in(approver).get(reverse("approvals:post", args=[in_review.pk])).content.decode()

    linkedin = in_review.variants.get(channel__network="linkedin")
    shown = section_of(body, linkedin)
    for asset in (photo, clip):
        rendition = Rendition.objects.get(
            asset=asset, network="linkedin", placement="post", status=RenditionStatus.READY
        )
        assert reverse("media:rendition_file", args=[asset.pk, rendition.pk]) in shown
        assert f"{rendition.width} × {rendition.height} rendition for linkedin post" in shown
    assert re.search(r'<img src="[^"]+" alt="A blue jacket on a hook"', shown)
    assert "<video " in shown and "Someone walking in the jacket through snow" in shown
    assert "The Aurora jacket is back." in shown

    mastodon = in_review.variants.get(channel__network="mastodon")
    shown = section_of(body, mastodon)
    for asset in (photo, clip):  # no renditions for Mastodon: the original goes out
        assert reverse("media:original", args=[asset.pk]) in shown
    assert "The original, 1600 × 900" in shown
    assert "A blue jacket on a hook" in shown and "Someone walking" in shown

    # All of it comes before the decision.
    assert body.index('data-preview="') < body.index(
        reverse("approvals:approve", args=[in_review.pk])
    )


def test_what_the_preview_shows_is_what_goes_out(in_review, media):
    variants = list(in_review.variants.select_related("channel"))
    previews = post_media_previews(post=in_review, variants=variants)
    for variant in variants:
        sent = variant_media(variant)
        shown = previews[variant.pk]
        assert [item.alt_text for item in sent] == [p.asset.alt_text for p in shown]
        for item, preview in zip(sent, shown, strict=True):
            source = preview.rendition.file if preview.rendition else preview.asset.original
            with source.open("rb") as handle:
                assert handle.read() == item.data


def test_a_rendition_still_being_made_says_so(signed_in, approver, in_review, media):
    photo, _ = media
    Rendition.objects.filter(asset=photo, network="linkedin").update(status=RenditionStatus.PENDING)
    body = signed_in(approver).get(reverse("approvals:post", args=[in_review.pk])).content.decode()
    linkedin = in_review.variants.get(channel__network="linkedin")
    assert "rendition is still being made" in section_of(body, linkedin)


# Published and publishing posts are read-only --------------------------------------------

EDIT_CONTROLS = ("publishing:edit", "publishing:media", "publishing:schedule")


def published(post: Post) -> Post:
    for n, variant in enumerate(post.variants.order_by("pk")):
        Variant.objects.filter(pk=variant.pk).update(
            state=VariantState.PUBLISHED,
            url=f"https://sandbox.roost.invalid/p/{n}",
            external_id=f"p{n}",
            published_at=timezone.now(),
        )
    Post.objects.filter(pk=post.pk).update(state=PostState.PUBLISHED)
    return Post.objects.get(pk=post.pk)


def assert_read_only(body: str, post: Post) -> None:
    assert "data-read-only" in body
    assert "<textarea" not in body
    for name in EDIT_CONTROLS:
        assert f'action="{reverse(name, args=[post.pk])}"' not in body
    for variant in post.variants.all():
        assert reverse("publishing:variant_edit", args=[variant.pk]) not in body


def test_a_published_post_reads_as_published_with_its_links(signed_in, publisher, in_review):
    post = published(in_review)
    body = signed_in(publisher).get(reverse("publishing:detail", args=[post.pk])).content.decode()
    assert_read_only(body, post)
    assert '<h2 id="read-only-heading">Published</h2>' in body
    for variant in post.variants.all():
        assert f'<a href="{variant.url}"' in body


def test_saving_a_published_post_is_refused_and_changes_nothing(signed_in, publisher, in_review):
    post = published(in_review)
    client = signed_in(publisher)
    response = client.post(
        reverse("publishing:edit", args=[post.pk]), {"master_text": "Rewritten history"}
    )
    assert response.status_code == 409
    assert_read_only(response.content.decode(), post)
    assert Post.objects.get(pk=post.pk).master_text == "The Aurora jacket is back."


def test_a_post_being_published_is_read_only_too(signed_in, publisher, in_review):
    first, second = in_review.variants.order_by("pk")
    Post.objects.filter(pk=in_review.pk).update(state=PostState.SCHEDULED)
    Variant.objects.filter(pk=first.pk).update(state=VariantState.SENDING)
    Variant.objects.filter(pk=second.pk).update(state=VariantState.SCHEDULED)
    post = Post.objects.get(pk=in_review.pk)

    body = signed_in(publisher).get(reverse("publishing:detail", args=[post.pk])).content.decode()
    assert_read_only(body, post)
    assert "Being published" in body
    for edit in (
        lambda: services.post_update(actor=publisher, post=post, master_text="Too late"),
        lambda: services.variant_update(actor=publisher, variant=second, text="Too late"),
        lambda: post_media_set(actor=publisher, post=post, assets=[]),
    ):
        with pytest.raises(ApplicationError) as refused:
            edit()
        assert refused.value.code == ErrorCode.CONFLICT
    assert Variant.objects.get(pk=second.pk).text == "The Aurora jacket is back."
    assert post.media_items.count() == 2


def test_a_draft_keeps_its_controls(signed_in, org, publisher, make_channel):
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=[make_channel("bluesky", "post", "acme.bsky")],
        master_text="Draft",
    )
    body = signed_in(publisher).get(reverse("publishing:detail", args=[post.pk])).content.decode()
    assert "data-read-only" not in body
    assert f'action="{reverse("publishing:edit", args=[post.pk])}"' in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_approver_sees_every_item_in_a_real_browser(
    browser_page, live_server, make_org, make_user
):
    org = make_org("Browser Review")
    group = ChannelGroup.objects.create(organization=org, name="Consumer")
    admin = make_user(org, Role.ADMIN)
    publisher = make_user(org, Role.PUBLISHER, channel_group=group)
    reviewer = make_user(org, Role.APPROVER, channel_group=group, email="review@acme.example")
    workflows.workflow_create(
        actor=admin, organization=org, name="Review", channel_group=group,
        steps=[StepSpec(name="Review", approver_users=[reviewer])],
    )  # fmt: skip
    channels = []
    for network, handle in (("linkedin", "acme-li"), ("mastodon", "@acme@social.example")):
        channel = channel_services.channel_create(
            actor=admin, organization=org, network=network, placement="post", handle=handle,
            channel_group=group, primary_owner=publisher,
        )  # fmt: skip
        sandbox_channel_connect(actor=admin, channel=channel)
        channels.append(channel)
    photo = media_upload(
        actor=publisher,
        organization=org,
        file=as_upload(make_image(1600, 900, red_box=(1200, 300, 200, 200)), "jacket.jpg"),
        alt_text="A blue jacket on a hook",
    )
    clip = media_upload(
        actor=publisher,
        organization=org,
        file=as_upload(make_clip(seconds=0.5), "walk.mp4", "video/mp4"),
        alt_text="Someone walking in the jacket through snow",
    )
    post = services.post_create(
        actor=publisher,
        organization=org,
        channels=channels,
        master_text="The Aurora jacket is back.",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )
    post_media_set(actor=publisher, post=post, assets=[photo, clip])
    decisions.post_submit(post=Post.objects.get(pk=post.pk), actor=publisher)

    page = browser_page
    sign_in(page, live_server.url, reviewer.email)
    page.goto(f"{live_server.url}{reverse('approvals:post', args=[post.pk])}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-preview] img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    images = page.locator("[data-preview] img")
    assert images.count() == 2  # the photo, once per channel
    assert {images.nth(n).get_attribute("alt") for n in range(2)} == {"A blue jacket on a hook"}
    assert page.locator("[data-preview] video").count() == 2
    assert page.get_by_text("Someone walking in the jacket through snow").count() == 2
    assert page.get_by_role("button", name="Approve").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "approval-review.png"), full_page=True)
