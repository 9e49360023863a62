"""The sandbox network's pages inside Roost: every link the connector hands out opens a
page, for the organisation whose channel is connected to the account and nobody else."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from roost.channels import services as channel_services
from roost.channels.connectors.base import PublishRequest
from roost.channels.health import connector_for
from roost.channels.models import Channel
from roost.core.models import ChannelGroup, Role
from roost.inbox import ingest, services
from roost.inbox.models import Conversation, Message
from roost.sandbox.channels import sandbox_channel_connect
from roost.sandbox.models import SandboxAccount, SandboxPost
from roost.sandbox.services import sandbox_inbound_add


@pytest.fixture
def world(org, admin, make_user):
    """An X channel on the sandbox with a post, a comment on it, the account's answer to
    the comment, and a direct message; an agent who works the channel."""
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    agent = make_user(org, Role.COMMUNITY_MANAGER, channel_group=group)
    channel = channel_services.channel_create(
        actor=admin, organization=org, network="x", placement="post", handle="northwind",
        channel_group=group, primary_owner=agent,
    )  # fmt: skip
    sandbox_channel_connect(actor=admin, channel=channel)
    channel.refresh_from_db()
    account = SandboxAccount.objects.get(external_id=channel.external_id)
    published = connector_for(channel, purpose="test").publish(
        PublishRequest(text="Winter jackets are in.", idempotency_key="launch-1")
    )
    comment = sandbox_inbound_add(
        account=account, kind="comment", author_handle="ola", text="In size XS too?",
        parent_external_id=published.external_id,
    )  # fmt: skip
    sandbox_inbound_add(
        account=account, kind="direct_message", author_handle="liam", text="Where is order 12?"
    )
    ingest.channel_ingest(channel=channel)
    answered = Conversation.objects.get(author_handle="ola")
    services.conversation_reply(actor=agent, conversation=answered, text="Yes, from XS to XXL.")
    return {"channel": channel, "account": account, "agent": agent, "published": published,
            "comment": comment}  # fmt: skip


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.django_db
def test_a_published_posts_link_opens_its_page_with_replies_and_metrics(world, signed_in):
    published = world["published"]
    assert published.url == f"/sandbox/network/x/northwind/posts/{published.external_id}/"
    page = body(signed_in(world["agent"]).get(published.url))
    assert "Winter jackets are in." in page
    assert "In size XS too?" in page and "Yes, from XS to XXL." in page  # the thread
    assert "1 reply · 0 likes · 0 reposts · 0 quotes" in page  # the network's metrics
    assert "sandbox network" in page


@pytest.mark.django_db
def test_every_inbox_messages_open_link_opens_a_page(world, signed_in):
    client = signed_in(world["agent"])
    urls = dict(Message.objects.values_list("text", "url"))
    comment = body(client.get(urls["In size XS too?"]))
    assert "In size XS too?" in comment and "Winter jackets are in." in comment  # its post
    assert "Yes, from XS to XXL." in comment  # the answer
    reply = body(client.get(urls["Yes, from XS to XXL."]))
    assert "In reply to" in reply and "In size XS too?" in reply
    dm = body(client.get(urls["Where is order 12?"]))
    assert "Direct messages with liam" in dm and "Where is order 12?" in dm
    # The conversation page links to them.
    conversation = Conversation.objects.get(author_handle="ola")
    thread = body(client.get(f"/inbox/c/{conversation.pk}/"))
    assert f'href="{urls["In size XS too?"]}"' in thread


@pytest.mark.django_db
def test_the_account_page_lists_its_posts(world, signed_in):
    page = body(signed_in(world["agent"]).get("/sandbox/network/x/northwind/"))
    assert "Winter jackets are in." in page
    assert world["published"].url in page
    assert "Yes, from XS to XXL." not in page  # replies are not the account's posts


@pytest.mark.django_db
def test_another_organisation_and_other_channel_groups_get_404(
    world, other_org, make_user, org, signed_in
):
    urls = [
        "/sandbox/network/x/northwind/",
        world["published"].url,
        *Message.objects.exclude(url="").values_list("url", flat=True),
    ]
    assert len(urls) == 5
    outsider = make_user(other_org, Role.ADMIN)
    elsewhere = ChannelGroup.objects.create(organization=org, name="Careers")
    colleague = make_user(org, Role.COMMUNITY_MANAGER, channel_group=elsewhere)
    for person in (outsider, colleague):
        client = signed_in(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)


@pytest.mark.django_db
def test_an_organisation_with_a_channel_of_the_same_handle_but_another_account_gets_404(
    world, other_org, make_user, signed_in
):
    """Their channel has the same network and handle but is not connected to this
    account (its `external_id` is not the account's): nothing of the account shows."""
    their_admin = make_user(other_org, Role.ADMIN)
    group = ChannelGroup.objects.create(organization=other_org, name="Corporate")
    Channel.objects.create(
        organization=other_org, network="x", placement="post", connector="sandbox",
        handle="northwind", external_id="u-someone-else", channel_group=group,
        primary_owner=their_admin,
    )  # fmt: skip
    client = signed_in(their_admin)
    assert client.get("/sandbox/network/x/northwind/").status_code == 404
    assert client.get(world["published"].url).status_code == 404


@pytest.mark.django_db
def test_unknown_and_mismatched_addresses_are_not_found(world, signed_in):
    client = signed_in(world["agent"])
    post_id = world["published"].external_id
    for url in (
        "/sandbox/network/x/northwind/posts/p-nothing/",
        f"/sandbox/network/x/ola/posts/{post_id}/",  # not ola's post
        f"/sandbox/network/bluesky/northwind/posts/{post_id}/",  # not on that network
        f"/sandbox/network/x/northwind/messages/{world['comment'].external_id}/",  # not a DM
        "/sandbox/network/x/nobody/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_the_activity_page_links_to_the_posts_pages(world, signed_in):
    channel = world["channel"]
    page = body(signed_in(world["agent"]).get(f"/sandbox/channels/{channel.pk}/activity/"))
    assert f'href="{world["published"].url}"' in page
    assert "sandbox.roost.invalid" not in page


@pytest.mark.django_db
def test_links_stored_on_the_unreachable_host_are_moved_to_the_pages(world):
    post = SandboxPost.objects.get(external_id=world["published"].external_id)
    message = Message.objects.get(text="In size XS too?")
    old = f"https://sandbox.roost.invalid/x/northwind/posts/{post.external_id}"
    Message.objects.filter(pk=message.pk).update(url=old)
    for app, name in (
        ("inbox", "0009_sandbox_links_inside_roost"),
        ("publishing", "0005_sandbox_links_inside_roost"),
    ):
        module = importlib.import_module(f"roost.{app}.migrations.{name}")
        module.forwards(django_apps, None)
    message.refresh_from_db()
    assert message.url == f"/sandbox/network/x/northwind/posts/{post.external_id}/"
