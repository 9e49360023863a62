"""Classifier backends: one interface, chosen per organisation.

    from roost.inbox.classify_backends import ClassifierInput, classify_for_organization

    found = classify_for_organization(organization_id=org.pk, items=[ClassifierInput("Hi")])

- built-in (the default): `roost.inbox.classify.classify()`, offline;
- transformer: an ONNX model from a folder on this machine (the `transformer` extra);
- endpoint: an OpenAI-compatible chat-completions server, with a strict timeout and the
  built-in model as fallback.

Nothing leaves the machine unless an organisation's admin configures an endpoint.
docs/classification-backends.md describes each backend and the model folder's layout.
"""

from roost.inbox.classify_backends.dispatch import (
    backend_for,
    classify_for_organization,
)
from roost.inbox.classify_backends.interface import (
    ClassifierBackend,
    ClassifierInput,
    Labelled,
    intent_confidence,
)

__all__ = [
    "ClassifierBackend",
    "ClassifierInput",
    "Labelled",
    "backend_for",
    "classify_for_organization",
    "intent_confidence",
]
