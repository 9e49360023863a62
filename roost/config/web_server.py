"""The WSGI server behind `roost web`: waitress, told which proxies to believe, in
one or more processes on the same port.

Pages are Python work under one interpreter lock per process, so one process uses one
core whatever its thread count; `roost run --web-processes N` starts N of them, each
binding the port with SO_REUSEPORT so that the kernel shares the connections out.
docs/web-load.md has the measurements behind the defaults.

Waitress itself trusts one proxy address; Roost accepts a list of addresses and
networks (`ROOST_TRUSTED_PROXIES`), so each request goes through waitress's own
proxy-header handling: as from a trusted proxy when its peer is one of them (the
scheme, host, port and client address then come from X-Forwarded-*), and as from
an untrusted peer otherwise, which strips every forwarding header so that a
client cannot pass itself off as https or as another address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

from waitress import create_server
from waitress.proxy_headers import proxy_headers_middleware

TRUSTED_PROXY_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
)

Application = Callable[..., Any]

# Open connections one web process keeps (waitress's own default is 100).
CONNECTION_LIMIT = 2000


def _trusted(peer: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in networks)


def proxy_aware(application: Application, trusted_proxies: Iterable[str]) -> Application:
    """`application` with forwarding headers believed from `trusted_proxies` only."""
    proxies = tuple(trusted_proxies)
    networks = [ipaddress.ip_network(item, strict=False) for item in proxies if item != "*"]
    trust_any = "*" in proxies
    from_proxy = proxy_headers_middleware(
        application, trusted_proxy="*", trusted_proxy_headers=TRUSTED_PROXY_HEADERS
    )
    # A trusted_proxy that matches no peer: waitress clears every forwarding header.
    from_anyone_else = proxy_headers_middleware(application, trusted_proxy=None)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        if trust_any or _trusted(peer, networks):
            return from_proxy(environ, start_response)
        return from_anyone_else(environ, start_response)

    return dispatch


def shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` that other processes may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def granian_server(*, host: str, port: int, workers: int, threads: int) -> Any:
    """A granian server, not yet running (call `.serve()`): `workers` processes, each
    with `threads` threads for the application. Connections are held by granian's own
    event loop (not Python's), so hundreds of open pages cost a waiting socket each, and
    the workers share the port."""
    from granian import Granian
    from granian.constants import Interfaces

    return Granian(
        "roost.config.wsgi_proxied:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        respawn_failed_workers=True,
        log_access=False,
    )


def web_server(
    application: Application,
    *,
    host: str,
    port: int,
    threads: int,
    trusted_proxies: Iterable[str],
    reuse_port: bool = False,
) -> Any:
    """A waitress server, not yet running (call `.run()`); port 0 picks a free one.
    With `reuse_port`, other processes may serve the same port (see the module)."""
    placement: dict[str, Any] = (
        {"sockets": [shared_socket(host, port)]} if reuse_port else {"host": host, "port": port}
    )
    return create_server(
        proxy_aware(application, trusted_proxies),
        **placement,
        threads=threads,
        ident="roost",
        # The headers are judged per peer in `proxy_aware` (with waitress's own code);
        # waitress's single-address check would otherwise clear them all first.
        clear_untrusted_proxy_headers=False,
        # Every open page keeps a connection: a team of hundreds keeps hundreds open.
        # Past the limit waitress stops accepting, and a new connection waits until an
        # idle one times out; poll() has no 1024-descriptor ceiling as select() has.
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,
    )
