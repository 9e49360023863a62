"""A post's first comment, through the Instagram connector against a server that
answers as Meta's Graph API reference documents it (content publishing, then
`POST /{media-id}/comments`): a refused first comment leaves the post published, once,
with the refusal in view on the post and in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.channels.models import Channel, CredentialKind
from roost.channels.tests.instagram_server import InstagramGraphServer
from roost.core.models import AuditEvent
from roost.publishing.dispatch import dispatch_once
from roost.publishing.media_attach import post_media_set
from roost.publishing.models import Post, Variant, VariantState


@pytest.fixture
def instagram(httpserver: Any, settings: Any) -> InstagramGraphServer:
    server = InstagramGraphServer(httpserver)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    settings.ROOST_BASE_URL = "https://roost.example"  # Instagram fetches each image
    return server


def _channel(instagram: InstagramGraphServer, org, admin, group, publisher) -> Channel:
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="instagram", placement="square",
        handle="@roost.team", channel_group=group, primary_owner=publisher,
        connector="instagram", external_id=instagram.ig_user_id,
    )  # fmt: skip
    channel_services.channel_credential_set(
        actor=admin, channel=channel, kind=CredentialKind.OAUTH, secret=instagram.token
    )
    return channel


def _publish(due_post: Callable[..., Post], channel: Channel, publisher, photo) -> Variant:
    post = due_post([channel], text="Autumn jackets are in")
    Post.objects.filter(pk=post.pk).update(first_comment="Sizes and prices: link in bio")
    Variant.objects.filter(post=post).update(first_comment="Sizes and prices: link in bio")
    post_media_set(actor=publisher, post=post, assets=[photo])
    while dispatch_once(worker="first-comment"):
        pass
    return Variant.objects.get(post=post)


@pytest.mark.django_db
def test_contract_the_first_comment_follows_the_post(
    instagram, org, admin, group, publisher, due_post, photo
):
    variant = _publish(
        due_post, _channel(instagram, org, admin, group, publisher), publisher, photo
    )
    assert variant.state == VariantState.PUBLISHED and variant.last_error == ""
    assert instagram.comments == [(variant.external_id, "Sizes and prices: link in bio")]


@pytest.mark.django_db
def test_contract_a_refused_first_comment_leaves_the_post_published_once_and_says_so(
    instagram, org, admin, group, publisher, due_post, photo, signed_in
):
    instagram.comments_refused = "(#10) Application does not have permission for this action"
    variant = _publish(
        due_post, _channel(instagram, org, admin, group, publisher), publisher, photo
    )

    assert variant.state == VariantState.PUBLISHED
    assert len(instagram.published) == 1 and instagram.comments == []
    assert variant.last_error.startswith("Published, but Instagram refused the first comment")
    assert "does not have permission" in variant.last_error
    entry = AuditEvent.objects.get(action="publishing.variant.published")
    assert entry.after["warning"] == variant.last_error
    page = signed_in(publisher).get(reverse("publishing:detail", args=[variant.post_id]))
    assert "Instagram refused the first comment" in page.content.decode()
