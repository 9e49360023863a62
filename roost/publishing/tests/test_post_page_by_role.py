"""The post page offers each person the forms they may use: someone who may only read a
post (a community manager, a viewer) gets its text and schedule, no form that would
answer 403; a post on several groups opens for whoever may see one of them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from roost.channels import services as channel_services
from roost.core.models import ChannelGroup, Role
from roost.publishing import services
from roost.sandbox.channels import sandbox_channel_connect

EDITING = ("publishing:edit", "publishing:schedule", "publishing:media")


def _form_actions(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="([^"]+)"', html))


@pytest.mark.django_db
def test_a_reader_gets_no_editing_form_and_a_writer_gets_them_all(
    org, group, publisher, make_user, make_channel, signed_in
):
    channel = make_channel()
    post = services.post_create(
        actor=publisher, organization=org, channels=[channel], master_text="Hello"
    )
    variant = post.variants.get()
    wanted = {reverse(name, args=[post.pk]) for name in EDITING if name != "publishing:media"}
    wanted.add(reverse("publishing:variant_edit", args=[variant.pk]))
    writer_page = signed_in(publisher).get(reverse("publishing:detail", args=[post.pk]))
    assert wanted <= _form_actions(writer_page.content.decode())
    for role in (Role.COMMUNITY_MANAGER, Role.VIEWER, Role.ANALYST):
        reader = signed_in(make_user(org, role, channel_group=group))
        page = reader.get(reverse("publishing:detail", args=[post.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert not wanted & _form_actions(html), role
        assert "Hello" in html and "Not scheduled yet" in html


@pytest.mark.django_db
def test_a_post_on_two_groups_opens_with_its_approval_panel_for_a_reader_of_one(
    org, admin, group, make_user, make_channel, signed_in
):
    careers = ChannelGroup.objects.create(organization=org, name="Careers")
    other = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="careers",
        channel_group=careers, primary_owner=admin,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=other)
    post = services.post_create(
        actor=admin, organization=org, channels=[make_channel(), other], master_text="Hiring"
    )
    reader = signed_in(make_user(org, Role.COMMUNITY_MANAGER, channel_group=careers))
    assert post.pk in [p.pk for p in reader.get(reverse("publishing:index")).context["posts"]]
    assert reader.get(reverse("publishing:detail", args=[post.pk])).status_code == 200
    assert reader.get(reverse("approvals:post", args=[post.pk])).status_code == 200
    stranger = signed_in(make_user(org, Role.VIEWER, channel_group=ChannelGroup.objects.create(
        organization=org, name="Elsewhere"
    )))  # fmt: skip
    assert stranger.get(reverse("publishing:detail", args=[post.pk])).status_code == 404
