"""What notifications borrow from the channels app, which sits above core.

Webhooks are sent through the channels app's guard against private destinations
(`roost.channels.destinations`: https only, every address public unless allowed in
`ROOST_ALLOW_PRIVATE_NETWORK_HOSTS`), and their secrets are sealed by its vault. Core
cannot import either, so the channels app hands them over at start-up with
`outbound_declare` (`roost.core.outbound`, re-exported here). Until it has, nothing is
sent over HTTP and no secret is stored: the safe way to fail.
"""

from __future__ import annotations

from roost.core.outbound import Outbound, outbound, outbound_declare

__all__ = [
    "Outbound",
    "outbound",
    "outbound_declare",
    "secret_open",
    "secret_rewrap",
    "secret_seal",
]


def secret_name(contact_method_id: int) -> str:
    """The vault's name for a contact method's secret: binds it to that one row."""
    return f"contact_method_{contact_method_id}"


def secret_seal(*, organization_id: int, contact_method_id: int, secret: str) -> str:
    return outbound().seal(
        organization_id=organization_id, name=secret_name(contact_method_id), secret=secret
    )


def secret_open(*, organization_id: int, contact_method_id: int, sealed: str) -> str:
    """The plaintext, for the request about to be sent. Never keep, log or show it."""
    if not sealed:
        return ""
    return outbound().unseal(
        organization_id=organization_id, name=secret_name(contact_method_id), sealed=sealed
    )


def secret_rewrap(*, organization_id: int, contact_method_id: int, sealed: str) -> str | None:
    """`sealed` under the vault's current master key, or None when it already is."""
    return outbound().rewrap(
        organization_id=organization_id, name=secret_name(contact_method_id), sealed=sealed
    )
