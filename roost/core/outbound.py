"""What core borrows from the channels app, which sits above it: the guard for outgoing
HTTP requests and the vault that seals secrets.

Requests leave through the channels app's guard against private destinations
(`roost.channels.destinations`: https only, every address public unless allowed in
`ROOST_ALLOW_PRIVATE_NETWORK_HOSTS`), and secrets are sealed by its vault. Core cannot
import either, so the channels app hands them over at start-up with `outbound_declare`.
Until it has, nothing is sent over HTTP and no secret is stored: the safe way to fail.
Notification webhooks and an organisation's identity provider use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outbound:
    # A requests session whose every connection is checked.
    session: Callable[[], Any]
    # Raises (an OSError) for a URL Roost may not call: not https, or not allowed.
    url_check: Callable[[str], None]
    # Whether Roost may connect to an IP address reached by a host name (public, or allowed).
    address_allowed: Callable[..., bool]
    # organization_secret_seal / _open / _rewrap of the vault.
    seal: Callable[..., str]
    unseal: Callable[..., str]
    rewrap: Callable[..., str | None]


_outbound: list[Outbound] = []


def outbound_declare(
    *,
    session: Callable[[], Any],
    url_check: Callable[[str], None],
    address_allowed: Callable[..., bool],
    seal: Callable[..., str],
    unseal: Callable[..., str],
    rewrap: Callable[..., str | None],
) -> None:
    _outbound[:] = [
        Outbound(
            session=session,
            url_check=url_check,
            address_allowed=address_allowed,
            seal=seal,
            unseal=unseal,
            rewrap=rewrap,
        )
    ]


def outbound() -> Outbound:
    if not _outbound:
        raise RuntimeError("the channels app has not declared the outbound guard and vault")
    return _outbound[0]
