"""The vault's and the OAuth flow's errors follow the one style of domain errors: a
`DomainError` whose code is a member of the domain's StrEnum, and whose message comes
from the domain's table, reading word for word as it always did."""

from __future__ import annotations

import base64
import enum
from typing import Any

import pytest

from roost.channels import oauth, vault
from roost.channels.oauth import OAuthClient, OAuthError, OAuthErrorCode
from roost.channels.vault import VaultError, VaultErrorCode, parse_keyring
from roost.core.errors import DomainError


@pytest.mark.parametrize(
    ("module", "codes"), [(vault, VaultErrorCode), (oauth, OAuthErrorCode)], ids=["vault", "oauth"]
)
def test_every_code_has_its_message_in_the_table(module: Any, codes: type[enum.StrEnum]) -> None:
    assert issubclass(codes, enum.StrEnum)
    assert set(module.MESSAGES) == set(codes)


def test_vault_errors_are_domain_errors_with_the_messages_people_read() -> None:
    short_key = base64.urlsafe_b64encode(b"k" * 16).decode()
    cases = {
        "nocolon": "ROOST_ENCRYPTION_KEYS entry 1 has no ':' (expected 'key_id:base64-key')",
        "bad id!:abc": "ROOST_ENCRYPTION_KEYS entry 1: the key id must be 1 to 40 letters, "
        "digits, '.', '_' or '-' (expected 'key_id:base64-key')",
        "k1:!!!": "ROOST_ENCRYPTION_KEYS entry 1 ('k1'): the key is not valid base64",
        f"k1:{short_key}": "ROOST_ENCRYPTION_KEYS entry 1 ('k1'): the key is 16 bytes, a key "
        'must be 32 bytes (make one with: python -c "import os, base64; '
        'print(base64.urlsafe_b64encode(os.urandom(32)).decode())")',
    }
    for raw, message in cases.items():
        with pytest.raises(VaultError) as raised:
            parse_keyring(raw, secret_key="s")
        assert isinstance(raised.value, DomainError)
        assert raised.value.code is VaultErrorCode.KEYRING_INVALID
        assert raised.value.message == str(raised.value) == message
    ring = parse_keyring("", secret_key="s")
    with pytest.raises(VaultError) as raised:
        ring.key("gone")
    assert raised.value.code is VaultErrorCode.KEY_UNKNOWN
    assert raised.value.message == (
        "Master key 'gone' is not in ROOST_ENCRYPTION_KEYS (known: demo); "
        "add it back to open credentials sealed with it."
    )


def test_oauth_errors_are_domain_errors_with_the_messages_people_read() -> None:
    client = OAuthClient(
        authorize_url="https://network.example/authorize",
        token_url="https://network.example/token",
        client_id="roost",
        redirect_uri="https://roost.example/back",
    )
    with pytest.raises(OAuthError) as raised:
        oauth.oauth_finish(client=client, session={}, params={})
    assert isinstance(raised.value, DomainError)
    assert raised.value.code is OAuthErrorCode.STATE_MISSING
    assert raised.value.message == (
        "The network's answer carries no state, so it cannot be matched to a "
        "connection started here. Start connecting the account again."
    )
    with pytest.raises(OAuthError) as raised:
        oauth.oauth_finish(client=client, session={}, params={"state": "unknown"})
    assert raised.value.code is OAuthErrorCode.STATE_MISMATCH
    assert raised.value.message == (
        "The network's answer does not match a connection started in this browser "
        "(or it was already used). Start connecting the account again."
    )
    assert not raised.value.retryable
