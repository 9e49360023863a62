"""Library media on posts: checked per placement, sent as each channel's rendition."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roost.core.errors import ApplicationError, ErrorCode
from roost.core.models import Role
from roost.core.services import organization_alt_text_set
from roost.publishing import services
from roost.publishing.approvals.decisions import post_submit
from roost.publishing.checks import media_problems
from roost.publishing.dispatch import dispatch_once
from roost.publishing.media_attach import post_media_set, renditions_missing
from roost.publishing.models import ComplianceRule, Post, PostState
from roost.publishing.validation import network_problems
from roost.sandbox.models import SandboxPost


@pytest.mark.django_db
def test_an_attached_photo_goes_out_as_each_channels_rendition(
    make_channel, due_post, publisher, photo
):
    bluesky = make_channel("bluesky", "post", "acme.bsky")
    instagram = make_channel("instagram", "portrait", "acme.ig")
    post = due_post([bluesky, instagram], text="New in: the Aurora jacket")
    post_media_set(actor=publisher, post=post, assets=[photo])
    assert renditions_missing(post=post) == []
    results = dispatch_once(worker="w")
    assert sorted(r.outcome for r in results) == ["published", "published"]
    assert sorted(SandboxPost.objects.values_list("media_count", flat=True)) == [1, 1]


@pytest.mark.django_db
def test_a_placement_that_needs_media_blocks_without_it(photo):
    problems = network_problems("Text alone", network="instagram", placement="portrait")
    assert "media_required" in {p.code for p in problems}
    assert (
        network_problems("With a photo", network="instagram", placement="portrait", media_count=1)
        == []
    )
    assert media_problems(assets=[photo], network="instagram", placement="portrait") == []


@pytest.mark.django_db
def test_missing_alt_text_warns(photo):
    photo.alt_text = ""
    codes = {p.code for p in media_problems(assets=[photo], network="bluesky", placement="post")}
    assert codes == {"alt_text_missing"}


@pytest.mark.django_db
def test_an_organisation_that_requires_alt_text_blocks_submitting_without_it(
    org, admin, make_channel, publisher, photo
):
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = services.post_create(
        actor=publisher, organization=org, channels=[channel], master_text="Aurora"
    )
    photo.alt_text = ""
    photo.save(update_fields=["alt_text"])
    post_media_set(actor=publisher, post=post, assets=[photo])
    organization_alt_text_set(organization=org, actor=admin, required=True)

    with pytest.raises(ApplicationError) as error:
        post_submit(post=post, actor=publisher)
    assert "alt text" in error.value.message
    post.refresh_from_db()
    assert post.state == PostState.DRAFT

    organization_alt_text_set(organization=org, actor=admin, required=False)
    post_submit(post=post, actor=publisher)
    post.refresh_from_db()
    assert post.state != PostState.DRAFT


@pytest.mark.django_db
def test_a_banned_term_blocks_submitting(org, admin, make_channel, publisher):
    ComplianceRule.objects.create(
        organization=org, kind=ComplianceRule.Kind.BANNED_TERM, value="guaranteed"
    )
    channel = make_channel("bluesky", "post", "acme.bsky")
    post = services.post_create(
        actor=publisher, organization=org, channels=[channel], master_text="Guaranteed returns!"
    )
    with pytest.raises(ApplicationError) as error:
        post_submit(post=post, actor=publisher)
    assert "guaranteed" in error.value.message.lower()
    post.refresh_from_db()
    assert post.state == PostState.DRAFT


@pytest.mark.django_db
def test_the_composer_attaches_media_and_checks_it(org, publisher, make_channel, photo, signed_in):
    channel = make_channel("instagram", "portrait", "acme.ig")
    client = signed_in(publisher)
    checks = client.post(
        reverse("publishing:checks"), {"master_text": "Hello", "channels": [channel.pk]}
    ).content.decode()
    assert "needs at least 1 media" in checks
    checks = client.post(
        reverse("publishing:checks"),
        {"master_text": "Hello", "channels": [channel.pk], "attachments": [photo.pk]},
    ).content.decode()
    assert "Blocks" not in checks
    response = client.post(
        reverse("publishing:compose"),
        {"master_text": "Hello", "channels": [channel.pk], "attachments": [photo.pk]},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert list(post.media_items.values_list("asset_id", flat=True)) == [photo.pk]


@pytest.mark.django_db
def test_another_organisations_post_is_not_found_when_attaching_media(
    make_channel, due_post, photo, other_org, make_user
):
    post = due_post([make_channel("bluesky", "post", "acme.bsky")])
    outsider = make_user(other_org, Role.ADMIN)
    with pytest.raises(ApplicationError) as refused:
        post_media_set(actor=outsider, post=post, assets=[])
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert Post.objects.get(pk=post.pk).version == post.version
    assert not post.media_items.exists()


@pytest.mark.django_db
def test_networks_that_fetch_media_get_a_signed_address_that_serves_the_rendition(
    make_channel, due_post, publisher, photo, client, settings
):
    from urllib.parse import urlsplit

    from roost.publishing.media_attach import variant_media

    instagram = make_channel("instagram", "portrait", "acme.ig")
    post = due_post([instagram], text="New in")
    post_media_set(actor=publisher, post=post, assets=[photo])
    variant = post.variants.get()
    settings.ROOST_BASE_URL = "http://roost.example"
    assert variant_media(variant)[0].url == ""  # a network cannot fetch from plain http
    settings.ROOST_BASE_URL = "https://roost.example"
    item = variant_media(variant)[0]
    assert item.url.startswith("https://roost.example/media-library/out/")
    path = urlsplit(item.url).path
    answer = client.get(path)  # the network signs in to nothing
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/jpeg"
    assert b"".join(answer.streaming_content) == item.data
    assert client.get(path[:-3] + "abc").status_code == 404  # a changed token opens nothing
