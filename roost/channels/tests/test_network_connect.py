"""Network apps and the connect flow, through the pages, against a contract server.

The network is Threads (its connector is the one whose sign-in needs the most steps:
a code exchange, a long-lived token exchange, then the profile); a loopback HTTP
server answers as Meta's Threads API reference documents it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer

from roost.channels import vault
from roost.channels.models import Channel, Credential, NetworkApp
from roost.channels.network_apps import network_app_secrets_rewrap, network_app_set
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, ChannelGroup, Role

SECRET = "th-app-secret-9f3a7c"
CODE = "AQBx-code-from-threads"
SHORT = "THshortLivedToken"
LONG = "THlongLivedToken60days"
PROFILE = {"id": "25123456789012345", "username": "northwind", "name": "Northwind"}


@pytest.fixture
def threads(httpserver: HTTPServer, settings: Any) -> HTTPServer:
    base = httpserver.url_for("").rstrip("/")
    settings.ROOST_NETWORK_ENDPOINTS = {
        "https://graph.threads.net": base,
        "https://threads.com": base,
    }
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ["127.0.0.1", "localhost"]
    httpserver.expect_request("/oauth/access_token", method="POST").respond_with_json(
        {"access_token": SHORT, "user_id": PROFILE["id"]}
    )
    httpserver.expect_request("/access_token", method="GET").respond_with_json(
        {"access_token": LONG, "token_type": "bearer", "expires_in": 5184000}
    )
    httpserver.expect_request("/v1.0/me", method="GET").respond_with_json(PROFILE)
    return httpserver


@pytest.fixture
def group(org) -> ChannelGroup:
    return ChannelGroup.objects.create(organization=org, name="Social")


def _save_app(client: Any, **values: str) -> Any:
    data = {"network": "threads", "threads-client_id": "1234567890", **values}
    return client.post(reverse("channels:network_apps"), data)


def _sign_in_on_threads(client: Any, group: ChannelGroup) -> str:
    """Start connecting, and come back from Threads as its sign-in would; the choice's URL."""
    started = client.post(
        reverse("channels:network_connect", args=["threads"]), {"channel_group": group.pk}
    )
    assert started.status_code == 302
    authorize = urlsplit(started["Location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/oauth/authorize"
    assert query["client_id"] == ["1234567890"]
    assert query["redirect_uri"] == [
        "http://testserver/settings/channels/connect/threads/callback/"
    ]
    back = client.get(
        reverse("channels:network_callback", args=["threads"]),
        {"code": CODE, "state": query["state"][0]},
    )
    assert back.status_code == 302, back.content
    return str(back["Location"])


@pytest.mark.django_db
def test_an_admin_saves_the_app_and_its_secret_is_sealed_and_never_shown(
    org, admin, signed_in, threads
):
    client = signed_in(admin)
    assert _save_app(client, **{"threads-client_secret": SECRET}).status_code == 302
    app = NetworkApp.objects.get(organization=org, network="threads")
    assert SECRET not in app.client_secret_sealed
    page = client.get(reverse("channels:network_apps")).content.decode()
    assert "1234567890" in page and SECRET not in page
    assert "/settings/channels/connect/threads/callback/" in page
    event = AuditEvent.objects.get(action="channels.network_app.set")
    assert SECRET not in json.dumps(event.after) and event.after["secret_changed"] is True
    # Saving again without a secret keeps the stored one.
    assert _save_app(client, **{"threads-client_id": "999"}).status_code == 302
    app.refresh_from_db()
    assert app.client_id == "999"
    assert (
        vault.organization_secret_open(
            organization_id=org.pk, name="network_app", sealed=app.client_secret_sealed
        )
        == SECRET
    )


@pytest.mark.django_db
def test_a_new_app_needs_its_secret_and_awkward_input_is_refused(admin, signed_in, threads):
    client = signed_in(admin)
    missing = _save_app(client)
    assert missing.status_code == 422 and "Enter the client secret." in missing.content.decode()
    assert _save_app(client, **{"threads-client_secret": "a\x00b"}).status_code == 422
    assert _save_app(client, **{"threads-client_id": "x" * 400}).status_code == 400
    with pytest.raises(ApplicationError, match="characters"):
        network_app_set(
            actor=admin,
            organization=admin.organization,
            network="threads",
            client_id="\ud800",
            client_secret=SECRET,
        )
    assert not NetworkApp.objects.exists()


@pytest.mark.django_db
def test_only_admins_manage_network_apps(org, make_user, signed_in, group):
    manager = make_user(org, Role.PUBLISHER, channel_group=group)
    client = signed_in(manager)
    assert client.get(reverse("channels:network_apps")).status_code == 403
    with pytest.raises(ApplicationError):
        network_app_set(
            actor=manager, organization=org, network="threads", client_id="1", client_secret="2"
        )


@pytest.mark.django_db
def test_connecting_signs_in_on_the_network_lists_the_account_and_makes_the_chosen_channel(
    org, admin, signed_in, threads, group
):
    client = signed_in(admin)
    _save_app(client, **{"threads-client_secret": SECRET})
    choose = _sign_in_on_threads(client, group)
    exchange = next(r for r, _ in threads.log if r.path == "/oauth/access_token")
    assert exchange.form["code"] == CODE and exchange.form["client_secret"] == SECRET
    page = client.get(choose).content.decode()
    assert "@northwind" in page and LONG not in page and SHORT not in page

    done = client.post(choose, {"choice": [f"{PROFILE['id']}|post"]})
    assert done.status_code == 302
    channel = Channel.objects.get(organization=org, network="threads")
    assert (channel.handle, channel.placement, channel.connector) == (
        "@northwind",
        "post",
        "threads",
    )
    assert channel.external_id == PROFILE["id"] and channel.channel_group == group
    stored = json.loads(vault.credential_reveal(channel=channel, purpose="test"))
    assert stored["access_token"] == LONG
    assert stored["client"]["client_secret"] == SECRET
    credential = Credential.objects.get(channel=channel)
    assert credential.expires_at is not None
    assert credential.expires_at - timezone.now() > dt.timedelta(days=59)
    assert channel.last_error == ""  # the first check with the network passed
    assert AuditEvent.objects.filter(action="channels.channel.created").exists()
    # The choice is used once.
    assert client.post(choose, {"choice": [f"{PROFILE['id']}|post"]}).status_code == 302
    assert Channel.objects.filter(organization=org, network="threads").count() == 1


@pytest.mark.django_db
def test_a_choice_outside_the_list_or_another_organisations_flow_is_refused(
    org, admin, signed_in, threads, group, other_org, make_user, client
):
    own = signed_in(admin)
    _save_app(own, **{"threads-client_secret": SECRET})
    choose = _sign_in_on_threads(own, group)
    assert own.post(choose, {"choice": ["999|post"]}).status_code == 422
    assert own.post(choose, {"choice": [f"{PROFILE['id']}|reels"]}).status_code == 422
    assert not Channel.objects.filter(network="threads").exists()

    stranger = make_user(other_org, Role.ADMIN)
    client.force_login(stranger)
    assert client.get(choose).status_code == 302  # not their flow: nothing to choose
    assert not Channel.objects.filter(network="threads").exists()


@pytest.mark.django_db
def test_a_callback_not_started_here_creates_nothing(admin, signed_in, threads, group):
    client = signed_in(admin)
    _save_app(client, **{"threads-client_secret": SECRET})
    back = client.get(
        reverse("channels:network_callback", args=["threads"]), {"code": CODE, "state": "forged"}
    )
    assert back.status_code == 302 and back["Location"] == reverse("channels:list")
    assert not any(r.path == "/oauth/access_token" for r, _ in threads.log)


@pytest.mark.django_db
def test_connecting_without_an_app_says_where_to_enter_it(admin, signed_in, group):
    client = signed_in(admin)
    answer = client.post(
        reverse("channels:network_connect", args=["threads"]), {"channel_group": group.pk}
    )
    assert answer.status_code == 422
    assert "Network apps" in answer.content.decode()


@pytest.mark.django_db
def test_app_secrets_follow_a_master_key_rotation(org, admin, settings):
    network_app_set(
        actor=admin, organization=org, network="threads", client_id="1", client_secret=SECRET
    )
    assert network_app_secrets_rewrap() == 0  # already under the current key
