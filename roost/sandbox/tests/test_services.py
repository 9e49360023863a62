"""Setting up the sandbox: accounts, knobs and inbound traffic."""

from __future__ import annotations

import pytest

from roost.channels.connectors.base import InboundKind
from roost.core.errors import ApplicationError, ErrorCode
from roost.sandbox.models import FAIL_UNTIL_CLEARED, FailMode, SandboxAccount
from roost.sandbox.services import sandbox_account_open, sandbox_inbound_add, sandbox_knobs_set

pytestmark = pytest.mark.django_db

# The sandbox keeps organisations apart by id; these tests live in one of them.
ORG = 1


def test_account_open_is_idempotent() -> None:
    account, secret = sandbox_account_open(
        organization_id=ORG, network="x", handle="acme", display_name="Acme"
    )
    again, same_secret = sandbox_account_open(
        organization_id=ORG, network="x", handle="acme", display_name="Other"
    )
    assert again.pk == account.pk
    assert same_secret == secret == account.secret
    assert again.display_name == "Acme"
    assert SandboxAccount.objects.count() == 1


def test_same_handle_on_two_networks_is_two_accounts() -> None:
    on_x, x_secret = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    on_bluesky, bluesky_secret = sandbox_account_open(
        organization_id=ORG, network="bluesky", handle="acme"
    )
    assert on_x.pk != on_bluesky.pk
    assert x_secret != bluesky_secret


def test_account_open_needs_a_catalogue_network_and_a_handle() -> None:
    with pytest.raises(ApplicationError) as raised:
        sandbox_account_open(organization_id=ORG, network="myspace", handle="acme")
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, "network")
    with pytest.raises(ApplicationError) as raised:
        sandbox_account_open(organization_id=ORG, network="x", handle=" ")
    assert raised.value.field == "handle"


def test_knobs_set_changes_only_what_is_given() -> None:
    account, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    sandbox_knobs_set(account=account, latency_ms=120)
    stored = sandbox_knobs_set(account=account, fail_mode="timeout", fail_remaining=3)
    assert (stored.latency_ms, stored.fail_mode, stored.fail_remaining) == (120, "timeout", 3)
    assert sandbox_knobs_set(account=account, fail_mode="expired").fail_remaining == (
        FAIL_UNTIL_CLEARED
    )
    cleared = sandbox_knobs_set(account=account, fail_mode=FailMode.NONE)
    assert (cleared.fail_mode, cleared.fail_remaining, cleared.latency_ms) == ("none", 0, 120)


@pytest.mark.parametrize(
    "knobs",
    [
        {"latency_ms": -1},
        {"fail_mode": "meltdown"},
        {"fail_remaining": -2},
        {"retry_after_s": -5},
    ],
)
def test_knobs_set_rejects_nonsense(knobs: dict[str, object]) -> None:
    account, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    with pytest.raises(ApplicationError) as raised:
        sandbox_knobs_set(account=account, **knobs)  # type: ignore[arg-type]
    assert raised.value.code is ErrorCode.INVALID


def test_inbound_sequences_count_up_per_account() -> None:
    acme, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    globex, _ = sandbox_account_open(organization_id=ORG, network="x", handle="globex")
    first = sandbox_inbound_add(account=acme, kind="comment", author_handle="a", text="1")
    sandbox_inbound_add(account=globex, kind="comment", author_handle="b", text="1")
    second = sandbox_inbound_add(
        account=acme, kind=InboundKind.DIRECT_MESSAGE, author_handle="c", text="2", language="pl"
    )
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.language == "pl"


def test_inbound_add_rejects_unknown_kind() -> None:
    account, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    with pytest.raises(ApplicationError) as raised:
        sandbox_inbound_add(account=account, kind="carrier_pigeon", author_handle="a", text="?")
    assert raised.value.field == "kind"


def test_the_sandbox_stores_the_kinds_connectors_speak_of() -> None:
    """One kind of inbound item for Roost and its sandbox network: what the sandbox stores
    is the connectors' own `InboundKind`, labels included."""
    from roost.sandbox import models

    assert models.InboundKind is InboundKind
    assert models.SandboxInbound._meta.get_field("kind").choices == InboundKind.choices
    account, _ = sandbox_account_open(organization_id=ORG, network="x", handle="acme")
    item = sandbox_inbound_add(account=account, kind="mention", author_handle="a", text="hi")
    item.refresh_from_db()
    assert InboundKind(item.kind) is InboundKind.MENTION
    assert InboundKind(item.kind).label == "Mention"
