"""The credential vault: secrets sealed per channel, keys rotated online, nothing leaked."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from roost.channels import vault
from roost.channels.models import Channel, Credential, CredentialKind
from roost.channels.vault import VaultError, VaultErrorCode
from roost.core.errors import ApplicationError
from roost.core.models import AuditEvent, ChannelGroup, Organization, User

SECRET = "bsky-app-password-7f3a-very-secret"


def new_key(*, urlsafe: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(os.urandom(32)).decode()


@pytest.fixture
def keys(settings: Any) -> Callable[[str], None]:
    def configure(value: str) -> None:
        settings.ROOST_ENCRYPTION_KEYS = value

    configure(f"k1:{new_key()}")
    return configure


@pytest.fixture
def make_channel(org: Organization, admin: User) -> Callable[..., Channel]:
    group = ChannelGroup.objects.create(organization=org, name="G")

    def make(handle: str = "acme.test", organization: Organization | None = None) -> Channel:
        owner_org = organization or org
        return Channel.objects.create(
            organization=owner_org,
            network="bluesky",
            placement="post",
            connector="sandbox",
            handle=handle,
            channel_group=(
                group
                if owner_org == org
                else ChannelGroup.objects.create(organization=owner_org, name="G")
            ),
            primary_owner=admin,
        )

    return make


@pytest.fixture
def channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel()


def store(channel: Channel, actor: User | None, secret: str = SECRET, **extra: Any) -> Credential:
    return vault.credential_store(
        channel=channel, actor=actor, kind=CredentialKind.APP_PASSWORD, secret=secret, **extra
    )


def actions(org: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org, action__startswith="channels.credential.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def row_bytes(credential: Credential) -> tuple[str, bytes, bytes]:
    credential.refresh_from_db()
    return credential.key_id, bytes(credential.wrapped_key), bytes(credential.ciphertext)


# Round trip and what is stored.


def test_store_then_reveal_returns_the_secret(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    expires = timezone.now() + dt.timedelta(days=30)
    credential = store(channel, admin, expires_at=expires)

    assert credential.key_id == "k1"
    assert credential.expires_at == expires
    assert vault.credential_reveal(channel=channel, purpose="publish") == SECRET
    assert actions(channel.organization) == [
        "channels.credential.stored",
        "channels.credential.used",
    ]
    stored = AuditEvent.objects.get(action="channels.credential.stored")
    assert stored.actor == admin
    assert stored.after == {
        "kind": "app_password",
        "key_id": "k1",
        "expires_at": expires.isoformat(),
    }
    used = AuditEvent.objects.get(action="channels.credential.used")
    assert used.actor is None
    assert used.after["purpose"] == "publish" and used.after["first_in_hour"] is True


def test_stored_bytes_do_not_contain_the_secret(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    credential = store(channel, admin)
    _, wrapped, ciphertext = row_bytes(credential)

    for blob in (wrapped, ciphertext):
        assert SECRET.encode() not in blob
        assert SECRET.encode("utf-16-le") not in blob
    # nonce + 32-byte data key + tag; nonce + secret + tag
    assert len(wrapped) == 12 + 32 + 16
    assert len(ciphertext) == 12 + len(SECRET) + 16
    assert SECRET not in str(credential) and SECRET not in repr(credential)


def test_the_same_secret_seals_differently_each_time(
    keys: Callable[[str], None], make_channel: Callable[..., Channel], admin: User
) -> None:
    first = row_bytes(store(make_channel("a.test"), admin))
    second = row_bytes(store(make_channel("b.test"), admin))

    assert first[1] != second[1]
    assert first[2] != second[2]


def test_replacing_keeps_one_row_with_a_fresh_data_key(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    first = store(channel, admin)
    before = row_bytes(first)
    second = vault.credential_store(
        channel=channel, actor=admin, kind="access_token", secret="new-token"
    )

    assert second.pk == first.pk
    assert Credential.objects.filter(channel=channel).count() == 1
    assert row_bytes(second)[1] != before[1]
    assert vault.credential_reveal(channel=channel, purpose="publish") == "new-token"
    replaced = AuditEvent.objects.get(action="channels.credential.replaced")
    assert replaced.before == {"kind": "app_password", "key_id": "k1", "expires_at": None}
    assert replaced.after == {"kind": "access_token", "key_id": "k1", "expires_at": None}


def test_empty_secret_is_refused(keys: Callable[[str], None], channel: Channel) -> None:
    with pytest.raises(ApplicationError):
        store(channel, None, secret="")
    assert not Credential.objects.exists()


def test_delete_removes_the_credential_and_is_audited(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    store(channel, admin)

    assert vault.credential_delete(channel=channel, actor=admin) is True
    assert vault.credential_delete(channel=channel, actor=admin) is False

    assert not Credential.objects.exists()
    assert actions(channel.organization) == [
        "channels.credential.stored",
        "channels.credential.deleted",
    ]
    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=channel, purpose="publish")
    assert raised.value.code == VaultErrorCode.NO_CREDENTIAL


def test_no_audit_entry_holds_the_secret(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    k1 = new_key()
    keys(f"k1:{k1}")
    store(channel, admin)
    vault.credential_reveal(channel=channel, purpose="publish")
    store(channel, admin, secret=SECRET + "-2")
    keys(f"k2:{new_key()},k1:{k1}")
    vault.vault_rotate_key()
    vault.credential_delete(channel=channel, actor=admin)

    events = AuditEvent.objects.filter(organization=channel.organization)
    assert actions(channel.organization) == [
        "channels.credential.stored",
        "channels.credential.used",
        "channels.credential.replaced",
        "channels.credential.rekeyed",
        "channels.credential.deleted",
    ]
    for event in events:
        text = f"{event.before} {event.after} {event.target_label}"
        assert SECRET not in text
        assert k1 not in text


# Rotation.


def test_rotation_rewraps_every_row_and_old_rows_open_meanwhile(
    keys: Callable[[str], None], make_channel: Callable[..., Channel], admin: User
) -> None:
    k1, k2 = new_key(), new_key(urlsafe=False)
    keys(f"k1:{k1}")
    channels = [make_channel(f"c{n}.test") for n in range(3)]
    for n, each in enumerate(channels):
        store(each, admin, secret=f"{SECRET}-{n}")
    ciphertexts = [row_bytes(each.credential)[2] for each in channels]

    keys(f"k2:{k2},k1:{k1}")
    # Before rotation: old rows still open, new rows are sealed with k2.
    assert vault.credential_reveal(channel=channels[0], purpose="check") == f"{SECRET}-0"
    late = make_channel("late.test")
    assert store(late, admin).key_id == "k2"

    result = vault.vault_rotate_key()

    assert result == vault.RotationResult(rotated=3, already_current=1)
    assert set(Credential.objects.values_list("key_id", flat=True)) == {"k2"}
    # Only the data key moved; the secrets were not re-encrypted.
    assert [row_bytes(each.credential)[2] for each in channels] == ciphertexts
    assert actions(channels[0].organization).count("channels.credential.rekeyed") == 3
    rekeyed = AuditEvent.objects.filter(action="channels.credential.rekeyed").first()
    assert rekeyed is not None
    assert rekeyed.actor is None
    assert rekeyed.before == {"key_id": "k1"}
    assert rekeyed.after == {"key_id": "k2"}

    assert vault.vault_rotate_key() == vault.RotationResult(rotated=0, already_current=4)

    keys(f"k2:{k2}")
    for n, each in enumerate(channels):
        assert vault.credential_reveal(channel=each, purpose="check") == f"{SECRET}-{n}"


def test_rows_under_the_derived_key_can_be_rotated_onto_a_real_key(
    settings: Any, channel: Channel, admin: User
) -> None:
    settings.ROOST_ENCRYPTION_KEYS = ""
    assert vault.keyring_is_derived()
    assert store(channel, admin).key_id == "demo"

    settings.ROOST_ENCRYPTION_KEYS = f"prod:{new_key()}"
    assert not vault.keyring_is_derived()
    assert vault.credential_reveal(channel=channel, purpose="check") == SECRET
    assert vault.vault_rotate_key().rotated == 1
    assert Credential.objects.get().key_id == "prod"


# Failures change nothing.


def test_an_unknown_key_id_is_named(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    store(channel, admin)
    keys(f"k9:{new_key()}")

    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=channel, purpose="publish")

    assert raised.value.code == VaultErrorCode.KEY_UNKNOWN
    assert "'k1'" in raised.value.message
    assert actions(channel.organization) == ["channels.credential.stored"]


def test_a_different_key_under_the_same_id_fails_and_changes_nothing(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    credential = store(channel, admin)
    stored = row_bytes(credential)
    keys(f"k1:{new_key()}")

    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=channel, purpose="publish")
    assert raised.value.code == VaultErrorCode.UNWRAP_FAILED
    assert "'k1'" in raised.value.message
    assert "not the one that sealed it" in raised.value.message

    keys(f"k2:{new_key()},k1:{new_key()}")
    with pytest.raises(VaultError):
        vault.vault_rotate_key()

    assert row_bytes(credential) == stored
    assert actions(channel.organization) == ["channels.credential.stored"]


def test_tampered_ciphertext_fails(
    keys: Callable[[str], None], channel: Channel, admin: User
) -> None:
    credential = store(channel, admin)
    ciphertext = bytearray(row_bytes(credential)[2])
    ciphertext[20] ^= 0x01
    Credential.objects.filter(pk=credential.pk).update(ciphertext=bytes(ciphertext))

    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=channel, purpose="publish")

    assert raised.value.code == VaultErrorCode.DECRYPT_FAILED
    assert row_bytes(credential)[2] == bytes(ciphertext)
    assert actions(channel.organization) == ["channels.credential.stored"]


@pytest.mark.parametrize("field", ["wrapped_key", "ciphertext"])
def test_truncated_row_fails(
    keys: Callable[[str], None], channel: Channel, admin: User, field: str
) -> None:
    credential = store(channel, admin)
    Credential.objects.filter(pk=credential.pk).update(**{field: b"short"})

    with pytest.raises(VaultError):
        vault.credential_reveal(channel=channel, purpose="publish")


@pytest.mark.parametrize("same_org", [True, False])
def test_a_row_copied_to_another_channel_does_not_open(
    keys: Callable[[str], None],
    make_channel: Callable[..., Channel],
    make_org: Callable[..., Organization],
    admin: User,
    same_org: bool,
) -> None:
    source = make_channel("source.test")
    target = make_channel("target.test", None if same_org else make_org("Globex"))
    store(source, admin, secret="source-secret")
    copied = store(target, admin, secret="target-secret")
    _, wrapped, ciphertext = row_bytes(source.credential)
    Credential.objects.filter(pk=copied.pk).update(wrapped_key=wrapped, ciphertext=ciphertext)

    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=target, purpose="publish")

    assert raised.value.code in {VaultErrorCode.UNWRAP_FAILED, VaultErrorCode.DECRYPT_FAILED}
    assert vault.credential_reveal(channel=source, purpose="publish") == "source-secret"


def test_copying_only_the_ciphertext_is_caught_by_the_secret_binding(
    keys: Callable[[str], None], make_channel: Callable[..., Channel], admin: User
) -> None:
    source, target = make_channel("source.test"), make_channel("target.test")
    store(source, admin, secret="source-secret")
    copied = store(target, admin, secret="target-secret")
    # Reuse the source's data key too: the wrapped key opens, the secret's binding still holds.
    wrapped, ciphertext = row_bytes(source.credential)[1:]
    data_key = vault._unwrap_data_key(source.credential)
    target_org, target_id = target.organization_id, target.pk
    rewrapped = vault._seal(
        vault.keyring().key("k1"),
        data_key,
        vault._wrap_aad(key_id="k1", organization_id=target_org, channel_id=target_id),
    )
    Credential.objects.filter(pk=copied.pk).update(wrapped_key=rewrapped, ciphertext=ciphertext)

    with pytest.raises(VaultError) as raised:
        vault.credential_reveal(channel=target, purpose="publish")

    assert raised.value.code == VaultErrorCode.DECRYPT_FAILED
    assert wrapped != rewrapped


# The key ring.


def test_keyring_first_entry_is_current_and_both_alphabets_parse(settings: Any) -> None:
    urlsafe = base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode().rstrip("=")
    standard = base64.b64encode(b"\xfb\xff" * 16).decode()
    settings.ROOST_ENCRYPTION_KEYS = f" new:{urlsafe} , old:{standard},"

    ring = vault.keyring()

    assert ring.current_id == "new"
    assert ring.key("new") == ring.key("old") == b"\xfb\xff" * 16
    assert not vault.keyring_is_derived()
    assert "\\xfb" not in repr(ring) and urlsafe not in repr(ring)


def test_empty_setting_derives_a_demo_key_from_the_secret_key(settings: Any) -> None:
    settings.ROOST_ENCRYPTION_KEYS = ""
    settings.SECRET_KEY = "one-secret"
    first = vault.keyring()
    settings.SECRET_KEY = "another-secret"
    second = vault.keyring()

    assert vault.keyring_is_derived()
    assert first.current_id == second.current_id == "demo"
    assert len(first.key("demo")) == 32
    assert first.key("demo") != second.key("demo")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("k1", "has no ':'"),
        (":{key}", "key id must be"),
        ("bad id:{key}", "key id must be"),
        ("k1:", "not valid base64"),
        ("k1:not*base64!", "not valid base64"),
        ("k1:{short}", "is 16 bytes, a key must be 32 bytes"),
        ("k1:{long}", "is 48 bytes"),
        ("k1:{key},k2:{key2},k1:{key2}", "entry 3 ('k1'): the key id appears more than once"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(
    settings: Any, value: str, expected: str
) -> None:
    parts = {
        "key": new_key(),
        "key2": new_key(),
        "short": base64.b64encode(os.urandom(16)).decode(),
        "long": base64.b64encode(os.urandom(48)).decode(),
    }
    settings.ROOST_ENCRYPTION_KEYS = value.format(**parts)

    with pytest.raises(VaultError) as raised:
        vault.keyring()

    assert raised.value.code == VaultErrorCode.KEYRING_INVALID
    assert expected in raised.value.message
    for material in [*parts.values(), "not*base64!"]:
        assert material not in raised.value.message
    assert raised.value.__cause__ is None


def test_malformed_keys_stop_store_before_anything_is_written(
    settings: Any, channel: Channel, admin: User
) -> None:
    settings.ROOST_ENCRYPTION_KEYS = "k1:tooshort"

    with pytest.raises(VaultError):
        store(channel, admin)

    assert not Credential.objects.exists()
    assert actions(channel.organization) == []


# Logs.


def test_debug_logs_hold_no_secret_and_no_key(
    settings: Any,
    channel: Channel,
    admin: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    k1, k2 = new_key(), new_key()
    caplog.set_level(logging.DEBUG)
    settings.ROOST_ENCRYPTION_KEYS = f"k1:{k1}"
    store(channel, admin)
    vault.credential_reveal(channel=channel, purpose="publish")
    settings.ROOST_ENCRYPTION_KEYS = f"k2:{k2},k1:{k1}"
    vault.vault_rotate_key()
    vault.credential_reveal(channel=channel, purpose="publish")
    settings.ROOST_ENCRYPTION_KEYS = f"k2:{new_key()}"
    with pytest.raises(VaultError):
        vault.credential_reveal(channel=channel, purpose="publish")

    assert caplog.records, "the vault logs its operations at DEBUG"
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    for forbidden in (SECRET, k1, k2):
        assert forbidden not in logged
    assert not Credential.objects.filter(~Q(key_id="k2")).exists()
