"""Servers named when connecting an account: public https addresses only, unless the
setting allows a private one; checked on the address actually connected to; one
neutral error whatever the reason."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import requests
from pytest_httpserver import HTTPServer

from roost.channels import services
from roost.channels.connect import channel_app_password_connect
from roost.channels.connectors.base import ChannelRef, ConnectorError
from roost.channels.connectors.bluesky import BlueskyConnector
from roost.channels.connectors.mastodon import MastodonConnector
from roost.channels.destinations import (
    DestinationRefused,
    guarded_create_connection,
    guarded_session,
    guarded_transport,
    neutral_message,
)
from roost.channels.oauth import OAuthError, OAuthErrorCode, mastodon_app_register
from roost.config.env import ConfigurationError, parse_private_network_hosts, read_environment
from roost.core.errors import ApplicationError
from roost.core.models import ChannelGroup, Role

REDIRECT_URI = "https://roost.example.com/settings/channels/connect/mastodon/callback/"


@pytest.fixture
def public_only(settings):
    """The production default: no private destination is allowed."""
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ()


class Listener:
    """A TCP port on loopback that records whether anyone connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        self.sock.setblocking(False)
        count = 0
        while True:
            try:
                accepted, _ = self.sock.accept()
            except BlockingIOError:
                return count
            accepted.close()
            count += 1


@pytest.fixture
def listener() -> Iterator[Listener]:
    port = Listener()
    yield port
    port.sock.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PRIVATE_URLS = [
    "https://127.0.0.1:{port}",
    "https://localhost:{port}",  # a name that resolves to loopback
    "https://[::ffff:127.0.0.1]:{port}",
    "https://169.254.169.254",  # cloud metadata
    "https://10.1.2.3",
    "https://192.168.0.1",
    "https://[fd00::1]",
    "https://100.64.0.1",  # shared address space
    "https://0.0.0.0:{port}",
]


@pytest.mark.parametrize("template", PRIVATE_URLS)
def test_mastodon_registration_refuses_private_addresses_without_connecting(
    public_only, listener, template
):
    url = template.format(port=listener.port)
    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(instance_url=url, redirect_uri=REDIRECT_URI)
    assert refused.value.code is OAuthErrorCode.UNAVAILABLE
    assert "could not reach a server" in refused.value.message
    assert listener.connections() == 0


def test_plain_http_is_refused_for_any_host_not_named_in_the_setting(public_only, listener):
    with pytest.raises(OAuthError) as refused:
        mastodon_app_register(
            instance_url=f"http://127.0.0.1:{listener.port}", redirect_uri=REDIRECT_URI
        )
    assert refused.value.code is OAuthErrorCode.INSTANCE_INVALID
    assert listener.connections() == 0


def test_an_open_and_a_closed_port_give_the_same_message(public_only, listener):
    messages = []
    for port in (listener.port, closed_port()):
        with pytest.raises(OAuthError) as refused:
            mastodon_app_register(
                instance_url=f"https://127.0.0.1:{port}", redirect_uri=REDIRECT_URI
            )
        messages.append(refused.value.message)
    assert messages[0] == messages[1] == neutral_message("127.0.0.1")


def test_with_the_setting_a_server_that_is_not_mastodon_reads_like_no_server(
    settings, httpserver: HTTPServer
):
    """Allowed, but something else listens (a web page, an error) or nothing does:
    one message, so registration cannot be used to map services."""
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ("127.0.0.1",)
    httpserver.expect_ordered_request("/api/v1/apps").respond_with_data("<h1>Hi</h1>", 200)
    httpserver.expect_ordered_request("/api/v1/apps").respond_with_data("Not here", 404)
    httpserver.expect_ordered_request("/api/v1/apps").respond_with_data("Oops", 503)
    messages = []
    for port in (httpserver.port, httpserver.port, httpserver.port, closed_port()):
        with pytest.raises(OAuthError) as refused:
            mastodon_app_register(
                instance_url=f"http://127.0.0.1:{port}", redirect_uri=REDIRECT_URI
            )
        messages.append(refused.value.message)
    assert messages == [neutral_message("127.0.0.1")] * 4


def test_the_setting_allows_a_private_instance(settings, httpserver: HTTPServer):
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ("10.0.0.0/8", "127.0.0.1")
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(
        {"client_id": "abc", "client_secret": "def"}
    )
    client = mastodon_app_register(
        instance_url=f"http://127.0.0.1:{httpserver.port}", redirect_uri=REDIRECT_URI
    )
    assert client.client_id == "abc"


@pytest.mark.django_db
def test_connecting_bluesky_refuses_a_private_server_with_the_neutral_message(
    public_only, listener, org, admin, make_user
):
    group = ChannelGroup.objects.create(organization=org, name="Corporate")
    channel = services.channel_create(
        actor=admin,
        organization=org,
        network="bluesky",
        placement="post",
        handle="acme.example.com",
        channel_group=group,
        primary_owner=make_user(org, Role.PUBLISHER, channel_group=group),
        connector="bluesky",
    )
    messages = []
    for service in (
        f"https://127.0.0.1:{listener.port}",
        f"https://127.0.0.1:{closed_port()}",
        f"http://127.0.0.1:{listener.port}",
    ):
        with pytest.raises(ApplicationError) as refused:
            channel_app_password_connect(
                actor=admin, channel=channel, password="app-pass", settings={"service": service}
            )
        messages.append(refused.value.message)
    assert messages == [neutral_message("127.0.0.1")] * 3
    assert listener.connections() == 0
    channel.refresh_from_db()
    assert "service" not in channel.settings


def test_connectors_refuse_private_addresses_on_every_call(public_only, listener):
    ref = ChannelRef(
        id=1,
        network="mastodon",
        placement="post",
        handle="@roost@localhost",
        organization_id=1,
        external_id="1",
        settings={"instance": f"https://localhost:{listener.port}"},
    )
    with pytest.raises(ConnectorError):
        MastodonConnector(channel=ref, secret="token").verify()
    bluesky = ChannelRef(
        id=2,
        network="bluesky",
        placement="post",
        handle="acme.example.com",
        organization_id=1,
        external_id="",
        settings={"service": f"https://localhost:{listener.port}"},
    )
    with pytest.raises(ConnectorError):
        BlueskyConnector(channel=bluesky, secret="app-pass").verify()
    assert listener.connections() == 0


def test_both_http_clients_check_the_address_they_connect_to(public_only, listener):
    with pytest.raises(requests.ConnectionError), guarded_session() as http:
        http.get(f"https://localhost:{listener.port}/", timeout=5)
    with pytest.raises(httpx.ConnectError), httpx.Client(transport=guarded_transport()) as http:
        http.get(f"https://localhost:{listener.port}/", timeout=5)
    assert listener.connections() == 0


def test_with_a_stubbed_resolver_one_lookup_is_checked_and_connected_to(
    settings, listener, monkeypatch
):
    """DNS rebinding: a name that answers a checked address first and a private one
    next. The connection goes to the checked answer; nothing is looked up twice."""
    settings.ROOST_ALLOW_PRIVATE_NETWORK_HOSTS = ("127.0.0.0/8",)
    answers = iter(["127.0.0.1", "10.255.255.1", "10.255.255.1"])
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        return real_getaddrinfo(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    sock = guarded_create_connection("rebind.test", listener.port, 5)
    sock.close()
    assert lookups == ["rebind.test"]
    assert listener.connections() == 1
    # The same name, now answering a private address outside the setting: refused.
    with pytest.raises(DestinationRefused):
        guarded_create_connection("rebind.test", listener.port, 5)
    assert listener.connections() == 0


def test_with_a_stubbed_resolver_a_name_with_any_private_answer_is_refused(
    public_only, listener, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo

    def mixed(host, port, *args, **kwargs):
        if host != "mixed.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return real_getaddrinfo("93.184.215.14", port, *args, **kwargs) + real_getaddrinfo(
            "127.0.0.1", port, *args, **kwargs
        )

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(DestinationRefused):
        guarded_create_connection("mixed.test", listener.port, 5)
    assert listener.connections() == 0


def test_the_setting_is_read_from_the_environment():
    assert read_environment({}).allow_private_network_hosts == ()
    env = read_environment(
        {"ROOST_ALLOW_PRIVATE_NETWORK_HOSTS": "10.20.0.0/16, mastodon.internal ,fd00::1"}
    )
    assert env.allow_private_network_hosts == ("10.20.0.0/16", "mastodon.internal", "fd00::1")
    with pytest.raises(ConfigurationError, match="ROOST_ALLOW_PRIVATE_NETWORK_HOSTS"):
        parse_private_network_hosts("http://mastodon.internal")
