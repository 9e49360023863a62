"""Connecting a LinkedIn page through the pages subscribes its notifications to the
organisation's webhook, against LinkedIn's contract server (`linkedin_server`, written
from LinkedIn's API reference: OAuth, Organization Access Control and the Event
Subscription API of Organization Social Action Notifications)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from pytest_httpserver import HTTPServer

from roost.channels.models import Channel, NetworkApp
from roost.channels.network_apps import webhook_address
from roost.channels.tests.linkedin_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MEMBER,
    ORGANIZATION,
    LinkedInServer,
)
from roost.core.models import ChannelGroup

APPLICATION_ID = "212345678"


@pytest.fixture
def linkedin(httpserver: HTTPServer, settings: Any) -> Iterator[LinkedInServer]:
    server = LinkedInServer(httpserver)
    settings.ROOST_NETWORK_ENDPOINTS = server.endpoints()
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    settings.ROOST_BASE_URL = "https://roost.example"
    yield server
    server.release()


def _connect_the_page(client: Any, group: ChannelGroup) -> None:
    started = client.post(
        reverse("channels:network_connect", args=["linkedin"]), {"channel_group": group.pk}
    )
    assert started.status_code == 302
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    back = client.get(
        reverse("channels:network_callback", args=["linkedin"]), {"code": "c0de", "state": state}
    )
    assert back.status_code == 302, back.content
    done = client.post(back["Location"], {"choice": [f"{ORGANIZATION}|post"]})
    assert done.status_code == 302


@pytest.mark.django_db
def test_connecting_a_linkedin_page_subscribes_its_notifications_to_the_apps_webhook(
    org, admin, signed_in, linkedin
):
    client = signed_in(admin)
    saved = client.post(
        reverse("channels:network_apps"),
        {
            "network": "linkedin",
            "linkedin-client_id": CLIENT_ID,
            "linkedin-client_secret": CLIENT_SECRET,
            "linkedin-push_id": APPLICATION_ID,
        },
    )
    assert saved.status_code == 302
    app = NetworkApp.objects.get(organization=org, network="linkedin")
    assert app.push_id == APPLICATION_ID

    _connect_the_page(client, ChannelGroup.objects.create(organization=org, name="Social"))

    channel = Channel.objects.get(organization=org, network="linkedin")
    assert channel.external_id == ORGANIZATION and channel.last_error == ""
    address = webhook_address(app)
    assert address == f"https://roost.example/hooks/linkedin/{app.webhook_id}/"
    assert linkedin.subscriptions == {(APPLICATION_ID, MEMBER, ORGANIZATION): address}


@pytest.mark.django_db
def test_without_the_app_id_a_linkedin_page_connects_and_is_polled(org, admin, signed_in, linkedin):
    client = signed_in(admin)
    client.post(
        reverse("channels:network_apps"),
        {"network": "linkedin", "linkedin-client_id": CLIENT_ID,
         "linkedin-client_secret": CLIENT_SECRET},
    )  # fmt: skip
    _connect_the_page(client, ChannelGroup.objects.create(organization=org, name="Social"))
    channel = Channel.objects.get(organization=org, network="linkedin")
    assert channel.last_error == "" and linkedin.subscriptions == {}
