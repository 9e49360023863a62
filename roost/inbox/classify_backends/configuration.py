"""An organisation's classifier settings: the one function that changes them, the read
that the inbox and the settings page share, and the note of a fallback.

Only an organisation's admins change them (`Action.CLASSIFIER_CONFIGURE`): choosing an
endpoint decides whether customers' messages leave the machine. Every change is audited,
with the API key never in the entry (only whether one is set).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from roost.channels import vault
from roost.core import audit
from roost.core.actors import SYSTEM
from roost.core.errors import ApplicationError, ErrorCode
from roost.core.locks import locked_one
from roost.core.models import Organization, User
from roost.core.permissions import Action, require
from roost.core.text_input import text_problem
from roost.inbox.models import ClassifierBackendKind, ClassifierSettings

logger = logging.getLogger(__name__)

API_KEY_SECRET = "classifier_endpoint_key"
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 100, 30_000
AUDITED_FIELDS = ("backend", "model_path", "endpoint_url", "endpoint_model", "timeout_ms")


@dataclass(frozen=True)
class ClassifierSpec:
    backend: ClassifierBackendKind
    model_path: str = ""
    endpoint_url: str = ""
    endpoint_model: str = ""
    timeout_ms: int = 3000
    # None keeps the stored key; "" removes it; anything else replaces it.
    api_key: str | None = None


def classifier_settings_of(*, organization_id: int) -> ClassifierSettings:
    """The organisation's settings (unsaved defaults, the built-in model, when it has none)."""
    found = ClassifierSettings.objects.filter(organization_id=organization_id).first()
    return found or ClassifierSettings(organization_id=organization_id)


# The longest each text may be: the columns' sizes (and a key no server issues longer).
LIMITS = {
    "model_path": ClassifierSettings._meta.get_field("model_path").max_length or 500,
    "endpoint_url": ClassifierSettings._meta.get_field("endpoint_url").max_length or 500,
    "endpoint_model": ClassifierSettings._meta.get_field("endpoint_model").max_length or 200,
    "api_key": 500,
}


def _check(spec: ClassifierSpec) -> None:
    for name, limit in LIMITS.items():
        value = getattr(spec, name) or ""
        if len(value) > limit or text_problem(value) is not None:
            raise ApplicationError(
                ErrorCode.INVALID, f"At most {limit} characters of plain text.", field=name
            )
    transformer = spec.backend == ClassifierBackendKind.TRANSFORMER
    if transformer and not Path(spec.model_path or "relative").is_absolute():
        raise ApplicationError(
            ErrorCode.INVALID,
            "Give the model folder as an absolute path on this machine.",
            field="model_path",
        )
    if spec.backend == ClassifierBackendKind.ENDPOINT:
        parts = urlsplit(spec.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApplicationError(
                ErrorCode.INVALID,
                "Give the endpoint as an http or https address, such as http://127.0.0.1:8080/v1.",
                field="endpoint_url",
            )
        if parts.username or parts.password:
            raise ApplicationError(
                ErrorCode.INVALID,
                "Put the API key in its own field, not in the address.",
                field="endpoint_url",
            )
        if not spec.endpoint_model.strip():
            raise ApplicationError(
                ErrorCode.INVALID, "Name the model the server should use.", field="endpoint_model"
            )
    if not MIN_TIMEOUT_MS <= spec.timeout_ms <= MAX_TIMEOUT_MS:
        raise ApplicationError(
            ErrorCode.INVALID,
            f"The timeout must be {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} milliseconds.",
            field="timeout_ms",
        )


def _described(row: ClassifierSettings) -> dict[str, object]:
    return {
        **{name: getattr(row, name) for name in AUDITED_FIELDS},
        "api_key_set": bool(row.endpoint_key_sealed),
    }


def classifier_settings_update(
    *, actor: User, organization: Organization, spec: ClassifierSpec
) -> ClassifierSettings:
    """Choose the organisation's classifier backend and its settings."""
    require(actor, Action.CLASSIFIER_CONFIGURE)
    if actor.organization_id != organization.pk:
        raise ApplicationError(ErrorCode.NOT_FOUND, "No such organisation.")
    _check(spec)
    with transaction.atomic():
        created, _ = ClassifierSettings.objects.get_or_create(organization=organization)
        row = locked_one(ClassifierSettings.objects.all(), created.pk)
        before = _described(row)
        row.backend = spec.backend
        row.model_path = spec.model_path.strip()
        row.endpoint_url = spec.endpoint_url.strip()
        row.endpoint_model = spec.endpoint_model.strip()
        row.timeout_ms = spec.timeout_ms
        if spec.api_key is not None:
            row.endpoint_key_sealed = (
                vault.organization_secret_seal(
                    organization_id=organization.pk, name=API_KEY_SECRET, secret=spec.api_key
                )
                if spec.api_key
                else ""
            )
        row.save(update_fields=[*AUDITED_FIELDS, "endpoint_key_sealed"])
        after = _described(row)
        key_replaced = spec.api_key is not None and bool(spec.api_key)
        if before != after or key_replaced:
            audit.record(
                organization=organization,
                actor=actor,
                action="inbox.classifier.updated",
                target=row,
                target_label="Classifier settings",
                before=before,
                after={**after, "api_key_replaced": key_replaced},
            )
    return row


def endpoint_key_open(row: ClassifierSettings) -> str:
    """The endpoint's API key in plain text, for the request about to be sent ("" when
    none is set). Never keep, log or show it."""
    if not row.endpoint_key_sealed:
        return ""
    return vault.organization_secret_open(
        organization_id=row.organization_id, name=API_KEY_SECRET, sealed=row.endpoint_key_sealed
    )


def endpoint_keys_rewrap() -> int:
    """Re-wrap every organisation's endpoint API key with the current master key (part of
    `roost vault rotate-key`); returns how many moved. One short transaction per row;
    raises `VaultError` at the first key that does not open."""
    moved = 0
    pending = ClassifierSettings.objects.exclude(endpoint_key_sealed="").order_by("pk")
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            row = locked_one(ClassifierSettings.objects.select_related("organization"), pk)
            if not row.endpoint_key_sealed:
                continue
            rewrapped = vault.organization_secret_rewrap(
                organization_id=row.organization_id,
                name=API_KEY_SECRET,
                sealed=row.endpoint_key_sealed,
            )
            if rewrapped is None:
                continue
            old_key_id = row.endpoint_key_sealed.split(":")[1]
            row.endpoint_key_sealed = rewrapped
            row.save(update_fields=["endpoint_key_sealed"])
            audit.record(
                organization=row.organization,
                actor=SYSTEM,
                action="inbox.classifier.key_rekeyed",
                target=row,
                target_label="Classifier settings",
                before={"key_id": old_key_id},
                after={"key_id": rewrapped.split(":")[1]},
            )
            moved += 1
    return moved


def fallback_note(*, organization_id: int, backend: str, count: int, reason: str) -> None:
    """Record that `count` messages kept the built-in answer, and the latest reason: in
    the log and on the settings row (after the batch commits, so that no ingest waits on
    the row). The reason never holds a secret."""
    logger.warning(
        "classifier backend %s fell back to the built-in model for %d message(s) of "
        "organisation %s: %s",
        backend,
        count,
        organization_id,
        reason,
    )

    def note() -> None:
        ClassifierSettings.objects.filter(organization_id=organization_id).update(
            fallbacks=F("fallbacks") + count,
            last_fallback_at=timezone.now(),
            last_fallback_reason=reason[:300],
        )

    transaction.on_commit(note)
