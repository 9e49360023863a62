"""The credential vault: channel secrets sealed with envelope encryption.

Each credential gets its own random 256-bit data key. The data key encrypts the
secret (AES-GCM); a master key from the key ring wraps the data key (AES-GCM).
The row stores the master key's id, the wrapped data key and the ciphertext,
each AES-GCM message as `nonce (12 bytes) || ciphertext and tag`. The associated
data binds the secret to its organisation and channel, and the wrapped key also
to its master key id, so a row copied onto another channel does not decrypt.

The key ring comes from `settings.ROOST_ENCRYPTION_KEYS`, comma-separated
`key_id:key` entries with 32-byte keys in base64 or base64url. The first entry
seals new credentials; the others only open old ones, so a new key is put
first, `vault_rotate_key` re-wraps every row, and then the old key is removed.
Without the variable the vault derives one key named `demo` from
`settings.SECRET_KEY`, so a demo needs no key; `keyring_is_derived` tells
production checks to warn. Rows sealed under the derived key stay readable
after real keys are configured (unless an entry is itself named `demo`), so
that a rotation can move them onto the real key.

These functions check no permissions: the channel services that call them do.
`credential_reveal` is for connectors only and is the one way to the
plaintext of a credential; a channel's other, named secrets (see the end of
this module) open only through `channel_secret_reveal`. Every change is
audited; every use is counted and audited in summary, the first use of each hour
at once (`roost.channels.credential_use`). Secrets and keys appear in no audit
entry, log line or error message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import functools
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roost.channels import locks
from roost.channels.credential_use import credential_uses_count
from roost.channels.models import Channel, Credential, CredentialKind
from roost.core import audit
from roost.core.actors import SYSTEM, Actor
from roost.core.errors import ApplicationError, DomainError, ErrorCode, message_of

logger = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
DERIVED_KEY_ID = "demo"
DERIVED_KEY_INFO = b"roost-vault-demo"
_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,40}")  # 40 = Credential.key_id max_length
_ENTRY_FORMAT = "expected 'key_id:base64-key'"


class VaultErrorCode(enum.StrEnum):
    """Why the vault refused; tests and callers match on these."""

    KEYRING_INVALID = "keyring_invalid"
    KEY_UNKNOWN = "key_unknown"
    UNWRAP_FAILED = "unwrap_failed"
    DECRYPT_FAILED = "decrypt_failed"
    NO_CREDENTIAL = "no_credential"


# What people read, by code; never a secret or a key. A code that covers more than
# one situation names the part that differs as a placeholder, filled from the
# phrases below the table.
MESSAGES: dict[VaultErrorCode, str] = {
    VaultErrorCode.KEYRING_INVALID: "ROOST_ENCRYPTION_KEYS entry {entry}{problem}",
    VaultErrorCode.KEY_UNKNOWN: (
        "Master key {key_id!r} is not in ROOST_ENCRYPTION_KEYS (known: {known}); "
        "add it back to open credentials sealed with it."
    ),
    VaultErrorCode.UNWRAP_FAILED: (
        "The data key of credential {credential} (channel {channel}) does not open with "
        "master key {key_id!r}: the configured key with that id is not the one that "
        "sealed it, or the stored row was altered or copied from another channel."
    ),
    VaultErrorCode.DECRYPT_FAILED: "The {what} of {where} {failure}",
    VaultErrorCode.NO_CREDENTIAL: "Channel {channel} has no {what}.",
}
NO_COLON = f" has no ':' ({_ENTRY_FORMAT})"
BAD_KEY_ID = f": the key id must be 1 to 40 letters, digits, '.', '_' or '-' ({_ENTRY_FORMAT})"
REPEATED_KEY_ID = ": the key id appears more than once"
NOT_BASE64 = ": the key is not valid base64"
WRONG_SIZE = (
    ": the key is {size} bytes, a key must be {expected} bytes "
    '(make one with: python -c "import os, base64; '
    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())")'
)
CIPHERTEXT_ALTERED = (
    "fails authentication: the stored ciphertext was altered or copied from another channel."
)
SEALED_TEXT_ALTERED = (
    "does not open: it was altered, copied from another channel, or sealed with a key "
    "no longer configured."
)


class VaultError(DomainError):
    """The key ring is misconfigured or a stored credential cannot be opened."""

    code: VaultErrorCode

    def __init__(self, code: VaultErrorCode, **values: object) -> None:
        super().__init__(code, message_of(MESSAGES, code, **values))


# The key ring.


@dataclass(frozen=True)
class KeyRing:
    """Master keys by id; `current_id` seals, every key opens."""

    current_id: str
    keys: Mapping[str, bytes] = field(repr=False)
    derived: bool = False

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise VaultError(
                VaultErrorCode.KEY_UNKNOWN, key_id=key_id, known=", ".join(sorted(self.keys))
            ) from None


def _decode_key(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it is not base64."""
    text = text.strip().rstrip("=")
    if not text:
        return None
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _derive_demo_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=DERIVED_KEY_INFO)
    return hkdf.derive(secret_key.encode())


def parse_keyring(raw: str, *, secret_key: str) -> KeyRing:
    """Build a key ring from the `ROOST_ENCRYPTION_KEYS` text.

    Raises `VaultError(KEYRING_INVALID)` naming the entry at fault, never its key.
    """
    entries = [entry.strip() for entry in raw.split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        key = _derive_demo_key(secret_key)
        return KeyRing(current_id=DERIVED_KEY_ID, keys={DERIVED_KEY_ID: key}, derived=True)
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        where = f"{position}"
        key_id, colon, encoded = (part.strip() for part in entry.partition(":"))
        if not colon:
            raise VaultError(VaultErrorCode.KEYRING_INVALID, entry=where, problem=NO_COLON)
        if not _KEY_ID_PATTERN.fullmatch(key_id):
            raise VaultError(VaultErrorCode.KEYRING_INVALID, entry=where, problem=BAD_KEY_ID)
        where = f"{where} ({key_id!r})"
        if key_id in keys:
            raise VaultError(VaultErrorCode.KEYRING_INVALID, entry=where, problem=REPEATED_KEY_ID)
        decoded = _decode_key(encoded)
        if decoded is None:
            raise VaultError(VaultErrorCode.KEYRING_INVALID, entry=where, problem=NOT_BASE64)
        if len(decoded) != KEY_BYTES:
            raise VaultError(
                VaultErrorCode.KEYRING_INVALID,
                entry=where,
                problem=WRONG_SIZE.format(size=len(decoded), expected=KEY_BYTES),
            )
        keys[key_id] = decoded
    keys.setdefault(DERIVED_KEY_ID, _derive_demo_key(secret_key))
    return KeyRing(current_id=next(iter(keys)), keys=keys)


@functools.lru_cache(maxsize=4)
def _cached_keyring(raw: str, secret_key: str) -> KeyRing:
    return parse_keyring(raw, secret_key=secret_key)


def keyring() -> KeyRing:
    """The key ring of the current settings (parsed once per distinct setting)."""
    raw = getattr(settings, "ROOST_ENCRYPTION_KEYS", "") or ""
    return _cached_keyring(raw, settings.SECRET_KEY)


def keyring_is_derived() -> bool:
    """True when no keys are configured and the vault uses the key derived from SECRET_KEY."""
    return keyring().derived


# Sealing and opening.


def _secret_aad(*, organization_id: int, channel_id: int) -> bytes:
    return f"roost:v1:secret:{organization_id}:{channel_id}".encode()


def _wrap_aad(*, key_id: str, organization_id: int, channel_id: int) -> bytes:
    return f"roost:v1:data-key:{key_id}:{organization_id}:{channel_id}".encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Raises InvalidTag when the key is wrong or the message or its context was altered."""
    if len(sealed) <= NONCE_BYTES:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


@dataclass(frozen=True)
class _Sealed:
    key_id: str
    wrapped_key: bytes
    ciphertext: bytes = field(repr=False)


def _seal_secret(*, secret: str, organization_id: int, channel_id: int) -> _Sealed:
    ring = keyring()
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    ciphertext = _seal(
        data_key,
        secret.encode(),
        _secret_aad(organization_id=organization_id, channel_id=channel_id),
    )
    wrapped = _seal(
        ring.key(ring.current_id),
        data_key,
        _wrap_aad(key_id=ring.current_id, organization_id=organization_id, channel_id=channel_id),
    )
    return _Sealed(key_id=ring.current_id, wrapped_key=wrapped, ciphertext=ciphertext)


def _unwrap_data_key(credential: Credential) -> bytes:
    master = keyring().key(credential.key_id)
    aad = _wrap_aad(
        key_id=credential.key_id,
        organization_id=credential.organization_id,
        channel_id=credential.channel_id,
    )
    try:
        return _open(master, bytes(credential.wrapped_key), aad)
    except InvalidTag:
        raise VaultError(
            VaultErrorCode.UNWRAP_FAILED,
            credential=credential.pk,
            channel=credential.channel_id,
            key_id=credential.key_id,
        ) from None


def _open_secret(credential: Credential) -> str:
    data_key = _unwrap_data_key(credential)
    aad = _secret_aad(organization_id=credential.organization_id, channel_id=credential.channel_id)
    try:
        plaintext = _open(data_key, bytes(credential.ciphertext), aad)
    except InvalidTag:
        raise VaultError(
            VaultErrorCode.DECRYPT_FAILED,
            what="secret",
            where=f"credential {credential.pk} (channel {credential.channel_id})",
            failure=CIPHERTEXT_ALTERED,
        ) from None
    return plaintext.decode()


def _describe(credential: Credential) -> dict[str, Any]:
    """What the audit log may know about a credential: never the secret or a key."""
    expires_at = credential.expires_at
    return {
        "kind": credential.kind,
        "key_id": credential.key_id,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


# Services.


def credential_store(
    *,
    channel: Channel,
    actor: Actor,
    kind: CredentialKind | str,
    secret: str,
    expires_at: dt.datetime | None = None,
) -> Credential:
    """Seal `secret` as the channel's credential, replacing any it had.

    A replacement gets a fresh data key. The caller has checked that `actor`
    may manage the channel's credential.
    """
    if not secret:
        raise ApplicationError(ErrorCode.INVALID, "The secret may not be empty.", field="secret")
    kind = CredentialKind(kind)
    sealed = _seal_secret(
        secret=secret, organization_id=channel.organization_id, channel_id=channel.pk
    )
    now = timezone.now()
    with transaction.atomic():
        # The channel row serialises writers, so two first stores cannot both insert.
        credential = locks.credential_of_channel_locked(channel)
        if credential is None:
            credential = Credential.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                kind=kind,
                key_id=sealed.key_id,
                wrapped_key=sealed.wrapped_key,
                ciphertext=sealed.ciphertext,
                expires_at=expires_at,
                created_at=now,
                updated_at=now,
            )
            action, before = "channels.credential.stored", None
        else:
            before = _describe(credential)
            credential.kind = kind
            credential.key_id = sealed.key_id
            credential.wrapped_key = sealed.wrapped_key
            credential.ciphertext = sealed.ciphertext
            credential.expires_at = expires_at
            credential.updated_at = now
            credential.save(
                update_fields=[
                    "kind",
                    "key_id",
                    "wrapped_key",
                    "ciphertext",
                    "expires_at",
                    "updated_at",
                ]
            )
            action = "channels.credential.replaced"
        audit.record(
            organization=channel.organization,
            actor=actor,
            action=action,
            target=channel,
            before=before,
            after=_describe(credential),
        )
    logger.debug(
        "%s credential %s of channel %s under key %s",
        "Replaced" if before else "Stored",
        credential.pk,
        channel.pk,
        sealed.key_id,
    )
    return credential


def credential_reveal(*, channel: Channel, purpose: str) -> str:
    """The channel's secret in plain text, for a connector about to call its network.

    `purpose` says why, for the audit log (e.g. "publish", "health check").
    Raises `VaultError` and changes nothing when the credential is missing or
    does not open. Never keep, log or return the result to a person.
    """
    if not purpose.strip():
        raise ValueError("credential_reveal needs a purpose for the audit log")
    credential = (
        Credential.objects.select_related("organization").filter(channel_id=channel.pk).first()
    )
    if credential is None:
        raise VaultError(VaultErrorCode.NO_CREDENTIAL, channel=channel.pk, what="stored credential")
    try:
        secret = _open_secret(credential)
    except VaultError as error:
        logger.warning("Credential of channel %s does not open: %s", channel.pk, error.code)
        raise
    credential_uses_count(channels=[channel], purpose=purpose)
    logger.debug("Revealed credential of channel %s for %s", channel.pk, purpose)
    return secret


def credentials_reveal(
    *, channels: list[Channel], purpose: str
) -> dict[int, str | VaultError | None]:
    """`credential_reveal` for many channels at once: one read, and one count of the uses
    (`credential_uses_count`) however many channels. Per channel: the secret, None when it
    has no credential, or the `VaultError` that kept it shut."""
    if not purpose.strip():
        raise ValueError("credentials_reveal needs a purpose for the audit log")
    stored = {
        credential.channel_id: credential
        for credential in Credential.objects.select_related("organization").filter(
            channel_id__in=[channel.pk for channel in channels]
        )
    }
    revealed: dict[int, str | VaultError | None] = {}
    used: list[Channel] = []
    for channel in channels:
        credential = stored.get(channel.pk)
        if credential is None:
            revealed[channel.pk] = None
            continue
        try:
            revealed[channel.pk] = _open_secret(credential)
        except VaultError as error:
            logger.warning("Credential of channel %s does not open: %s", channel.pk, error.code)
            revealed[channel.pk] = error
            continue
        used.append(channel)
    credential_uses_count(channels=used, purpose=purpose)
    return revealed


def credential_delete(*, channel: Channel, actor: Actor) -> bool:
    """Remove the channel's credential; False when it had none (nothing is audited then).

    The caller has checked that `actor` may manage the channel's credential.
    """
    with transaction.atomic():
        credential = locks.credential_of_channel_locked(channel)
        if credential is None:
            return False
        before = _describe(credential)
        credential.delete()
        audit.record(
            organization=channel.organization,
            actor=actor,
            action="channels.credential.deleted",
            target=channel,
            before=before,
        )
    logger.debug("Deleted credential of channel %s", channel.pk)
    return True


@dataclass(frozen=True)
class RotationResult:
    rotated: int
    already_current: int


def vault_rotate_key() -> RotationResult:
    """Re-wrap every credential's data key with the current master key.

    Secrets are not re-encrypted: only the data key moves to the new master
    key. One short transaction per row, so the service keeps running; a row not
    yet rotated still opens with its old key. Safe to run again after an
    interruption. Raises `VaultError` at the first row that does not open
    (rows rotated before it stay rotated).
    """
    ring = keyring()
    current = ring.current_id
    master = ring.key(current)
    already_current = Credential.objects.filter(key_id=current).count()
    pending = list(
        Credential.objects.exclude(key_id=current).order_by("pk").values_list("pk", flat=True)
    )
    rotated = 0
    for pk in pending:
        with transaction.atomic():
            credential = locks.credential_locked(pk)
            if credential is None or credential.key_id == current:
                continue  # deleted or replaced since the list was taken
            old_key_id = credential.key_id
            data_key = _unwrap_data_key(credential)
            credential.wrapped_key = _seal(
                master,
                data_key,
                _wrap_aad(
                    key_id=current,
                    organization_id=credential.organization_id,
                    channel_id=credential.channel_id,
                ),
            )
            credential.key_id = current
            credential.updated_at = timezone.now()
            credential.save(update_fields=["key_id", "wrapped_key", "updated_at"])
            audit.record(
                organization=credential.organization,
                actor=SYSTEM,
                action="channels.credential.rekeyed",
                target=credential.channel,
                before={"key_id": old_key_id},
                after={"key_id": current},
            )
        rotated += 1
        logger.debug("Re-wrapped credential %s from key %s to %s", pk, old_key_id, current)
    named = channel_secrets_rewrap()
    rotated, already_current = rotated + named.rotated, already_current + named.already_current
    logger.info(
        "Key rotation: %d re-wrapped, %d already under key %s", rotated, already_current, current
    )
    return RotationResult(rotated=rotated, already_current=already_current)


# Named secrets of a channel, beside its credential.
#
# A channel has one credential: the secret its connector signs in with. Its other
# secrets (the signing secret of its inbound webhook) are sealed the same way, each
# under a name, and kept as text in `channel.settings["sealed"][name]`:
# "v1:<key id>:<wrapped data key>:<ciphertext>", the last two in base64url. The
# associated data adds the name, so one sealed value cannot stand in for another;
# `vault_rotate_key` re-wraps them along with the credentials.

SEALED_SETTING = "sealed"
SECRET_NAME_PATTERN = re.compile(r"[a-z0-9_]{1,40}")
_SEALED_VERSION = "v1"


def _named_aad(part: str, *, name: str, organization_id: int, channel_id: int) -> bytes:
    return f"roost:v1:{part}:{name}:{organization_id}:{channel_id}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _named_ids(channel: Channel, name: str) -> dict[str, Any]:
    return {"name": name, "organization_id": channel.organization_id, "channel_id": channel.pk}


def _named_wrap(*, channel: Channel, name: str, data_key: bytes, ciphertext: bytes) -> str:
    """The sealed text: the data key wrapped with the current master key, and the ciphertext."""
    ring = keyring()
    aad = _named_aad(f"named-key:{ring.current_id}", **_named_ids(channel, name))
    wrapped = _seal(ring.key(ring.current_id), data_key, aad)
    return ":".join((_SEALED_VERSION, ring.current_id, _b64(wrapped), _b64(ciphertext)))


def _named_seal(*, channel: Channel, name: str, secret: str) -> str:
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    aad = _named_aad("named-secret", **_named_ids(channel, name))
    ciphertext = _seal(data_key, secret.encode(), aad)
    return _named_wrap(channel=channel, name=name, data_key=data_key, ciphertext=ciphertext)


def _sealed_open(
    sealed: str, *, name: str, where: str, aad: Callable[[str], bytes], purpose: str
) -> tuple[str, bytes, str]:
    """(key id, data key, plaintext) of a sealed text `key_id:wrapped key:ciphertext`,
    whose parts were bound to `aad(f"{purpose}-key:{key_id}")` and `aad(f"{purpose}-secret")`;
    VaultError (naming `name` and `where`) when it does not open."""
    failed = VaultError(
        VaultErrorCode.DECRYPT_FAILED,
        what=f"sealed secret {name!r}",
        where=where,
        failure=SEALED_TEXT_ALTERED,
    )
    parts = sealed.split(":") if isinstance(sealed, str) else []
    if len(parts) != 4 or parts[0] != _SEALED_VERSION:
        raise failed
    key_id = parts[1]
    try:
        data_key = _open(keyring().key(key_id), _unb64(parts[2]), aad(f"{purpose}-key:{key_id}"))
        plaintext = _open(data_key, _unb64(parts[3]), aad(f"{purpose}-secret"))
    except (InvalidTag, binascii.Error, ValueError):
        raise failed from None
    return key_id, data_key, plaintext.decode()


def _named_open(*, channel: Channel, name: str, sealed: str) -> tuple[str, bytes, str]:
    """(key id, data key, plaintext); VaultError when the text does not open."""
    ids = _named_ids(channel, name)
    return _sealed_open(
        sealed,
        name=name,
        where=f"channel {channel.pk}",
        aad=lambda part: _named_aad(part, **ids),
        purpose="named",
    )


def _sealed_values(channel: Channel) -> dict[str, str]:
    values = (channel.settings or {}).get(SEALED_SETTING)
    return dict(values) if isinstance(values, dict) else {}


def channel_secret_store(*, channel: Channel, actor: Actor, name: str, secret: str) -> None:
    """Seal `secret` as the channel's secret called `name`, replacing one of that name.

    The caller has checked that `actor` may manage the channel.
    """
    if not SECRET_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"a channel secret's name is 1 to 40 of a-z, 0-9 and _, not {name!r}")
    if not secret:
        raise ApplicationError(ErrorCode.INVALID, "The secret may not be empty.", field="secret")
    with transaction.atomic():
        locked = locks.channel_locked(channel.pk)
        values = _sealed_values(locked)
        replaced = name in values
        values[name] = _named_seal(channel=locked, name=name, secret=secret)
        locked.settings = {**(locked.settings or {}), SEALED_SETTING: values}
        locked.save(update_fields=["settings"])
        channel.settings = locked.settings
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="channels.secret.replaced" if replaced else "channels.secret.stored",
            target=locked,
            after={"name": name, "key_id": keyring().current_id},
        )


def channel_secret_reveal(*, channel: Channel, name: str, purpose: str) -> str:
    """The channel's secret called `name`, in plain text, for the code about to use it.

    Read afresh from the database. Raises `VaultError` when there is none or it does
    not open. Every use is audited (`credential_uses_count`); never keep, log or show the
    result.
    """
    if not purpose.strip():
        raise ValueError("channel_secret_reveal needs a purpose for the audit log")
    stored = Channel.objects.select_related("organization").get(pk=channel.pk)
    sealed = _sealed_values(stored).get(name)
    if sealed is None:
        raise VaultError(VaultErrorCode.NO_CREDENTIAL, channel=channel.pk, what=f"secret {name!r}")
    try:
        _, _, secret = _named_open(channel=stored, name=name, sealed=sealed)
    except VaultError as error:
        logger.warning("Secret %r of channel %s does not open: %s", name, channel.pk, error.code)
        raise
    credential_uses_count(channels=[stored], purpose=purpose, secret=name)
    return secret


def channel_secret_delete(*, channel: Channel, actor: Actor, name: str) -> bool:
    """Remove the channel's secret called `name`; False when it had none.

    The caller has checked that `actor` may manage the channel.
    """
    with transaction.atomic():
        locked = locks.channel_locked(channel.pk)
        values = _sealed_values(locked)
        if values.pop(name, None) is None:
            return False
        locked.settings = {**(locked.settings or {}), SEALED_SETTING: values}
        locked.save(update_fields=["settings"])
        channel.settings = locked.settings
        audit.record(
            organization=locked.organization,
            actor=actor,
            action="channels.secret.deleted",
            target=locked,
            before={"name": name},
        )
    return True


def channel_secrets_rewrap() -> RotationResult:
    """Re-wrap the data key of every named channel secret with the current master key.

    One transaction per channel; raises `VaultError` at the first secret that does
    not open (channels done before it stay done).
    """
    current = keyring().current_id
    rotated = already_current = 0
    pending = (
        Channel.objects.filter(settings__has_key=SEALED_SETTING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in list(pending):
        with transaction.atomic():
            channel = locks.channel_and_organization_locked(pk)
            values = _sealed_values(channel)
            moved: dict[str, str] = {}
            for name, sealed in values.items():
                key_id, data_key, _ = _named_open(channel=channel, name=name, sealed=sealed)
                if key_id == current:
                    already_current += 1
                    continue
                values[name] = _named_wrap(
                    channel=channel,
                    name=name,
                    data_key=data_key,
                    ciphertext=_unb64(sealed.rsplit(":", 1)[1]),
                )
                moved[name] = key_id
            if not moved:
                continue
            channel.settings = {**(channel.settings or {}), SEALED_SETTING: values}
            channel.save(update_fields=["settings"])
            for name, old_key_id in moved.items():
                audit.record(
                    organization=channel.organization,
                    actor=SYSTEM,
                    action="channels.secret.rekeyed",
                    target=channel,
                    before={"name": name, "key_id": old_key_id},
                    after={"name": name, "key_id": current},
                )
            rotated += len(moved)
    return RotationResult(rotated=rotated, already_current=already_current)


# An organisation's own secrets (not a channel's): sealed text the caller stores in its
# own row, such as the API key of an organisation's classifier endpoint. The same
# envelope as a channel's named secrets, bound to the organisation and the name.


def _organization_aad(part: str, *, name: str, organization_id: int) -> bytes:
    return f"roost:v1:{part}:{name}:{organization_id}:org".encode()


def organization_secret_seal(*, organization_id: int, name: str, secret: str) -> str:
    """`secret` sealed for the organisation under `name`: text safe to store, opened
    only by `organization_secret_open` with the same organisation and name."""
    if not SECRET_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"a secret's name is 1 to 40 of a-z, 0-9 and _, not {name!r}")
    ring = keyring()
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    ids: dict[str, Any] = {"name": name, "organization_id": organization_id}
    ciphertext = _seal(data_key, secret.encode(), _organization_aad("org-secret", **ids))
    wrapped = _seal(
        ring.key(ring.current_id),
        data_key,
        _organization_aad(f"org-key:{ring.current_id}", **ids),
    )
    return ":".join((_SEALED_VERSION, ring.current_id, _b64(wrapped), _b64(ciphertext)))


def organization_secret_rewrap(*, organization_id: int, name: str, sealed: str) -> str | None:
    """`sealed` with its data key wrapped by the current master key, or None when it is
    already (for key rotation: the owner of the row stores the new text). `VaultError`
    when it does not open."""
    ring = keyring()
    key_id, data_key, _ = _organization_open(
        organization_id=organization_id, name=name, sealed=sealed
    )
    if key_id == ring.current_id:
        return None
    ids: dict[str, Any] = {"name": name, "organization_id": organization_id}
    wrapped = _seal(
        ring.key(ring.current_id), data_key, _organization_aad(f"org-key:{ring.current_id}", **ids)
    )
    ciphertext = sealed.rsplit(":", 1)[1]
    return ":".join((_SEALED_VERSION, ring.current_id, _b64(wrapped), ciphertext))


def organization_secret_open(*, organization_id: int, name: str, sealed: str) -> str:
    """The plaintext of `organization_secret_seal`'s text, for the code about to use it;
    `VaultError` when it does not open. Never keep, log or show the result."""
    return _organization_open(organization_id=organization_id, name=name, sealed=sealed)[2]


def _organization_open(*, organization_id: int, name: str, sealed: str) -> tuple[str, bytes, str]:
    """(key id, data key, plaintext) of an organisation's sealed secret."""
    return _sealed_open(
        sealed,
        name=name,
        where=f"organisation {organization_id}",
        aad=lambda part: _organization_aad(part, name=name, organization_id=organization_id),
        purpose="org",
    )
