"""Which backend labels an organisation's messages: read once per batch, then run."""

from __future__ import annotations

from collections.abc import Sequence

from roost.channels.vault import VaultError
from roost.inbox.classify import Classification
from roost.inbox.classify_backends.builtin import BuiltinBackend
from roost.inbox.classify_backends.configuration import (
    classifier_settings_of,
    endpoint_key_open,
    fallback_note,
)
from roost.inbox.classify_backends.endpoint import EndpointBackend
from roost.inbox.classify_backends.interface import ClassifierBackend, ClassifierInput
from roost.inbox.classify_backends.transformer import TransformerBackend
from roost.inbox.models import ClassifierBackendKind, ClassifierSettings

BUILT_IN = BuiltinBackend()


def backend_for(row: ClassifierSettings) -> ClassifierBackend:
    """The backend the settings choose. Raises `VaultError` when the endpoint's key does
    not open."""
    if row.backend == ClassifierBackendKind.TRANSFORMER:
        return TransformerBackend(path=row.model_path)
    if row.backend == ClassifierBackendKind.ENDPOINT:
        return EndpointBackend(
            url=row.endpoint_url,
            model=row.endpoint_model,
            api_key=endpoint_key_open(row),
            timeout_s=row.timeout_ms / 1000,
        )
    return BUILT_IN


def classify_for_organization(
    *, organization_id: int, items: Sequence[ClassifierInput]
) -> list[Classification]:
    """Label a batch of the organisation's inbound messages with its chosen backend, in
    the order given. One query for the settings, whatever the batch's size; a message the
    backend cannot label keeps the built-in answer, and the fallback is recorded."""
    if not items:
        return []
    row = classifier_settings_of(organization_id=organization_id)
    try:
        backend = backend_for(row)
    except VaultError:
        backend = BUILT_IN
        labelled = backend.classify_many(items)
        labelled.fallback_reasons = ["the endpoint's API key does not open"] * len(items)
    else:
        labelled = backend.classify_many(items)
    if labelled.fallback_reasons:
        fallback_note(
            organization_id=organization_id,
            backend=row.backend,
            count=len(labelled.fallback_reasons),
            reason=labelled.fallback_reasons[-1],
        )
    return labelled.results
