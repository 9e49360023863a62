"""Where Roost may send requests on a person's say-so: public addresses, over https.

Connecting a Mastodon or Bluesky account makes Roost call a server that the
person names. Without care that lets anyone who may manage a channel make Roost
probe its own network: loopback, link-local (cloud metadata services), private
ranges. So every such request goes through here:

- the URL must be https; plain http only for a host named in
  `ROOST_ALLOW_PRIVATE_NETWORK_HOSTS` (a private instance without TLS);
- the host name is resolved when the connection is made, every address it
  resolves to must be public (or inside an allowed private network or name),
  and the socket connects to an address that was checked. The check and the
  connection use one resolution, so a name that answers differently the second
  time (DNS rebinding) gains nothing;
- a refusal reads the same as an unreachable server (`NEUTRAL_MESSAGE`), so the
  answer does not tell which internal addresses or ports exist.

`guarded_session()` (requests, used by Mastodon.py and the OAuth token calls)
and `guarded_transport()` (httpx, used by the Bluesky SDK) apply the check to
every connection they open, redirects included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import requests
from django.conf import settings
from httpcore._backends.sync import SyncBackend
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

NEUTRAL_MESSAGE = (
    "Roost could not reach a server at {host}. Check the address; the server must be "
    "reachable on the public internet over https."
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DestinationRefused(OSError):
    """The destination is not a public https address Roost may call."""

    def __init__(self, host: str) -> None:
        super().__init__(NEUTRAL_MESSAGE.format(host=host))
        self.host = host


def neutral_message(host: str) -> str:
    return NEUTRAL_MESSAGE.format(host=host)


def _allowances() -> tuple[list[Network], set[str]]:
    networks: list[Network] = []
    names: set[str] = set()
    for item in getattr(settings, "ROOST_ALLOW_PRIVATE_NETWORK_HOSTS", ()):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.strip().lower().rstrip("."))
    return networks, names


def _plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def address_allowed(address: Address, *, host: str) -> bool:
    """Whether Roost may connect to `address`, reached through the name `host`."""
    networks, names = _allowances()
    address = _plain(address)
    if host.lower().rstrip(".") in names:
        return True
    if any(address in network for network in networks):
        return True
    return _public(address)


def plain_http_allowed(host: str) -> bool:
    """Plain http is for a private server named in the setting, never a public one."""
    networks, names = _allowances()
    name = host.strip("[]").lower().rstrip(".")
    if name in names:
        return True
    try:
        address = _plain(ipaddress.ip_address(name))
    except ValueError:
        return False
    return any(address in network for network in networks)


def url_check(url: str) -> None:
    """Refuse a URL that is not https (or allowed plain http). Raises `DestinationRefused`;
    the addresses are checked when connecting."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.scheme not in ("http", "https"):
        raise DestinationRefused(host or url)
    if parts.scheme == "http" and not plain_http_allowed(host):
        raise DestinationRefused(host)


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """`getaddrinfo` answers for `host`, all of them allowed, or `DestinationRefused`.

    A name with any refused address is refused as a whole: a public address next
    to a private one is how a rebinding name hedges."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DestinationRefused(host) from None
    if not answers:
        raise DestinationRefused(host)
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address_allowed(address, host=host):
            raise DestinationRefused(host)
    return answers


def guarded_create_connection(
    host: str,
    port: int,
    timeout: float | None,
    *,
    source_address: tuple[str, int] | None = None,
    socket_options: Sequence[tuple[int, int, int | bytes]] | None = None,
) -> socket.socket:
    """A TCP socket to a checked address of `host` (see `resolve`)."""
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or DestinationRefused(host)


# requests / urllib3.


def _new_guarded_conn(connection: HTTPConnection) -> socket.socket:
    timeout = connection.timeout if isinstance(connection.timeout, int | float) else None
    try:
        return guarded_create_connection(
            connection._dns_host,
            connection.port,
            timeout,
            source_address=connection.source_address,
            socket_options=connection.socket_options,
        )
    except OSError as exc:
        raise NewConnectionError(connection, str(exc)) from exc


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _new_guarded_conn(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _new_guarded_conn(self)


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection  # type: ignore[assignment]


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection  # type: ignore[assignment]


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url_check(request.url or "")
        return super().send(request, *args, **kwargs)


def guarded_session() -> requests.Session:
    """A requests session whose every connection is checked; no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    adapter = _GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# httpx / httpcore.


class _GuardedBackend(SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            answers = resolve(host, port)
        except DestinationRefused as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for *_, sockaddr in answers:
            try:
                return super().connect_tcp(
                    str(sockaddr[0]),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(neutral_message(host))


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # httpcore connects through its network backend; TLS still checks the
        # certificate against the host name of the request.
        self._pool._network_backend = _GuardedBackend()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            url_check(str(request.url))
        except DestinationRefused as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        return super().handle_request(request)


def guarded_transport() -> httpx.HTTPTransport:
    """An httpx transport whose every connection is checked."""
    return _GuardedTransport()
