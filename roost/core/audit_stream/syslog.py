"""Audit events as syslog messages (RFC 5424), sent over TCP (RFC 6587 octet counting)
or UDP (RFC 5426, one message per datagram).

Each message is `<109>1 TIMESTAMP HOST roost - MSGID - BOM{json}`: facility 13 ("log
audit") at severity 5 (notice), the event's action as MSGID, no structured data (no
enterprise number is registered for Roost), and the event as JSON, the same object the
JSON-lines export writes, as the message. The connection is checked the way every
outbound call is: to a public address, or a private one allowed by
`ROOST_ALLOW_PRIVATE_NETWORK_HOSTS`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
from collections.abc import Sequence

from roost.core.audit import event_as_dict
from roost.core.models import AuditEvent
from roost.core.notifications.outbound import outbound
from roost.core.notifications.providers import SendFailed

PRI = 13 * 8 + 5
BOM = "\ufeff".encode()
# Large enough for any event; a datagram beyond it is cut down to the event's head.
UDP_MAX = 8192
TIMEOUT_SECONDS = 10.0


def _printable(text: str, limit: int) -> str:
    kept = "".join(ch for ch in text if 33 <= ord(ch) <= 126)[:limit]
    return kept or "-"


def _hostname() -> str:
    return _printable(socket.gethostname(), 255)


def syslog_message(event: AuditEvent, *, shorten: bool = False) -> bytes:
    stamp = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = event_as_dict(event)
    if shorten:
        body = {**body, "before": None, "after": None, "details_left_out": True}
    header = f"<{PRI}>1 {stamp} {_hostname()} roost - {_printable(event.action, 32)} - "
    return header.encode("ascii") + BOM + json.dumps(body, separators=(",", ":")).encode()


def _addresses(host: str, port: int, kind: int) -> list[tuple[int, tuple[str, int]]]:
    try:
        found = socket.getaddrinfo(host, port, type=kind)
    except OSError:
        raise SendFailed(f"{host} could not be resolved", retryable=True) from None
    allowed = []
    for family, _, _, _, address in found:
        if outbound().address_allowed(ipaddress.ip_address(address[0]), host=host):
            allowed.append((int(family), (str(address[0]), int(address[1]))))
    if not allowed:
        raise SendFailed(f"{host} is not an address Roost may send to", retryable=False)
    return allowed


def syslog_send(*, host: str, port: int, udp: bool, events: Sequence[AuditEvent]) -> None:
    """Send the events in order; raises `SendFailed` when they may not all have arrived."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    family, address = _addresses(host, port, kind)[0]
    try:
        with socket.socket(family, kind) as sock:
            sock.settimeout(TIMEOUT_SECONDS)
            sock.connect(address)
            if udp:
                for event in events:
                    message = syslog_message(event)
                    if len(message) > UDP_MAX:
                        message = syslog_message(event, shorten=True)
                    sock.send(message)
            else:
                frames = []
                for event in events:
                    message = syslog_message(event)
                    frames.append(f"{len(message)} ".encode() + message)
                sock.sendall(b"".join(frames))
                sock.shutdown(socket.SHUT_WR)
    except TimeoutError:
        raise SendFailed(
            f"{host} did not answer within {TIMEOUT_SECONDS:g} s", retryable=True
        ) from None
    except OSError as exc:
        raise SendFailed(
            f"could not send to {host}:{port} ({type(exc).__name__})", retryable=True
        ) from None
