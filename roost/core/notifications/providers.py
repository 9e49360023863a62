"""The kinds of contact method: how one message leaves Roost for one person.

Every kind is a `Provider`: it checks the target a person enters (an address, a URL, a
number) and sends one `Outgoing` message to it. Roost declares `email`, `slack` and
`webhook` at start-up; an SMS or push service is added the same way, either by code
calling `provider_declare` in an app's `ready()`, or by an installed package naming a
`Provider` (or a function returning one) in the `roost.notification_providers`
entry-point group:

    [project.entry-points."roost.notification_providers"]
    acme_sms = "acme_roost.sms:provider"

A provider's `send` runs outside any transaction. It returns when the message was
accepted and raises `SendFailed` when it was not, saying whether trying again later may
help (a timeout, a 5xx) or not (a 4xx, an address that does not exist). Any other
exception counts as worth a retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "roost.notification_providers"


@dataclass(frozen=True)
class Outgoing:
    """One message for one contact method, as a provider receives it."""

    delivery_id: int
    kind: str
    target: str  # the address, URL or number the person entered
    # The kind's secret from the vault ("" for none): use it, never log or keep it.
    secret: str
    subject: str
    body: str
    url: str  # absolute, "" when the message links nowhere
    urgency: str
    organization_name: str
    person_name: str
    is_test: bool = False


class SendFailed(Exception):
    """The message was not accepted. `retryable`: whether a later attempt may succeed.
    The message is shown to the person and stored: it never holds a secret."""

    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status_code = status_code


class TargetInvalid(ValueError):
    """A target that this kind cannot send to; the message says why, for the form."""


@dataclass(frozen=True)
class Provider:
    kind: str
    label: str
    send: Callable[[Outgoing], None]
    # Returns the target as stored (trimmed, normalised) or raises `TargetInvalid`.
    validate: Callable[[str], str] = lambda target: target.strip()
    target_label: str = "Address"
    target_help: str = ""
    # Whether the kind keeps a secret in the vault; `make_secret` makes one when the
    # person gives none (the signed webhook's key), else the person must give it.
    takes_secret: bool = False
    make_secret: Callable[[], str] | None = None
    # What to show of the target, when all of it is secret (a Slack webhook's URL).
    display: Callable[[str], str] | None = None


_providers: dict[str, Provider] = {}
_entry_points_loaded = False


def provider_declare(
    *,
    kind: str,
    label: str,
    send: Callable[[Outgoing], None],
    validate: Callable[[str], str] | None = None,
    target_label: str = "Address",
    target_help: str = "",
    takes_secret: bool = False,
    make_secret: Callable[[], str] | None = None,
    display: Callable[[str], str] | None = None,
) -> Provider:
    """Add a kind of contact method (declaring a kind again replaces it)."""
    if not kind or not kind.replace("_", "").isalnum() or kind != kind.lower() or len(kind) > 40:
        raise ValueError(f"a provider's kind is up to 40 of a-z, 0-9 and _, not {kind!r}")
    provider = Provider(
        kind=kind,
        label=label,
        send=send,
        validate=validate or (lambda target: target.strip()),
        target_label=target_label,
        target_help=target_help,
        takes_secret=takes_secret,
        make_secret=make_secret,
        display=display,
    )
    _providers[kind] = provider
    return provider


def provider_forget(kind: str) -> None:
    """Remove a declared kind (for tests and for a plug-in being switched off)."""
    _providers.pop(kind, None)


def providers_load_entry_points(*, reload: bool = False) -> list[str]:
    """Declare every provider named in the entry-point group; answers their kinds. A
    broken plug-in is logged and left out, so one bad package cannot stop Roost."""
    global _entry_points_loaded
    if _entry_points_loaded and not reload:
        return []
    _entry_points_loaded = True
    kinds = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found = entry.load()
            provider = found if isinstance(found, Provider) else found()
            if not isinstance(provider, Provider):
                raise TypeError(f"{entry.value} gives no Provider")
        except Exception:
            log.exception("notification provider %r could not be loaded", entry.name)
            continue
        _providers[provider.kind] = provider
        kinds.append(provider.kind)
    return kinds


def provider_get(kind: str) -> Provider | None:
    providers_load_entry_points()
    return _providers.get(kind)


def providers_declared() -> list[Provider]:
    providers_load_entry_points()
    built_in = ("email", "slack", "webhook")
    return sorted(
        _providers.values(),
        key=lambda p: (built_in.index(p.kind) if p.kind in built_in else 99, p.label),
    )
