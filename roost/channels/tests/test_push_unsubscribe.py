"""Archiving a channel ends the network's push subscription for its account, against the
networks' contract servers (`linkedin_server`, `x_server.XActivityServer`,
`facebook_server`, each written from the network's API reference): after the archive
commits, never inside it, and a network that fails leaves the channel archived with the
error shown and audited."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from roost.channels import services
from roost.channels.models import Channel, ChannelStatus, CredentialKind
from roost.channels.network_apps import network_app_set, webhook_address
from roost.channels.push_subscriptions import channel_push_unsubscribe
from roost.channels.tests.facebook_server import PageSubscriptionsServer
from roost.channels.tests.linkedin_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MEMBER,
    ORGANIZATION,
    ORGANIZATION_ID,
    TOKEN,
    LinkedInServer,
)
from roost.channels.tests.x_server import XActivityServer
from roost.core.models import AuditEvent, ChannelGroup, Organization, User

APPLICATION_ID = "212345678"
WEBHOOK_ID = "1976325569252868099"
X_TOKEN = "x-user-token-for-roost"
X_USER = "1585841080431321088"
OTHER_X_USER = "2244994945"
PAGE_ID = "104818305596817"
PAGE_TOKEN = "EAAGm0PX4ZCpsBAPageTokenForTheRoostPage"
X_EVENTS = ("post.reply.create", "post.mention.create", "post.quote.create", "dm.received")


@pytest.fixture
def loopback(settings: Any) -> None:
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    settings.ROOST_BASE_URL = "https://roost.example"


@pytest.fixture
def make_channel(admin: User) -> Callable[..., Channel]:
    def make(
        org: Organization,
        actor: User,
        *,
        network: str,
        placement: str,
        handle: str,
        external_id: str,
        token: str,
        **settings: Any,
    ) -> Channel:
        group = ChannelGroup.objects.get_or_create(organization=org, name="Social")[0]
        channel = services.channel_create(
            actor=actor,
            organization=org,
            network=network,
            placement=placement,
            handle=handle,
            channel_group=group,
            primary_owner=actor,
            connector=network,
            external_id=external_id,
        )
        if settings:
            channel.settings = settings
            channel.save(update_fields=["settings"])
        services.channel_credential_set(
            actor=actor, channel=channel, kind=CredentialKind.OAUTH, secret=token
        )
        return channel

    return make


def _archive(channel: Channel, actor: User, capture: Any) -> Channel:
    with capture(execute=True):
        services.channel_status_set(actor=actor, channel=channel, status=ChannelStatus.ARCHIVED)
    channel.refresh_from_db()
    return channel


def _actions(org: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org, action__startswith="channels.push.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


# LinkedIn.


@pytest.fixture
def linkedin(httpserver: HTTPServer, settings: Any, loopback: None) -> Iterator[LinkedInServer]:
    server = LinkedInServer(httpserver)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints()
    yield server
    server.release()


@pytest.mark.django_db
def test_contract_archiving_a_linkedin_page_removes_its_event_subscription(
    org, admin, linkedin, make_channel, django_capture_on_commit_callbacks
):
    app = network_app_set(
        actor=admin, organization=org, network="linkedin", client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET, push_id=APPLICATION_ID,
    )  # fmt: skip
    channel = make_channel(
        org, admin, network="linkedin", placement="post", handle="devtestco",
        external_id=ORGANIZATION_ID, token=TOKEN,
    )  # fmt: skip
    linkedin.subscriptions[(APPLICATION_ID, MEMBER, ORGANIZATION)] = webhook_address(app)

    channel = _archive(channel, admin, django_capture_on_commit_callbacks)

    assert linkedin.subscriptions == {}
    assert channel.status == ChannelStatus.ARCHIVED and channel.last_error == ""
    assert _actions(org) == ["channels.push.unsubscribed"]
    # Run again (a task may run twice): LinkedIn's 404 counts as removed.
    assert channel_push_unsubscribe(channel_id=channel.pk) == "unsubscribed"


# X.


@pytest.fixture
def x_activity(httpserver: HTTPServer, settings: Any, loopback: None) -> XActivityServer:
    server = XActivityServer(httpserver, token=X_TOKEN)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    return server


def _x_app(org: Organization, actor: User) -> None:
    network_app_set(
        actor=actor, organization=org, network="x", client_id="rG9n6402A3dbUJKzXTNX4oWHJ",
        client_secret="x-client-secret", push_id=WEBHOOK_ID, push_secret="x-api-key-secret",
    )  # fmt: skip


@pytest.mark.django_db
def test_contract_archiving_an_x_account_deletes_its_activity_subscriptions_only(
    org, admin, other_org, make_user, x_activity, make_channel, django_capture_on_commit_callbacks
):
    _x_app(org, admin)
    other_admin = make_user(other_org, "admin")
    _x_app(other_org, other_admin)
    channel = make_channel(
        org, admin, network="x", placement="post", handle="@roost", external_id=X_USER,
        token=X_TOKEN,
    )  # fmt: skip
    theirs = make_channel(
        other_org, other_admin, network="x", placement="post", handle="@globex",
        external_id=OTHER_X_USER, token=X_TOKEN,
    )  # fmt: skip
    for event in X_EVENTS:
        x_activity.subscribe(user_id=X_USER, webhook_id=WEBHOOK_ID, event_type=event)
    kept = {
        x_activity.subscribe(user_id=OTHER_X_USER, webhook_id=WEBHOOK_ID, event_type=event)
        for event in X_EVENTS
    }

    channel = _archive(channel, admin, django_capture_on_commit_callbacks)

    assert set(x_activity.subscriptions) == kept
    assert channel.status == ChannelStatus.ARCHIVED and channel.last_error == ""
    assert _actions(org) == ["channels.push.unsubscribed"]
    # The other organisation's channel is untouched.
    theirs.refresh_from_db()
    assert theirs.status == ChannelStatus.ACTIVE and theirs.last_error == ""
    assert _actions(other_org) == []


@pytest.mark.django_db
def test_the_network_is_asked_only_after_the_archive_commits(
    org, admin, x_activity, make_channel, django_capture_on_commit_callbacks
):
    _x_app(org, admin)
    channel = make_channel(
        org, admin, network="x", placement="post", handle="@roost", external_id=X_USER,
        token=X_TOKEN,
    )  # fmt: skip
    x_activity.subscribe(user_id=X_USER, webhook_id=WEBHOOK_ID, event_type="dm.received")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.channel_status_set(actor=admin, channel=channel, status=ChannelStatus.ARCHIVED)
    assert not x_activity.httpserver.log and len(x_activity.subscriptions) == 1
    for callback in callbacks:
        callback()
    assert x_activity.subscriptions == {}


@pytest.mark.django_db
def test_a_channel_resumed_before_the_work_runs_keeps_its_subscription(
    org, admin, x_activity, make_channel
):
    _x_app(org, admin)
    channel = make_channel(
        org, admin, network="x", placement="post", handle="@roost", external_id=X_USER,
        token=X_TOKEN,
    )  # fmt: skip
    x_activity.subscribe(user_id=X_USER, webhook_id=WEBHOOK_ID, event_type="dm.received")
    assert channel_push_unsubscribe(channel_id=channel.pk) == "stale"
    assert len(x_activity.subscriptions) == 1 and not x_activity.httpserver.log


# Facebook and Instagram: one subscription per Page.


@pytest.fixture
def pages(httpserver: HTTPServer, settings: Any, loopback: None) -> PageSubscriptionsServer:
    server = PageSubscriptionsServer(httpserver, tokens={PAGE_ID: PAGE_TOKEN})
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints
    server.subscribed[PAGE_ID] = ["feed", "mention", "messages"]
    return server


def _meta_app(org: Organization, actor: User, network: str, client_id: str) -> None:
    network_app_set(
        actor=actor, organization=org, network=network, client_id=client_id,
        client_secret="meta-app-secret",
    )  # fmt: skip


def _page(org: Organization, actor: User, make_channel: Any, placement: str, **kw: Any) -> Channel:
    return make_channel(
        org, actor, network="facebook", placement=placement, handle="@roostbakery",
        external_id=PAGE_ID, token=kw.pop("token", PAGE_TOKEN),
    )  # fmt: skip


@pytest.mark.django_db
def test_contract_archiving_a_facebook_page_unsubscribes_the_app_from_it(
    org, admin, pages, make_channel, django_capture_on_commit_callbacks
):
    _meta_app(org, admin, "facebook", "1234567890123456")
    channel = _page(org, admin, make_channel, "feed")

    channel = _archive(channel, admin, django_capture_on_commit_callbacks)

    assert pages.subscribed == {}
    assert channel.status == ChannelStatus.ARCHIVED and channel.last_error == ""
    assert _actions(org) == ["channels.push.unsubscribed"]


@pytest.mark.django_db
def test_a_page_subscription_stays_while_another_channel_on_the_page_is_left(
    org, admin, pages, make_channel, django_capture_on_commit_callbacks
):
    _meta_app(org, admin, "facebook", "1234567890123456")
    _meta_app(org, admin, "instagram", "1234567890123456")  # the same Meta app
    feed = _page(org, admin, make_channel, "feed")
    reels = _page(org, admin, make_channel, "reels")
    instagram = make_channel(
        org, admin, network="instagram", placement="square", handle="roostbakery",
        external_id="17841400008460056", token=PAGE_TOKEN, page_id=PAGE_ID,
    )  # fmt: skip

    _archive(feed, admin, django_capture_on_commit_callbacks)
    _archive(instagram, admin, django_capture_on_commit_callbacks)
    assert pages.subscribed == {PAGE_ID: ["feed", "mention", "messages"]}
    assert not [r for r, _ in pages.httpserver.log if r.method == "DELETE"]

    _archive(reels, admin, django_capture_on_commit_callbacks)
    assert pages.subscribed == {}
    assert _actions(org) == [
        "channels.push.kept",
        "channels.push.kept",
        "channels.push.unsubscribed",
    ]


@pytest.mark.django_db
def test_a_failing_network_leaves_the_channel_archived_with_the_error_shown_and_audited(
    org, admin, pages, make_channel, django_capture_on_commit_callbacks
):
    _meta_app(org, admin, "facebook", "1234567890123456")
    wrong_token = "EAAGm0PX4ZCpsBAWrongTokenNobodyGave"
    channel = _page(org, admin, make_channel, "feed", token=wrong_token)

    channel = _archive(channel, admin, django_capture_on_commit_callbacks)

    assert channel.status == ChannelStatus.ARCHIVED
    assert "push subscription was not removed" in channel.last_error
    assert "Invalid OAuth access token" in channel.last_error
    assert pages.subscribed == {PAGE_ID: ["feed", "mention", "messages"]}
    assert _actions(org) == ["channels.push.unsubscribe_failed"]
    event = AuditEvent.objects.get(organization=org, action="channels.push.unsubscribe_failed")
    assert "CredentialRevoked" in event.after["error"]
    assert wrong_token not in json.dumps(event.after) and wrong_token not in channel.last_error


@pytest.mark.django_db
def test_without_the_organisations_app_nothing_is_asked(
    org, admin, pages, make_channel, django_capture_on_commit_callbacks
):
    channel = _page(org, admin, make_channel, "feed")
    channel = _archive(channel, admin, django_capture_on_commit_callbacks)
    assert channel.status == ChannelStatus.ARCHIVED and not pages.httpserver.log
    assert _actions(org) == []
